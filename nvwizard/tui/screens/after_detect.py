"""The screens after Detect, each built with its controller (Detect's own is built by the app).

Imported when the first of them opens: neither these screens nor the layers their controllers
use (plans, simulation, the engine) are needed for the first frame.
"""

from __future__ import annotations

from nvwizard.tui import flow
from nvwizard.tui.controllers.activate import ActivateController
from nvwizard.tui.controllers.install import InstallController
from nvwizard.tui.controllers.purge import PurgeController
from nvwizard.tui.controllers.reboot import RebootController
from nvwizard.tui.controllers.select import SelectController
from nvwizard.tui.controllers.stack import StackController
from nvwizard.tui.controllers.verify import VerifyController
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.screens.install import InstallScreen
from nvwizard.tui.screens.purge import PurgeScreen
from nvwizard.tui.screens.reboot import RebootScreen
from nvwizard.tui.screens.select import SelectScreen
from nvwizard.tui.screens.stack import StackScreen
from nvwizard.tui.screens.verify import VerifyScreen
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend


def open_screen(
    step: str, state: WizardState, backend: WizardBackend, follow: bool = False
) -> WizardScreen:
    """The screen of `step` with a new controller; `follow`: Install reattaches to the apply
    running in the background instead of planning one."""
    if step == flow.PURGE:
        return PurgeScreen(PurgeController(state, backend))
    if step == flow.SELECT:
        return SelectScreen(SelectController(state, backend))
    if step == flow.STACK:
        return StackScreen(StackController(state, backend))
    if step == flow.INSTALL:
        return InstallScreen(InstallController(state, backend), follow=follow)
    if step == flow.REBOOT:
        return RebootScreen(RebootController(state, backend), ActivateController(state, backend))
    if step == flow.VERIFY:
        return VerifyScreen(VerifyController(state, backend))
    raise ValueError(f"no screen for step {step!r}")
