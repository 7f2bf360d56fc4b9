"""The wizard's only door to the layers below: detection, knowledge, plans and the engine.

`WizardBackend` is what the controllers need; `LayersBackend` answers it with the real
layers. Tests may pass another backend, but the UI itself never runs a command or reads a file.
Nothing here imports Textual.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from nvwizard.engine.events import Event
from nvwizard.host.base import Host
from nvwizard.plan.models import Choices, Plan
from nvwizard.report.models import DriverCandidate, Report
from nvwizard.tui.state import Simulation, VerifyCheck, VerifyResult

if TYPE_CHECKING:
    from nvwizard.plan.simulate import SimulationCheck

EventSink = Callable[[Event], None]


@dataclass(frozen=True)
class Paragraph:
    """One part of the Select screen's explanation."""

    title: str
    text: str
    severity: str = "info"  # info, warn, block (as findings)


class ApplyRun(Protocol):
    """A started apply: `run()` blocks (in a worker thread) until the plan ends."""

    def run(self) -> None: ...

    def cancel(self) -> None:
        """Stop after the running step; never interrupts dpkg."""


class WizardBackend(Protocol):
    def detect(self, host: Host, progress: Callable[[str], None]) -> Report: ...

    def demo_host(self) -> Host: ...

    def apply_refusal(self, host: Host) -> str | None: ...

    def purge_proposal(self, report: Report) -> tuple[list[str], list[tuple[str, str]]]: ...

    def autoremove_extras(self, host: Host, report: Report, to_purge: list[str]) -> list[str]: ...

    def explain(self, candidate: DriverCandidate, report: Report) -> list[Paragraph]: ...

    def default_choices(self, report: Report) -> Choices: ...

    def build_plan(self, report: Report, choices: Choices) -> Plan: ...

    def simulate(self, host: Host, report: Report, plan: Plan) -> Simulation: ...

    def start_apply(self, host: Host, plan: Plan, sink: EventSink) -> ApplyRun: ...

    def start_repair(self, host: Host, sink: EventSink) -> ApplyRun:
        """The repair after a failed apply: `run()` detects `host` again, builds the repair
        plan from that fresh report, applies it, and reports the plan in PLAN_STARTED."""

    def log_path(self) -> str | None: ...

    def apply_to_follow(self, host: Host) -> str | None: ...

    def follow_apply(self, events_path: str, sink: EventSink) -> ApplyRun: ...

    def reboot(self, host: Host, delay_minutes: int | None) -> str: ...

    def await_reboot(self, host: Host, hurry: threading.Event | None = None) -> bool:
        """Until a demo or bundle machine has rebooted (True); False on a real machine.
        Setting `hurry` skips the rest of the simulated wait (the wizard is quitting)."""

    def verification_pending(self, host: Host) -> bool: ...

    def verify(self, host: Host) -> VerifyResult: ...


