"""Child process for the screen figures: how long a wizard screen takes to answer.

`python -m benchmarks.screens_probe purge|select [nvwizard options]` runs the wizard headless
at 80x24 as its command does, waits until the Detect screen shows its result, then walks on:

purge:  `n` on Detect; the figure ends when the Purge screen has answered `j` (the key was
        handled and the next frame painted). This is what a person waits for after `n`.
select: on to Purge, `n` to its button, then Enter; the figure ends when the Select screen
        (its table of drivers) has answered `j`.
Keys are posted as the terminal driver posts them, and "answered" means the focused list's
cursor moved and the next frame was painted; work the screen left running in the background
(the Purge screen's autoremove simulation) slows this only as much as it slows the screen.

It prints `answered <seconds>` and `cpu <seconds>` (the process's CPU time over the same span,
all threads: steadier than the wall clock on a busy machine), or `timeout <seconds>` when the
screen did not answer within `--timeout`, then exits.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TYPE_CHECKING

from benchmarks.headless import run_wizard_headless

if TYPE_CHECKING:  # imported by the wizard, after it forks its detection (headless.py)
    from textual.app import App

DETECT, PURGE, SELECT = "DetectScreen", "PurgeScreen", "SelectScreen"


async def _next_refresh(app: App) -> float:
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(time.monotonic()))
    return await done


async def _wait_until(condition, deadline: float, poll_s: float = 0.001) -> None:
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(poll_s)


def _screen(app: App) -> str:
    return type(app.screen).__name__


def _detected(app: App) -> bool:
    """The Detect screen shows its result and the wizard acts on keys (its state is built:
    it is not when the result was detected ahead, tui/detected_ahead.py)."""
    detected = _screen(app) == DETECT and getattr(app.screen, "detecting", True) is False
    return detected and getattr(app, "ready", True)


def _cursor(app: App) -> object:
    """Where the focused list's cursor is (a Purge row, a Select table row)."""
    focused = app.focused
    return getattr(focused, "cursor_row", getattr(focused, "highlighted", None))


async def _press(app: App, key: str) -> None:
    """The key as the terminal driver posts it: unlike Pilot.press, this does not wait for
    the app (its background workers included) to be idle."""
    from textual import events

    app.post_message(events.Key(key, key if len(key) == 1 else None))


def probe(which: str, timeout_s: float):
    async def walk(pilot) -> None:
        app = pilot.app
        started = time.monotonic()
        try:
            await _wait_until(lambda: _detected(app), started + timeout_s)
            await pilot.pause()
            if which == SELECT:
                await pilot.press("n")
                await _wait_until(lambda: _screen(app) == PURGE, started + timeout_s)
                await pilot.pause()
                await pilot.press("n")  # to the Purge button
                await pilot.pause()
            key, target = ("n", PURGE) if which == PURGE else ("enter", SELECT)
            sent, cpu = time.monotonic(), time.process_time()
            await _press(app, key)
            await _wait_until(lambda: _screen(app) == target, sent + timeout_s)
            await _wait_until(lambda: _cursor(app) is not None, sent + timeout_s)
            before = _cursor(app)
            await _press(app, "j")
            await _wait_until(lambda: _cursor(app) != before, sent + timeout_s)
            answered = await _next_refresh(app) - sent
            print(f"answered {answered:.4f}\ncpu {time.process_time() - cpu:.4f}", flush=True)
        except TimeoutError:
            print(f"timeout {timeout_s}", flush=True)
        app.exit()

    return walk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screens_probe")
    parser.add_argument("which", choices=("purge", "select"))
    parser.add_argument("--timeout", type=float, default=60.0)
    args, options = parser.parse_known_args(argv)
    which = PURGE if args.which == "purge" else SELECT
    return run_wizard_headless(probe(which, args.timeout), options)


if __name__ == "__main__":
    sys.exit(main())
