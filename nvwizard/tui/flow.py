"""Which screen follows which. Pure decisions on the wizard state."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type hints only: the wizard's first frame needs no state (detect_ahead)
    from nvwizard.tui.state import WizardState

DETECT, PURGE, SELECT, STACK, INSTALL, REBOOT, VERIFY = (
    "detect",
    "purge",
    "select",
    "stack",
    "install",
    "reboot",
    "verify",
)
STEPS = (DETECT, PURGE, SELECT, STACK, INSTALL, REBOOT)
TITLES = {
    DETECT: "Detect",
    PURGE: "Purge",
    SELECT: "Select",
    STACK: "Stack",
    INSTALL: "Install",
    REBOOT: "Reboot",
    VERIFY: "Verify",
}


def after_detect(state: WizardState) -> str | None:
    """Purge when a driver is installed, else Select; None when there is nothing to do."""
    report = state.report
    if report is None or not report.driver_candidates:
        return None
    return PURGE if state.proposed_purge else SELECT


def after_install(state: WizardState) -> str | None:
    outcome = state.outcome
    if outcome is None or not outcome.ok:
        return None
    if state.plan is not None and state.plan.keeps_driver:
        return VERIFY  # the driver stayed as it runs: nothing to load, no reboot
    return REBOOT
