"""The wizard's only door to the layers below: detection, knowledge, plans and the engine.

`LayersBackend` answers the `WizardBackend` protocol (tui/types.py) with the real layers;
tests may pass another backend, but the UI itself never runs a command or reads a file.
Nothing here imports Textual.

Detection's layers are imported with this module. The ones needed only after Detect (plans,
simulation, explanations, the engine) are imported where first used, in the worker thread
that uses them: importing them before the first frame would cost ~50 ms of CPU (issue 12);
each such import is marked "lazy".
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from nvwizard.engine import paths
from nvwizard.host.base import Host
from nvwizard.host.demo import demo_name
from nvwizard.knowledge.packages import KeptPackage, purge_selection
from nvwizard.report.build import build_report
from nvwizard.report.models import DriverCandidate, Report
from nvwizard.report.wording import WIZARD
from nvwizard.simulator import SimulatedMachine, demo_host, demo_label
from nvwizard.tui.types import ApplyRun, EventSink

if TYPE_CHECKING:
    from nvwizard.engine.state import VerifyResult
    from nvwizard.knowledge.explanations import Paragraph
    from nvwizard.plan.models import Blocker, Choices, Plan
    from nvwizard.plan.simulate import Simulation, SimulationCheck
    from nvwizard.report.activation import Activation, ActivationFacts


class LayersBackend:
    """The real layers."""

    def __init__(self, today: dt.date | None = None) -> None:
        self._run: ApplyRun | None = None
        self.today = today  # fixed in snapshot tests: the day end-of-life dates are judged

    # -- Detect ---------------------------------------------------------------------------

    def detect(self, host: Host, progress: Callable[[str], None]) -> Report:
        progress(f"Reading {host.label}: PCI devices, packages, kernel module, Secure Boot")
        return build_report(host, self.today, words=WIZARD)  # its fixes name the wizard's keys

    def ranked(self, host: Host, headless: bool) -> Report:
        # the host caches what it read: this interprets it again, running no command
        return build_report(host, self.today, headless=headless, words=WIZARD)

    def demo_host(self) -> Host:
        return demo_host(None)

    def apply_refusal(self, host: Host) -> str | None:
        if host.is_real and os.geteuid() != 0:
            return "Applying changes needs root: quit and run `sudo nvwizard`."
        try:  # what every CLI command checks first, in the CLI's words (engine/paths.py)
            paths.check_settings()
        except paths.PlaceError as error:
            return str(error)
        return None

    def journal_refusal(self, host: Host) -> str | None:
        # lazy: the journal (see the module docstring)
        from nvwizard.engine.journal import check_can_journal

        try:
            check_can_journal(host)
        except paths.PlaceError as error:
            return str(error)
        return None

    def purge_proposal(self, report: Report) -> tuple[list[str], list[KeptPackage]]:
        selection = purge_selection(report.installed_packages)
        return [e.name for e in selection.to_purge], list(selection.kept)

    def planned_purge(
        self, report: Report, choices: Choices
    ) -> tuple[list[str], list[KeptPackage]]:
        # lazy: plans (see the module docstring)
        from nvwizard.plan.build import planned_purge

        return planned_purge(report, choices)

    def verification_pending(self, host: Host) -> bool:
        if not host.is_real:
            return False  # only a real machine keeps a state file between runs
        # lazy: a real machine's state file (see the module docstring)
        from nvwizard.engine.verify import verification_pending

        return verification_pending(host)

    def apply_to_follow(self, host: Host) -> str | None:
        """The journal of an apply to reattach to: one running now, or one that ended badly
        or still needs its reboot. Only real machines apply in the background."""
        if not host.is_real:
            return None
        # lazy: a real machine's state file (see the module docstring)
        from nvwizard.engine import attach

        status = attach.current_apply()
        wanted = status.state == attach.RUNNING or (
            status.next_step in (attach.NEXT_REPAIR, attach.NEXT_REBOOT) and not status.verified
        )
        return status.events_path if wanted and status.events_path else None

    # -- Purge, Select --------------------------------------------------------------------

    def autoremove_extras(self, host: Host, report: Report, to_purge: list[str]) -> list[str]:
        # lazy: plans and their simulation (see the module docstring)
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
        # lazy: the explanations (see the module docstring)
        from nvwizard.report.explain import explain_candidate

        return explain_candidate(candidate, report)

    # -- Install --------------------------------------------------------------------------

    def default_choices(self, report: Report) -> Choices:
        # lazy: plans (see the module docstring)
        from nvwizard.plan.build import default_choices

        return default_choices(report)

    def build_plan(self, report: Report, choices: Choices) -> Plan:
        """The plan as `nvwizard plan` settles it: on a machine that runs its driver, only
        what the choices add (or nothing to do), unless `choices.reinstall`."""
        # lazy: plans (see the module docstring)
        from nvwizard.plan.build import build_plan
        from nvwizard.plan.nothing_to_do import settle

        # its warnings name the wizard's screens
        return settle(report, build_plan(report, choices, WIZARD))

    def simulate(
        self, host: Host, report: Report, plan: Plan
    ) -> tuple[Simulation, SimulationCheck]:
        # lazy: the simulation (see the module docstring)
        from nvwizard.plan.simulate import check_simulation, simulate

        simulation = simulate(host, plan)
        return simulation, check_simulation(plan, simulation)

    def start_apply(self, host: Host, plan: Plan, sink: EventSink) -> ApplyRun:
        # lazy: the engine (see the module docstring)
        from nvwizard.tui.apply_runs import DetachedRun, InProcessRun

        run: ApplyRun = DetachedRun(plan, sink) if host.is_real else InProcessRun(host, plan, sink)
        self._run = run
        return run

    def repair_plan(self, host: Host) -> Plan:
        """plan/build.py's repair plan, from a fresh report: the one detected before the
        failure does not know which packages the failure left unfinished."""
        # lazy: plans (see the module docstring)
        from nvwizard.plan.build import build_repair_plan

        return build_repair_plan(build_report(host, self.today))

    def start_repair(self, host: Host, sink: EventSink) -> ApplyRun:
        # lazy: the engine (see the module docstring)
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

    def follow_apply(self, events_path: str, sink: EventSink) -> ApplyRun:
        # lazy: the engine (see the module docstring)
        from nvwizard.tui.apply_runs import DetachedRun

        run = DetachedRun(None, sink, events_path)
        self._run = run
        return run

    # -- Reboot (or load it now), Verify --------------------------------------------------

    def decide_activation(
        self, host: Host, driver: str | None
    ) -> tuple[ActivationFacts, Activation]:
        # lazy: the activation's decision (see the module docstring)
        from nvwizard.report.activation import decide_activation
        from nvwizard.report.activation_facts import activation_facts

        facts = activation_facts(host, driver)
        return facts, decide_activation(facts)

    def activation_plan(self, host: Host, facts: ActivationFacts, activation: Activation) -> Plan:
        # lazy: plans (see the module docstring)
        from nvwizard.plan.activate import build_activation_plan

        return build_activation_plan(facts, activation, host.label)

    def next_boot_blocker(self, host: Host) -> Blocker | None:
        # lazy: the engine and plans (see the module docstring)
        from nvwizard.engine.next_boot import missing_module_words
        from nvwizard.plan.reboot import no_next_boot_module

        words = missing_module_words(host)
        return None if words is None else no_next_boot_module(words)

    def reboot(self, host: Host, delay_minutes: int | None) -> str:
        # lazy: the engine (see the module docstring)
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
        and the next `nvwizard` opens Verify from the state file. A demo's label then says
        what changed, "(after your changes: ..., rebooted)", as `nvwizard detect --demo` does."""
        machine = getattr(host, "simulator", None)  # the one the host was built with
        if host.is_real or not isinstance(machine, SimulatedMachine):
            return False
        if machine.scheduled_reboot is not None:
            machine.wait_for_scheduled_reboot(sleep=(hurry or threading.Event()).wait)
        name = demo_name(host.label) if host.kind == "demo" else None
        if name is not None:
            host.label = demo_label(name, machine)
        return machine.last_boot is not None

    def nothing_to_verify(self, host: Host) -> str | None:
        # lazy: the verification (see the module docstring)
        from nvwizard.engine.verify import nothing_to_verify

        return nothing_to_verify(build_report(host), host.label)  # the host caches what it read

    def verify(self, host: Host) -> VerifyResult:
        # lazy: the verification (see the module docstring)
        from nvwizard.engine.verify import verify

        if host.is_real:  # the result is recorded in the state file: say now if it cannot be
            paths.check_writable(paths.state_dir(), paths.STATE_SETTING)
        # on a demo, its fixes are said with this wizard's keys
        return verify(host, in_wizard=True)
