"""The wizard driven by Pilot in its own process, until a test kills it mid-install.

    python -m tests.tui.wizard_until_killed BUNDLE SANDBOX_ROOT GATED_PACKAGE

runs with the apt sandbox's environment (see tests/cli/survival.py) on a `SandboxGpuMachine`
(tests/tui/sandbox_machine.py). It walks Detect -> (Purge) -> Select -> Install with the
defaults, confirms, and once the Install screen's log shows dpkg setting up GATED_PACKAGE (whose
postinst waits at the sandbox's gate), prints `INSTALLING` and idles until it is killed, or
until the wizard leaves on its own (SIGHUP, SIGTERM): then it prints `EXITED <return code>`.
Each screen reached is printed as `SCREEN <name>`, the plan as `PLAN <driver>`; a walk that
goes wrong prints `ERROR <why>` and exits 1.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, Log

from nvwizard.tui.app import WizardApp
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.state import WizardState
from tests.tui.sandbox_machine import SandboxGpuMachine
from tests.waiting import wait_in_app as until

SIZE = (100, 32)


def say(text: str) -> None:
    """One line to the test, on the real stdout at once. Not `print`: while the app runs,
    Textual captures sys.stdout and, headless, writes to the real one without ever flushing
    it, so on a pipe (without PYTHONUNBUFFERED) the line waited in the buffer and the test
    waited its whole safety net for it."""
    stream = sys.__stdout__
    assert stream is not None
    stream.write(text + "\n")
    stream.flush()


def screen_name(app: WizardApp) -> str:
    return type(app.screen).__name__


def mounted(app: WizardApp, name: str, attribute: str) -> bool:
    """On screen `name`, once its on_mount has set `attribute`."""
    return screen_name(app) == name and hasattr(app.screen, attribute)


async def to_install_screen(pilot: Pilot) -> None:
    """Detect -> (Purge) -> Select -> Stack -> Install, pressing n (Enter on the Purge
    screen)."""
    app = pilot.app
    await until(pilot, lambda: mounted(app, "DetectScreen", "detecting"), "the Detect screen")
    await until(pilot, lambda: not app.screen.detecting, "the detection")
    for _ in range(4):
        # every wizard screen sets its controller when it mounts
        await until(pilot, lambda: hasattr(app.screen, "controller"), "the screen to mount")
        say(f"SCREEN {screen_name(app)}")
        if screen_name(app) == "InstallScreen":
            return
        before = app.screen
        await pilot.press(*(("n", "enter") if screen_name(app) == "PurgeScreen" else ("n",)))
        await until(pilot, lambda before=before: app.screen is not before, "the next screen")
    raise AssertionError(f"stuck on {screen_name(app)}")


async def confirm_install(pilot: Pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: mounted(app, "InstallScreen", "phase"), "the Install screen")
    await until(pilot, lambda: app.screen.phase != "preparing", "the plan and simulation")
    apply = app.screen.query_one("#apply", Button)
    if app.screen.phase != "confirm" or apply.disabled:
        raise AssertionError(f"the plan cannot be applied: {apply.label}")
    say(f"PLAN {app.state.plan.driver}")
    await pilot.press("n", "enter")  # n moves to the Install button, Enter presses it
    await until(pilot, lambda: app.screen.phase == "running", "the apply to start")


async def walk(app: WizardApp, gated: str) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await to_install_screen(pilot)
        await confirm_install(pilot)
        log = app.screen.query_one("#log", Log)
        await until(
            pilot,
            lambda: any(f"Setting up {gated}" in line for line in log.lines),
            f"the log to show {gated} being set up",
        )
        say("INSTALLING")
        while app.is_running:  # until the test kills us, or the app leaves on a signal
            await pilot.pause(0.2)
    say(f"EXITED {app.return_code}")


def main(argv: list[str]) -> int:
    bundle, sandbox_root, gated = argv
    host = SandboxGpuMachine(Path(bundle), Path(sandbox_root))
    app = WizardApp(WizardState(host=host), LayersBackend(), spinners=False)
    try:
        asyncio.run(walk(app, gated))
    except Exception as error:  # the test reads this line; a traceback would be noise
        say(f"ERROR {type(error).__name__}: {error}")
        return 1
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
