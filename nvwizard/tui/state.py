"""The wizard's model: what it knows and what the user decided, screen after screen.

Views never hold facts of their own; they read and write this object through their
controller. Nothing here imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nvwizard.host.base import Host
from nvwizard.plan.models import Choices, Plan
from nvwizard.report.models import Report


@dataclass(frozen=True)
class Simulation:
    """What apt says a plan would do, from `apt-get -s` (or the demo model)."""

    install: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    upgrade: list[str] = field(default_factory=list)
    problem: str | None = None  # why the simulation could not run, or what it refuses
    notes: list[str] = field(default_factory=list)  # e.g. the branch really installed


@dataclass(frozen=True)
class Outcome:
    """How an apply ended, from the engine's PLAN_FINISHED event."""

    result: str  # "done", "failed", "cancelled"
    failed_step: str | None = None
    message: str | None = None
    repair: list[list[str]] | None = None
    reboot_required: bool = False
    log_path: str | None = None


@dataclass(frozen=True)
class VerifyCheck:
    name: str  # "module loaded"
    ok: bool
    detail: str  # what was found
    fix: str | None = None


@dataclass(frozen=True)
class VerifyResult:
    checks: list[VerifyCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class WizardState:
    host: Host
    can_apply: bool = True
    apply_refusal: str | None = None  # why applying is impossible here ("run sudo nvwizard")
    report: Report | None = None
    # Purge screen
    proposed_purge: list[str] = field(default_factory=list)  # the driver packages installed
    proposed_keep: list[tuple[str, str]] = field(default_factory=list)  # (name, why kept)
    ticked: set[str] = field(default_factory=set)  # what the user will really purge
    purge: bool = True  # False: the user declined the purge (keep the installed driver)
    # Select screen
    choices: Choices | None = None  # the plan layer's defaults, refined screen by screen
    driver: str | None = None
    headless: bool = True
    # Install screen
    plan: Plan | None = None
    simulation: Simulation | None = None
    outcome: Outcome | None = None
    # Reboot / Verify
    verify_pending: bool = False
    rebooted: bool = False  # a demo or bundle machine rebooted: Detect again, then Verify
    follow: str | None = None  # journal of a background apply to reattach to (real machines)
    verify_result: VerifyResult | None = None

    @property
    def is_demo(self) -> bool:
        return not self.host.is_real
