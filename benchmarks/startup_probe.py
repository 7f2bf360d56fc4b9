"""Child process for the headless start-up figure.

`python -m benchmarks.startup_probe wizard|minimal [nvwizard options]` starts the app exactly
as its command does, but headless at 80x24, and prints `painted <t>` once the first screen
has been laid out and refreshed (and, for the wizard, `detected <t>` once the Detect screen
shows its summary). Times are `time.monotonic()`, which is system-wide on Linux, so the
parent can subtract the moment it started this process. `painted_cpu` and `detected_cpu` are
the process's CPU seconds (all threads) at the same moments: steadier on a busy machine.
`textual_cpu` and `imported_cpu` are the CPU seconds once Textual, then the app's own modules,
are imported: the phases of the time to the first frame.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App


async def _next_refresh(app: App) -> float:
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(time.monotonic()))
    return await done


async def _wait_until(condition, poll_s: float = 0.001) -> None:
    while not condition():
        await asyncio.sleep(poll_s)


def _detection_done(app: App) -> bool:
    return getattr(app.screen, "detecting", True) is False


def _probe(target_screen: str, wait_for_detection: bool):
    async def probe(pilot) -> None:
        app = pilot.app
        await _wait_until(lambda: type(app.screen).__name__ == target_screen)
        # The next frame paints the widgets as they are now: with the result, when detection
        # has already finished (a bundle's is read before the first frame), and then that
        # frame is both figures; otherwise the result comes in a later frame.
        shown_with_first_frame = _detection_done(app)
        painted = await _next_refresh(app)
        print(f"painted {painted}\npainted_cpu {time.process_time()}", flush=True)
        if wait_for_detection:
            if not shown_with_first_frame:
                await _wait_until(lambda: _detection_done(app))
                painted = await _next_refresh(app)
            print(f"detected {painted}\ndetected_cpu {time.process_time()}", flush=True)
        app.exit()

    return probe


def _print_cpu(mark: str) -> None:
    print(f"{mark} {time.process_time()}", flush=True)


def main(which: str, options: list[str]) -> int:
    if which == "wizard":
        # `nvwizard` pauses the garbage collector before it imports Textual (cli/main.py);
        # the probe imports Textual before it calls nvwizard's main, so it pauses it first.
        gc.disable()
        from benchmarks.headless import run_wizard_headless

        _print_cpu("textual_cpu")
        import nvwizard.cli.main
        import nvwizard.cli.wizard_cmd  # noqa: F401  (imported here to time it apart)

        _print_cpu("imported_cpu")
        return run_wizard_headless(_probe("DetectScreen", wait_for_detection=True), options)
    if which == "minimal":
        from benchmarks.headless import run_headless

        _print_cpu("textual_cpu")
        run_headless(_probe("Screen", wait_for_detection=False))
        from benchmarks.minimal_app import MinimalApp

        _print_cpu("imported_cpu")
        MinimalApp().run()
        return 0
    print(f"unknown probe {which!r}: wizard or minimal", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "", sys.argv[2:]))
