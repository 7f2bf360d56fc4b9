"""The choices the screens refine: the plan layer's defaults for this report, asked once, and
what the Purge screen's ticks mean for them (the purge options, the container toolkit)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from nvwizard.knowledge.packages import keep_reason, left_to_autoremove
from nvwizard.plan.stack import container_toolkit_purged
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


def unticked(state: WizardState) -> list[str]:
    """The Purge screen's packages that are not ticked, in its order."""
    names = state.proposed_purge + [k.name for k in state.proposed_keep]
    return [name for name in names if name not in state.ticked]


def purging(state: WizardState) -> bool:
    """The purge runs: confirmed on the Purge screen, with something ticked."""
    return state.purge and bool(state.ticked)


def with_purge_ticks(state: WizardState, choices: Choices) -> Choices:
    """`choices` with exactly the Purge screen's ticks: what a purge keeps by default, ticked,
    is purged too; what the plan purges, unticked, is kept. No purge (declined, or nothing
    ticked) names no package to keep or purge: the plan would refuse those with it."""
    if not purging(state):
        return without_the_purge(choices)
    return replace(
        choices,
        purge=True,
        keep=tuple(n for n in state.proposed_purge if n not in state.ticked),
        also_purge=tuple(sorted(n for n in state.ticked if keep_reason(n) is not None)),
    )


def without_the_purge(choices: Choices) -> Choices:
    """`choices` with no purge: what the plan that keeps the running driver is built from
    (the Purge screen's ticks are for a reinstall or another driver)."""
    return replace(choices, purge=False, keep=(), also_purge=())


def purged_by_ticks(state: WizardState) -> set[str]:
    """What the purge takes for the Purge screen's ticks: the ticked packages and the unticked
    ones only they need, which autoremove takes (the known dependencies); nothing when there is
    no purge."""
    if not purging(state):
        return set()
    return set(state.ticked) | set(left_to_autoremove(state.ticked, unticked(state)))


def container_toolkit_goes(state: WizardState) -> bool:
    """The container toolkit is installed and the Purge screen's ticks remove it."""
    return container_toolkit_purged(state.detected, purged_by_ticks(state))


def container_toolkit_wanted(state: WizardState) -> bool:
    """The Stack screen's container toolkit tick, as it stands: a tick given while the toolkit
    stayed (nothing to install) is not taken as "install it again" once the Purge screen's
    ticks remove it; only a tick given while it was shown as purged is."""
    chosen = bool(state.choices and state.choices.container_toolkit)
    if chosen and container_toolkit_goes(state):
        return state.container_ticked_to_reinstall
    return chosen
