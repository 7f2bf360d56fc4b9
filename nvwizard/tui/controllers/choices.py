"""The choices the screens refine: the plan layer's defaults for this report, asked once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend

if TYPE_CHECKING:
    from nvwizard.plan.models import Choices


def refined_choices(state: WizardState, backend: WizardBackend) -> Choices | None:
    """The state's choices; the first time, the plan layer's defaults for the report (asked
    here, after Detect, not before the first frame: start-up). None without a candidate."""
    if state.choices is None and state.report is not None and state.report.driver_candidates:
        state.choices = backend.default_choices(state.report)
    return state.choices
