"""The wizard's model: what it knows and what the user decided, screen after screen.

Views never hold facts of their own; they read and write this object through their
controller. Nothing here imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the layers' own models, used as they are (type hints only: start-up)
    from nvwizard.engine.events import Outcome
    from nvwizard.engine.state import VerifyResult
    from nvwizard.host.base import Host
    from nvwizard.knowledge.packages import KeptPackage
    from nvwizard.plan.models import Choices, Plan
    from nvwizard.plan.simulate import Simulation, SimulationCheck
    from nvwizard.report.models import Report


@dataclass
class WizardState:
    host: Host
    can_apply: bool = True
    apply_refusal: str | None = None  # why applying is impossible here ("run sudo nvwizard")
    report: Report | None = None
    # Purge screen: the plan layer's own lists (for the driver chosen so far), once planned
    proposed_purge: list[str] = field(default_factory=list)  # the driver packages installed
    proposed_keep: list[KeptPackage] = field(default_factory=list)  # installed, kept: and why
    purge_planned: bool = False  # False: Detect's first split, before the plan layer's lists
    ticked: set[str] = field(default_factory=set)  # what the user will really purge
    purge: bool = True  # False: the user declined the purge (keep the installed driver)
    # The driver the plan installs is the one that runs (installed and loaded, nothing
    # pending): the plan keeps it and adds only the stack (plan/nothing_to_do.py `settle`).
    # Asked on Purge for the driver chosen so far, on Install for the chosen one.
    runs_planned_driver: bool = False
    # ... or it is installed and Secure Boot rejects its DKMS-built module until this key is
    # enrolled: kept all the same (a reinstall builds the same module), but it does not run
    kept_driver_key: str | None = None
    reinstall: bool = False  # the user asked to purge and install the running driver again
    # Select screen
    choices: Choices | None = None  # the plan layer's defaults (once asked), refined by screens
    driver: str | None = None
    headless: bool = True
    # Stack screen: its container toolkit tick was given while the purge removed the toolkit
    # (so it means "install it again"; controllers/choices.py: container_toolkit_wanted)
    container_ticked_to_reinstall: bool = False
    # Install screen
    plan: Plan | None = None
    simulation: Simulation | None = None  # what apt says the plan does
    simulation_check: SimulationCheck | None = None  # and whether that is what was confirmed
    outcome: Outcome | None = None
    # Reboot / Verify
    verify_pending: bool = False
    rebooted: bool = False  # a demo or bundle machine rebooted (until the next apply)
    follow: str | None = None  # journal of a background apply to reattach to (real machines)
    verify_result: VerifyResult | None = None
    state_problem: str | None = None  # the state file is damaged: why, and what to do

    @property
    def is_demo(self) -> bool:
        return not self.host.is_real

    @property
    def detected(self) -> Report:
        """The report, for the screens after Detect: they open only once there is one."""
        if self.report is None:
            raise LookupError("the machine has not been detected yet")
        return self.report
