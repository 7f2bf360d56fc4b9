"""Child process for the screen figures: how long a wizard screen takes to answer.

`python -m benchmarks.screens_probe purge|select [nvwizard options]` runs the wizard headless
at 80x24 as its command does, waits until the Detect screen shows its result, then walks on:

purge:  `n` on Detect; the figure ends when the Purge screen has answered `j` (the key was
        handled and the next frame painted). This is what a person waits for after `n`.
select: on to Purge, `n` to its button, then Enter; the figure ends when the Select screen
        (its table of drivers) has answered `j`.

It prints `answered <seconds>` (or `timeout <seconds>` when the screen did not answer within
`--timeout`), then exits.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

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
    return _screen(app) == DETECT and getattr(app.screen, "detecting", True) is False


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
            sent = time.monotonic()
            await pilot.press(key)
            await _wait_until(lambda: _screen(app) == target, sent + timeout_s)
            await pilot.press("j")
            print(f"answered {await _next_refresh(app) - sent:.4f}", flush=True)
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
    original_run = App.run

    def run(self, *run_args, **kwargs):
        kwargs.update(headless=True, size=(80, 24), auto_pilot=probe(which, args.timeout))
        return original_run(self, *run_args, **kwargs)

    App.run = run  # type: ignore[method-assign]
    from nvwizard.cli.main import main as nvwizard_main

    return nvwizard_main(options or ["--demo"])


if __name__ == "__main__":
    sys.exit(main())
