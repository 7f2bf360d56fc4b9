"""Install: the plan and the simulation to confirm, then the apply as it happens."""

from __future__ import annotations

import shlex
import threading
from collections import deque
from dataclasses import replace

from nvwizard.engine import events as ev
from nvwizard.engine.progress import RUNNING
from nvwizard.errors import EXIT_FAILED, EXIT_OK
from nvwizard.host.demo import demo_name
from nvwizard.host.demo_advice import demo_repair, unkept_demo_repair
from nvwizard.plan.models import Choices, Plan
from nvwizard.plan.simulate import Simulation
from nvwizard.tui.controllers import plan_view
from nvwizard.tui.controllers.apply_progress import ApplyProgress
from nvwizard.tui.controllers.choices import (
    container_toolkit_wanted,
    refined_choices,
    with_purge_ticks,
    without_the_purge,
)
from nvwizard.tui.controllers.lines import COMMAND, DANGER, DIM, OK, Line
from nvwizard.tui.controllers.secure_boot import installed_lines, loads_nowhere
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import ApplyRun, WizardBackend


class ApplyRefused(Exception):
    """The apply cannot start (its journal cannot be written, not root): why, in one line."""


class InstallController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend
        self.progress = ApplyProgress(None)  # empty until an apply starts or is followed
        self.run: ApplyRun | None = None
        self._events: deque[ev.Event] = deque()
        self._lock = threading.Lock()
        self._ui_gone = False
        self.engine_error: Exception | None = None  # the apply's worker died (no outcome)
        self.stopping = False  # the user quit: stop after the running step, then leave
        self.repairing = False  # the install failed and its repair was started

    def choices(self) -> Choices:
        """The plan layer's defaults for this report (asked once), with what the screens
        decided."""
        state = self.state
        chosen = replace(
            refined_choices(state, self.backend) or Choices(driver=""),
            driver=state.driver or "",
            headless=state.headless,
            container_toolkit=container_toolkit_wanted(state),
        )
        return with_purge_ticks(state, chosen)

    def prepare(self) -> tuple[Plan, Simulation | None]:
        """Runs in a worker: the plan for the choices and what apt says it would do (nothing
        to simulate when there is nothing to do)."""
        state = self.state
        plan = self._settled_plan()
        simulation, check = None, None
        if not plan.nothing_to_do:
            simulation, check = self.backend.simulate(state.host, state.detected, plan)
        state.plan, state.simulation, state.simulation_check = plan, simulation, check
        self.check_can_apply()
        return plan, simulation

    def _settled_plan(self) -> Plan:
        """The plan layer's answer (its `settle`, in the backend's build_plan): when the
        chosen driver is the one that runs, the plan that keeps it and adds only the stack
        (or nothing to do); the whole reinstall only when the user asked for it. The purge's
        ticks are no option of a plan that keeps the driver: left out of it."""
        state, report = self.state, self.state.detected
        choices = self.choices()
        plan = self.backend.build_plan(report, choices)
        state.runs_planned_driver = plan.keeps_driver or plan.nothing_to_do
        state.kept_driver_key = plan.mok_certificate if state.runs_planned_driver else None
        if not state.runs_planned_driver:
            return plan
        if state.reinstall:
            return self.backend.build_plan(report, replace(choices, reinstall=True))
        return self.backend.build_plan(report, without_the_purge(choices))

    def toggle_reinstall(self) -> bool:
        """Between the plan that keeps the running driver and its reinstall (purge with the
        Purge screen's ticks, install, reboot); prepare() builds it. True: now reinstalling."""
        state = self.state
        state.reinstall = not state.reinstall
        state.purge = state.reinstall  # a reinstall purges; keeping it purges nothing
        return state.reinstall

    @property
    def offers_reinstall(self) -> bool:
        """The plan is built and its driver is the one that runs: r switches."""
        return self.state.plan is not None and self.state.runs_planned_driver

    def check_can_apply(self) -> bool:
        """Ask again whether an apply could run and write its journal (a folder may have
        changed since Detect); the state says why not. True when it can."""
        state, host = self.state, self.state.host
        state.apply_refusal = self.backend.apply_refusal(host) or self.backend.journal_refusal(host)
        state.can_apply = state.apply_refusal is None
        return state.can_apply

    @property
    def simulation_problem(self) -> str | None:
        """Why the simulation refuses the plan and what resolves it, or None."""
        return plan_view.simulation_problem(self.state)

    def plan_lines(self) -> list[Line]:
        return plan_view.plan_lines(self.state)

    # The apply: the engine runs in a worker thread and drops events here; the UI drains them.
    def start(self) -> ApplyRun:
        plan = self.state.plan
        if plan is None:
            raise LookupError("nothing to apply: prepare() builds the plan first")
        if not self.check_can_apply():
            raise ApplyRefused(self.state.apply_refusal or "applying is not possible here")
        self.progress = ApplyProgress(plan)
        self.state.outcome = None
        # the machine changes after its reboot: Verify after this apply follows no reboot
        self.state.rebooted = False
        self.engine_error = None
        self.repairing = False
        self.run = self.backend.start_apply(self.state.host, plan, self._receive)
        return self.run

    def follow(self) -> ApplyRun:
        """Reattach to the apply running (or ended) in the background: replay, then live."""
        events_path = self.state.follow
        if events_path is None:
            raise LookupError("no apply to follow: Detect found none running in the background")
        self.progress = ApplyProgress(None)
        self.state.outcome = None
        self.engine_error = None
        self.repairing = False
        self.run = self.backend.follow_apply(events_path, self._receive)
        return self.run

    @property
    def detached(self) -> bool:
        return bool(getattr(self.run, "detached", False))

    def start_repair(self) -> ApplyRun:
        """Repair after a failure; the log so far stays in the full log. The repair plan comes
        from a fresh detection in the worker, so its steps arrive with PLAN_STARTED."""
        earlier = self.progress.lines
        self.progress = ApplyProgress(None)
        self.progress.lines = list(earlier)
        self.state.outcome = None
        self.engine_error = None
        self.repairing = True
        self.run = self.backend.start_repair(self.state.host, self._receive)
        return self.run

    def _receive(self, event: ev.Event) -> None:
        if self._ui_gone:
            return  # nobody will drain them; the journal on disk keeps every event
        with self._lock:
            self._events.append(event)

    def drain(self) -> list[str]:
        """Apply the queued events; returns the new log lines."""
        with self._lock:
            batch = list(self._events)
            self._events.clear()
        added: list[str] = []
        for event in batch:
            added += self.progress.apply(event)
        if self.progress.outcome is not None and self.state.outcome is None:
            outcome = self.progress.outcome
            if outcome.log_path is None:
                outcome = replace(outcome, log_path=self.backend.log_path())
            self.state.outcome = outcome
        return added

    def engine_stopped(self, error: Exception) -> None:
        """The apply's worker died with `error`: nothing runs any more."""
        self.engine_error = error

    @property
    def exit_code(self) -> int:
        """The wizard's exit code for this install, as `nvwizard install` says it: 0 when it
        succeeded, 1 when it failed, was cancelled or did not end here (the worker died, or
        the user left while it stopped); 1 also after the repair of a failed install, which
        installs no driver. An install left running in the background is the app's to say."""
        if self.run is None:
            return EXIT_OK
        outcome = self.progress.outcome
        if self.repairing or outcome is None or not outcome.ok:
            return EXIT_FAILED
        return EXIT_OK

    @property
    def running(self) -> bool:
        """An apply started here and has not ended. From this controller's own events, not
        the state's outcome: a simulated reboot clears that (the next Detect starts over)."""
        return self.run is not None and self.progress.outcome is None and self.engine_error is None

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()

    def stop_then_quit(self) -> None:
        """The user quit while this apply runs in the wizard's process: stop after the running
        step and go on taking the events, so the screen says where it stops until it has."""
        self.stopping = True
        self.cancel()

    @property
    def running_step(self) -> str | None:
        """The title of the step running now, if any."""
        for step, status in self.progress.status.items():
            if status == RUNNING:
                return self.progress.titles.get(step, step)
        return None

    def stopping_text(self) -> str:
        step = self.running_step
        where = f"after the running step ({step})" if step else "before the next step"
        return f"Stopping the install {where}: dpkg is never interrupted. The wizard closes then."

    def farewell(self) -> str:
        """The line printed when the wizard has left: where the install stopped and what next."""
        outcome = self.state.outcome
        if outcome is None:  # quit again before the step ended
            step = self.running_step
            where = f"after its running step ({step})" if step else "before its next step"
            return (
                f"nvwizard: the install stops {where}; dpkg is never interrupted. Run nvwizard "
                "again to see where it stopped and finish it."
            )
        done = self.progress.plan_steps_done()
        last = f"after: {done[-1]}" if done else "before its first step"
        if outcome.ok:
            text = (
                "nvwizard: the install finished before it could stop; run nvwizard again to "
                "load the driver (or reboot)."
            )
        elif outcome.status == ev.CANCELLED:
            text = (
                f"nvwizard: the install stopped as asked, {last}; "
                f"{outcome.message or 'the rest did not run'}. "
                f"{outcome.next_action or 'Run nvwizard again to finish it.'}"
            )
        else:
            after = self.demo_repair()
            after = f"Next: {after}." if after else outcome.next_action or ""
            text = f"nvwizard: the install failed: {outcome.message}. {after}"
        if outcome.log_path and not self.state.is_demo:
            text = f"{text.rstrip()} Log: {outcome.log_path}"
        return text.rstrip()

    def leave(self) -> None:
        """The wizard is exiting: stop after the running step and stop queueing its events.
        (An in-process apply finishes that step before the process ends; a flood of output
        meanwhile would otherwise pile up in memory with no screen left to drain it.)"""
        self._ui_gone = True
        with self._lock:
            self._events.clear()
        self.cancel()

    def outcome_lines(self) -> list[Line]:
        outcome = self.state.outcome
        if outcome is None:
            return []
        if outcome.ok:
            if self.state.plan is not None and self.state.plan.keeps_driver:
                return [
                    Line("✓ Installed. The driver stayed as it runs: no reboot is needed.", OK),
                    Line("  n: Verify checks the driver.", DIM),
                ]
            if loads_nowhere(self.state):  # the line below says why: one thing, said once
                return [Line("✓ Installed.", OK), *installed_lines(self.state)]
            done = "✓ Installed. Press n to load it: now where that is safe, or by a reboot."
            return [Line(done, OK), *installed_lines(self.state)]
        lines = [
            Line(f"✗ {outcome.status.upper()}: {outcome.message or 'the apply stopped'}", DANGER)
        ]
        if outcome.failed_step:
            title = self.progress.titles.get(outcome.failed_step, outcome.failed_step)
            lines.append(Line(f"  failed step: {title}", DANGER))
        if outcome.log_path:
            lines.append(Line(f"  log: {outcome.log_path}", DIM))
        if outcome.repair and self.state.host.kind == "demo":
            # the Repair button runs a repair plan on the demo; this computer's
            # `dpkg --configure -a` would never reach it (quitting says the command line's way)
            lines.append(Line("  repair: Enter repairs the demo's package manager", COMMAND))
        elif outcome.repair:
            lines.append(Line(f"  repair: {shlex.join(outcome.repair)}", COMMAND))
        return lines

    def parting(self) -> str | None:
        """The line said when the wizard is quit after this install failed on a demo: what
        repairs the demo from the command line then; None otherwise."""
        outcome = self.state.outcome
        repair = self.demo_repair()
        if outcome is None or outcome.status != ev.FAILED or repair is None or self.running:
            return None
        return f"nvwizard: the install on {self.state.host.label} failed. Next: {repair}."

    def demo_repair(self) -> str | None:
        """On a demo: what repairs it from the command line (the words `nvwizard status`
        uses: its install again, or its reset); None on any other machine."""
        host = self.state.host
        name = demo_name(host.label) if host.kind == "demo" else None
        if name is None:
            return None
        saved_in = host.saved_in
        if saved_in is None:
            return unkept_demo_repair(name)
        plan = self.state.plan
        if plan is None:
            return demo_repair(name, None, activation=False, saved_in=saved_in)
        return demo_repair(name, plan.driver, False, saved_in, plan.install_options)
