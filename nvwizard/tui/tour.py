"""A keys-only walk through every screen of the wizard on a demo machine.

Shared by `scripts/screenshots.py` (one image per screen) and the snapshot tests, so both
show the same screens reached the way a user reaches them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from textual.pilot import Pilot

from nvwizard.simulator import demo_host
from nvwizard.tui.app import WizardApp
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.state import WizardState

# The report judges end of life on a day: the tour's is fixed, so pictures and tests do not age.
# After 570's end (Feb 2026), as the README's walk-through describes the demos.
TOUR_DAY = dt.date(2026, 12, 1)


@dataclass(frozen=True)
class Stop:
    name: str  # file name part: "03-select"
    keys: tuple[str, ...]  # pressed after the previous stop to get here


TOUR = (
    Stop("01-detect", ()),
    Stop("02-purge", ("n",)),
    Stop("03-select", ("n", "enter")),
    # the newest toolkit the chosen driver runs (below "none" and one it cannot), with cuDNN
    Stop("04-stack", ("enter", "down", "down", "tab", "space")),
    Stop("05-install-plan", ("enter",)),
    Stop("06-install-log", ("n", "enter")),
    Stop("07-reboot", ("n",)),
    # "Reboot now": the demo machine comes up with the new driver, Detect runs, Verify opens
    Stop("08-verify", ("left", "enter")),
)
# Verify failing: on the machine whose libraries were upgraded under the running module.
VERIFY_DEMO = "nvml-mismatch"
VERIFY_TOUR = (Stop("verify-mismatch", ("v",)),)
# Loading the driver without a reboot: the fresh RTX 3090 (nothing installed: no Purge screen).
# Only the numbered stops are pictures; the others are the way there.
ACTIVATE_DEMO = "rtx3090-fresh"
ACTIVATE_TOUR = (
    Stop("select", ("n",)),
    Stop("stack", ("enter",)),  # the driver alone: the Stack screen's default, no toolkit
    Stop("install-plan", ("enter",)),
    Stop("installed", ("n", "enter")),
    Stop("09-reboot-load-now", ("n",)),
    Stop("10-loaded-without-reboot", ("enter",)),
)


def demo_app(name: str | None = None) -> WizardApp:
    """The wizard on a demo machine with the real layers; spinners frozen."""
    state = WizardState(host=demo_host(name))
    return WizardApp(state, LayersBackend(today=TOUR_DAY), spinners=False)


async def settle(pilot: Pilot) -> None:
    """Wait until the workers and the UI timers have caught up."""
    app = pilot.app
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause(0.15)


async def walk_to(pilot: Pilot, stop_name: str, tour: tuple[Stop, ...] = TOUR) -> None:
    """Press the keys of every stop up to and including `stop_name`."""
    await settle(pilot)
    for stop in tour:
        if stop.keys:
            await pilot.press(*stop.keys)
            await settle(pilot)
        if stop.name == stop_name:
            return
    raise ValueError(f"no stop named {stop_name}")
