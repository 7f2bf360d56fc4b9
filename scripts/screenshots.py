#!/usr/bin/env python3
"""Regenerate screenshots/: one SVG and one PNG per wizard screen, on a demo machine.

    python scripts/screenshots.py [--demo NAME] [--out screenshots]

Drives the wizard headless at 80x24 with the keys a user would press (nvwizard/tui/tour.py),
saves each screen as SVG, and converts it with `rsvg-convert` (Debian/Ubuntu: librsvg2-bin).
Nothing on this machine is changed: the demo machine is simulated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def svg_to_png(svg: Path) -> Path:
    # rsvg drops leading spaces in text without xml:space, and Textual's SVG has none.
    text = svg.read_text(encoding="utf-8").replace("<svg ", '<svg xml:space="preserve" ', 1)
    fixed = svg.with_suffix(".preserve.svg")
    fixed.write_text(text, encoding="utf-8")
    png = svg.with_suffix(".png")
    try:
        subprocess.run(["rsvg-convert", str(fixed), "-o", str(png)], check=True)
    finally:
        fixed.unlink()
    return png


async def take(demo: str | None, out: Path) -> list[Path]:
    from nvwizard.tui.tour import ACTIVATE_DEMO, ACTIVATE_TOUR, TOUR

    written = await walk(demo, TOUR, out)
    return written + await walk(ACTIVATE_DEMO, ACTIVATE_TOUR, out)


async def walk(demo: str | None, tour, out: Path) -> list[Path]:
    from nvwizard.tui.tour import demo_app, settle

    app = demo_app(demo)
    written = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for stop in tour:
            if stop.keys:
                await pilot.press(*stop.keys)
                await settle(pilot)
            if not stop.name[:1].isdigit():
                continue  # a stop on the way, not a picture
            svg = Path(app.save_screenshot(f"{stop.name}.svg", str(out)))
            written += [svg, svg_to_png(svg)]
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", default=None, help="demo machine (default: hgx-h100)")
    parser.add_argument("--out", default=str(ROOT / "screenshots"), help="output folder")
    args = parser.parse_args()
    if shutil.which("rsvg-convert") is None:
        print("screenshots: rsvg-convert not found (apt-get install librsvg2-bin)", file=sys.stderr)
        return 2
    os.environ.setdefault("NVWIZARD_DEMO_SPEED", "0")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(args.demo, out)):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
