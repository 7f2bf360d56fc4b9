"""Child process for the headless start-up figure.

`python -m benchmarks.startup_probe wizard|minimal [nvwizard options]` starts the app exactly
as its command does, but headless at 80x24, and prints `painted <t>` once the first screen
has been laid out and refreshed (and, for the wizard, `detected <t>` once the Detect screen
shows its summary, and `ready <t>` once the wizard acts on keys: its state is built, which
comes after the first frame when the detection was done ahead by a child process,
cli/detect_ahead.py). Times are `time.monotonic()`, which is system-wide on Linux, so the
parent can subtract the moment it started this process. `painted_cpu`, `detected_cpu` and
`ready_cpu` are this process's CPU seconds (all threads; a child's are not in them) at the
same moments: steadier on a busy machine. `textual_cpu` and `imported_cpu` split the CPU time
before the app starts: Textual's import (with the interpreter's own start, up to
`textual_cpu`), then the app's own modules (to `imported_cpu`, when the app is run). The
wizard imports some of its modules before Textual (to fork its child first): they count as
its own.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App


async def _next_refresh(app: App) -> tuple[float, float]:
    """When the next frame was painted: the time, and this process's CPU time then (read
    there: what the app does next runs before this coroutine resumes)."""
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(
        lambda: done.done() or done.set_result((time.monotonic(), time.process_time()))
    )
    return await done


async def _wait_until(condition, poll_s: float = 0.001) -> None:
    while not condition():
        await asyncio.sleep(poll_s)


def _detection_done(app: App) -> bool:
    return getattr(app.screen, "detecting", True) is False


def _probe(target_screen: str, wait_for_detection: bool, imported: list[float] | None = None):
    async def probe(pilot) -> None:
        app = pilot.app
        await _wait_until(lambda: type(app.screen).__name__ == target_screen)
        # The next frame paints the widgets as they are now: with the result, when detection
        # has already finished (a bundle's is read before the first frame), and then that
        # frame is both figures; otherwise the result comes in a later frame.
        shown_with_first_frame = _detection_done(app)
        painted, cpu = await _next_refresh(app)
        print(f"painted {painted}\npainted_cpu {cpu}", flush=True)
        if wait_for_detection:
            if not shown_with_first_frame:
                await _wait_until(lambda: _detection_done(app))
                painted, cpu = await _next_refresh(app)
            print(f"detected {painted}\ndetected_cpu {cpu}", flush=True)
            await _wait_until(lambda: getattr(app, "ready", True))
            print(f"ready {time.monotonic()}\nready_cpu {time.process_time()}", flush=True)
            print(f"child_cpu {_children_cpu()}", flush=True)
        app.exit()

    return probe


def _children_cpu() -> float:
    """CPU seconds of this process's ended children: the wizard's detection-ahead child."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _print_cpu(mark: str, cpu: float | None = None) -> None:
    print(f"{mark} {time.process_time() if cpu is None else cpu}", flush=True)


def _wizard(options: list[str]) -> int:
    # `nvwizard` pauses the garbage collector before it imports Textual (cli/main.py); the
    # probe's own imports come first, so it pauses it first.
    gc.disable()
    from benchmarks.headless import ImportWatch, run_headless, run_wizard_watched

    started = time.process_time()
    probe = _probe("DetectScreen", wait_for_detection=True)

    def textual_imported() -> None:
        run_headless(probe, on_run=lambda: _print_cpu("imported_cpu"))
        # Textual's phase: the interpreter's start, then the import of Rich and Textual (its
        # own modules, imported before it, are not in it)
        began, done = watch.began_cpu or started, watch.done_cpu or time.process_time()
        _print_cpu("textual_cpu", started + done - began)

    watch = ImportWatch(textual_imported)
    return run_wizard_watched(watch, options)


def main(which: str, options: list[str]) -> int:
    if which == "wizard":
        return _wizard(options)
    if which == "minimal":
        import textual.app  # noqa: F401  (imported here to time it apart)

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
