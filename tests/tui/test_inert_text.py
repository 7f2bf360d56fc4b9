"""Control characters in a bundle reach the wizard's screen as escapes (`\\x1b`), never as
the sequences themselves (tui/inert_text.py)."""

from __future__ import annotations

import shutil

from rich.text import Text
from textual.content import Content

from nvwizard.host.demo import DEMO_ROOT
from nvwizard.simulator.select import bundle_host
from nvwizard.tui.app import WizardApp
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.inert_text import make_control_characters_visible
from nvwizard.tui.state import WizardState
from nvwizard.tui.tour import TOUR_DAY, settle

CONTROLS = {chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}


def test_rich_and_textual_text_escape_what_they_do_not_strip():
    make_control_characters_visible()
    assert Text("a\x1b[2Jb\x9b").plain == "a\\x1b[2Jb\\x9b"
    assert Content("a\x1b[7mb\u202e").plain == "a\\x1b[7mb\\u202e"
    assert Text("line\r").plain == "line"  # stripped as before: CRLF data stays clean
    assert Text("tab\there").plain == "tab\there"


async def test_the_detect_summary_shows_a_bundles_escape_sequences_inert(tmp_path):
    bundle = shutil.copytree(DEMO_ROOT / "nvml-mismatch", tmp_path / "bundle")
    release = (bundle / "os-release.txt").read_text().splitlines()
    release = [
        'PRETTY_NAME="Ubuntu \x1b[7mREV\x1b[0m 22.04"' if line.startswith("PRETTY_NAME=") else line
        for line in release
    ]
    (bundle / "os-release.txt").write_text("\n".join(release) + "\n")
    app = WizardApp(
        WizardState(host=bundle_host(bundle)), LayersBackend(today=TOUR_DAY), spinners=False
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rows = [
            "".join(segment.text for segment in strip)
            for strip in app.screen._compositor.render_strips()
        ]
    screen = "\n".join(rows)
    assert "Ubuntu \\x1b[7mREV\\x1b[0m 22.04" in screen
    assert not set(screen) & CONTROLS
