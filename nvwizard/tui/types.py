"""The wizard's seams, as protocols: what the controllers ask of the layers below
(`WizardBackend`, answered by backend.py's `LayersBackend` or a test's stand-in) and what an
apply in progress offers (`ApplyRun`, apply_runs.py). Nothing here imports Textual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # type hints only: the wizard's first frame needs none of these modules
    from nvwizard.engine.events import Event
    from nvwizard.engine.state import VerifyResult
    from nvwizard.host.base import Host
    from nvwizard.knowledge.explanations import Paragraph
    from nvwizard.knowledge.packages import KeptPackage
    from nvwizard.plan.models import Blocker, Choices, Plan
    from nvwizard.plan.simulate import Simulation, SimulationCheck
    from nvwizard.report.activation import Activation, ActivationFacts
    from nvwizard.report.models import DriverCandidate, Report

EventSink = Callable[["Event"], None]


class ApplyRun(Protocol):
    """A started apply: `run()` blocks (in a worker thread) until the plan ends."""

    detached: bool  # True: a worker outside the terminal applies; quitting leaves it running

    def run(self) -> object: ...

    def cancel(self) -> None:
        """Stop after the running step; never interrupts dpkg."""


class WizardBackend(Protocol):
    def detect(self, host: Host, progress: Callable[[str], None]) -> Report: ...

    def ranked(self, host: Host, headless: bool) -> Report:
        """The report detected on `host`, its driver ranked for the user's answer (the Headless
        box): the desktop ranking for a desktop, the server ranking headless."""

    def demo_host(self) -> Host: ...

    def apply_refusal(self, host: Host) -> str | None:
        """Why nothing can be applied here (not root; a log or state folder named by
        NVWIZARD_LOG_DIR/NVWIZARD_STATE_DIR that cannot be written), in one line; or None."""

    def journal_refusal(self, host: Host) -> str | None:
        """Why an apply on `host` could not write its journal (the engine's check, one line,
        the CLI's words), or None. Asked right before an apply is offered and started."""

    def purge_proposal(self, report: Report) -> tuple[list[str], list[KeptPackage]]: ...

    def planned_purge(
        self, report: Report, choices: Choices
    ) -> tuple[list[str], list[KeptPackage]]:
        """What the plan for `choices` purges and keeps (plan/build.py's own lists); raises
        UsageError/RefusedError when no plan can be built for them."""

    def autoremove_extras(self, host: Host, report: Report, to_purge: list[str]) -> list[str]: ...

    def explain(self, candidate: DriverCandidate, report: Report) -> list[Paragraph]: ...

    def default_choices(self, report: Report) -> Choices: ...

    def build_plan(self, report: Report, choices: Choices) -> Plan: ...

    def simulate(
        self, host: Host, report: Report, plan: Plan
    ) -> tuple[Simulation, SimulationCheck]: ...

    def start_apply(self, host: Host, plan: Plan, sink: EventSink) -> ApplyRun: ...

    def start_repair(self, host: Host, sink: EventSink) -> ApplyRun:
        """The repair after a failed apply: `run()` detects `host` again, builds the repair
        plan from that fresh report, applies it, and reports the plan in PLAN_STARTED."""

    def log_path(self) -> str | None: ...

    def apply_to_follow(self, host: Host) -> str | None:
        """Raises StateFileError (one line) when the state file is damaged."""

    def follow_apply(self, events_path: str, sink: EventSink) -> ApplyRun: ...

    def decide_activation(
        self, host: Host, driver: str | None
    ) -> tuple[ActivationFacts, Activation]:
        """Whether the installed driver can be loaded without a reboot, from the machine as it
        is now (read anew), and the facts that says so."""

    def activation_plan(self, host: Host, facts: ActivationFacts, activation: Activation) -> Plan:
        """The steps that load it (run them with `start_apply`)."""

    def next_boot_blocker(self, host: Host) -> Blocker | None:
        """The blocking condition no-next-boot-module where the kernel that boots next has no
        nvidia module (the machine would come back without an NVIDIA driver); else None."""

    def reboot(self, host: Host, delay_minutes: int | None) -> str: ...

    def await_reboot(self, host: Host, hurry: threading.Event | None = None) -> bool:
        """Until a demo or bundle machine has rebooted (True); False on a real machine.
        Setting `hurry` skips the rest of the simulated wait (the wizard is quitting)."""

    def verification_pending(self, host: Host) -> bool:
        """Raises StateFileError (one line) when the state file is damaged."""

    def nothing_to_verify(self, host: Host) -> str | None:
        """The engine's one line when `host` has no NVIDIA GPU (`nvwizard verify` says the
        same and runs no check), or None."""

    def verify(self, host: Host) -> VerifyResult: ...