class LayersBackend:
    """The real layers. Imports happen on use so the wizard starts fast."""

    def __init__(self, today: dt.date | None = None) -> None:
        self._run: ApplyRun | None = None
        self.today = today  # fixed in snapshot tests: explanations mention end-of-life dates

    def detect(self, host: Host, progress: Callable[[str], None]) -> Report:
        from nvwizard.report.build import build_report

        progress(f"Reading {host.label}: PCI devices, packages, kernel module, Secure Boot")
        return build_report(host)

    def demo_host(self) -> Host:
        from nvwizard.simulator import demo_host

        return demo_host(None)

    def apply_refusal(self, host: Host) -> str | None:
        if host.is_real and os.geteuid() != 0:
            return "Applying changes needs root: quit and run `sudo nvwizard`."
        return None

    def purge_proposal(self, report: Report) -> tuple[list[str], list[tuple[str, str]]]:
        from nvwizard.knowledge.packages import purge_selection

        selection = purge_selection(report.installed_packages)
        return (
            [e.name for e in selection.to_purge],
            [(k.package.name, k.reason) for k in selection.kept],
        )

    def autoremove_extras(self, host: Host, report: Report, to_purge: list[str]) -> list[str]:
        from nvwizard.plan.build import default_choices
        from nvwizard.plan.models import Plan
        from nvwizard.plan.simulate import simulate

        if not to_purge:
            return []
        choices = default_choices(report)
        probe = Plan(
            steps=[],
            choices=choices,
            host_label=host.label,
            driver=choices.driver,
            flavour="",
            branch=None,
            modules="",
            purge_list=to_purge,
        )
        return simulate(host, probe).also_removed

    def explain(self, candidate: DriverCandidate, report: Report) -> list[Paragraph]:
        from nvwizard.knowledge.explanations import explain_candidate

        return [
            Paragraph(p.title, p.text, p.severity)
            for p in explain_candidate(candidate, report, self.today)
        ]

    def default_choices(self, report: Report) -> Choices:
        from nvwizard.plan.build import default_choices

        return default_choices(report)

    def build_plan(self, report: Report, choices: Choices) -> Plan:
        from nvwizard.plan.build import build_plan

        return build_plan(report, choices)

    def simulate(self, host: Host, report: Report, plan: Plan) -> Simulation:
        from nvwizard.plan.simulate import check_simulation, simulate

        sim = simulate(host, plan)
        check = check_simulation(plan, sim)
        removed = set(sim.purge.remove) if sim.purge else set()
        removed |= set(sim.also_removed)
        if sim.install:
            removed |= set(sim.install.remove)
        notes = list(check.notes)
        if sim.reinstalled:
            notes.append(
                "purged, then installed fresh (configuration files return to the packaged "
                "ones): " + " ".join(sim.reinstalled)
            )
        if check.replaced:
            notes.append(
                "replaced by the new driver through apt's Conflicts (old -> new): "
                + ", ".join(r.describe() for r in check.replaced)
            )
        problem = "; ".join(check.problems) or None
        if problem is not None:
            problem = ". ".join([problem, *_what_to_do(plan, check)])
        return Simulation(
            install=sorted(sim.install.install) if sim.install else [],
            remove=sorted(removed),
            upgrade=sorted(sim.install.upgrade) if sim.install else [],
            problem=problem,
            notes=notes,
        )

    def start_apply(self, host: Host, plan: Plan, sink: EventSink) -> ApplyRun:
        from nvwizard.tui import apply_runs

        run = (
            apply_runs.DetachedRun(plan, sink)
            if host.is_real
            else apply_runs.InProcessRun(host, plan, sink)
        )
        self._run = run
        return run

    def repair_plan(self, host: Host) -> Plan:
        """plan/build.py's repair plan, from a fresh report: the one detected before the
        failure does not know which packages the failure left unfinished."""
        from nvwizard.plan.build import build_repair_plan
        from nvwizard.report.build import build_report

        return build_repair_plan(build_report(host))

    def start_repair(self, host: Host, sink: EventSink) -> ApplyRun:
        from nvwizard.tui.apply_runs import RepairRun

        run = RepairRun(
            plan_repair=lambda: self.repair_plan(host),
            start_apply=lambda plan: self.start_apply(host, plan, sink),
            detached=host.is_real,
        )
        self._run = run
        return run

    def log_path(self) -> str | None:
        return getattr(self._run, "log_path", None)

    def apply_to_follow(self, host: Host) -> str | None:
        """The journal of an apply to reattach to: one running now, or one that ended badly
        or still needs its reboot. Only real machines apply in the background."""
        if not host.is_real:
            return None
        from nvwizard.engine import attach

        status = attach.current_apply()
        wanted = status.state == attach.RUNNING or (
            status.next_step in (attach.NEXT_REPAIR, attach.NEXT_REBOOT) and not status.verified
        )
        return status.events_path if wanted and status.events_path else None

    def follow_apply(self, events_path: str, sink: EventSink) -> ApplyRun:
        from nvwizard.tui.apply_runs import DetachedRun

        run = DetachedRun(None, sink, events_path)
        self._run = run
        return run

    def reboot(self, host: Host, delay_minutes: int | None) -> str:
        from nvwizard.engine.reboot import schedule_reboot

        message = schedule_reboot(host, delay_minutes)
        if host.is_real:
            return message
        if not delay_minutes:
            return "DEMO: the simulated machine rebooted; nothing real was rebooted."
        return (
            "DEMO: the simulated machine reboots in one minute (a few seconds here); nothing "
            "real is rebooted. On a real machine: cancel with `sudo shutdown -c`; an SSH "
            "session drops at the reboot."
        )

    def await_reboot(self, host: Host, hurry: threading.Event | None = None) -> bool:
        """A demo or bundle machine: let its scheduled reboot come due (at demo speed) and
        boot it; True once it has rebooted. A real machine: False, its reboot ends the session
        and the next `nvwizard` opens Verify from the state file."""
        if host.is_real:
            return False
        from nvwizard.simulator import SimulatedMachine

        machine = getattr(host, "simulator", None)  # the one the host was built with
        if not isinstance(machine, SimulatedMachine):
            return False
        if machine.scheduled_reboot is not None:
            machine.wait_for_scheduled_reboot(sleep=(hurry or threading.Event()).wait)
        return machine.last_boot is not None

    def verification_pending(self, host: Host) -> bool:
        from nvwizard.engine.verify import verification_pending

        return verification_pending(host)

    def verify(self, host: Host) -> VerifyResult:
        from nvwizard.engine.verify import verify

        result = verify(host)
        return VerifyResult(
            checks=[VerifyCheck(c.name, c.ok, c.detail, c.fix) for c in result.checks]
        )


def _what_to_do(plan: Plan, check: SimulationCheck) -> list[str]:
    """The wizard's controls that resolve a stop on packages the purge would drag along."""
    from nvwizard.plan.simulate import dragged_packages

    dragged = dragged_packages(plan, check)
    advice = []
    if dragged.purge_too:
        names = ", ".join(dragged.purge_too)
        advice.append(f"To purge {names} too, press b twice and tick it on Purge")
    if dragged.unkeep:
        names = ", ".join(dragged.unkeep)
        advice.append(
            f"{names} cannot stay without the driver: press b twice and tick it again on Purge"
        )
    if dragged.by_hand:
        names = " ".join(dragged.by_hand)
        advice.append(
            f"{names} needs the driver: if no longer needed, quit and remove it first "
            f"(sudo apt-get purge {names})"
        )
    return advice
