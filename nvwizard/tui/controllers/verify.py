"""Verify: after the reboot, is the driver the one chosen and does it work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nvwizard.tui.controllers.lines import DANGER, DIM, OK, WARN, Line
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend

if TYPE_CHECKING:
    from nvwizard.engine.state import VerifyResult


class VerifyController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend
        self.no_gpu: str | None = None  # no NVIDIA GPU: the one line instead of the checks

    def verify(self) -> VerifyResult | None:
        """Runs in a worker thread. None on a machine without an NVIDIA GPU (`no_gpu` says
        so): each check would fail for that one reason."""
        self.no_gpu = self.backend.nothing_to_verify(self.state.host)
        if self.no_gpu is not None:
            self.state.verify_result = None
            return None
        result = self.backend.verify(self.state.host)
        self.state.verify_result = result
        return result

    def intro(self) -> str:
        if self.state.rebooted:
            return "The machine rebooted. Is the installed driver the one that runs?"
        return "Is the installed driver the one that runs?"

    def lines(self) -> list[Line]:
        if self.no_gpu is not None:
            return [Line(self.no_gpu, WARN, hang=2)]
        result = self.state.verify_result
        if result is None:
            return []
        lines = []
        for check in result.checks:
            mark, tone = ("–", DIM) if check.skipped else ("✓", OK) if check.ok else ("✗", DANGER)
            lines.append(Line(f"{mark} {check.name}: {check.detail}", tone))
            if not check.ok and check.fix:
                lines.append(Line(f"    fix: {check.fix}", DIM))
        lines.append(Line(""))
        if result.ok:
            lines.append(Line("The driver works. Nothing left to do.", OK))
        else:
            lines.append(Line("Something is wrong: apply the fixes above.", DANGER))
        return lines
