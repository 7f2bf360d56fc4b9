"""Install: the plan and the simulation to confirm, then the apply as it happens."""

from __future__ import annotations

import shlex
import threading
from collections import deque
from dataclasses import replace

from nvwizard.engine import events as ev
from nvwizard.engine.events import Event
from nvwizard.plan.models import Choices, Plan
from nvwizard.tui.backend import ApplyRun, WizardBackend
from nvwizard.tui.controllers.lines import COMMAND, DANGER, DIM, HEADING, OK, WARN, Line
from nvwizard.tui.state import Outcome, Simulation, WizardState

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
STATUS_MARK = {PENDING: "·", RUNNING: "▶", DONE: "✓", FAILED: "✗"}


class ApplyProgress:
    """What the engine's events add up to. Fed on the UI side, one batch at a time."""

    def __init__(self, plan: Plan | None) -> None:
        steps = plan.steps if plan else []  # None: following a journal; PLAN_STARTED says
        self.titles = {s.id: s.title for s in steps}
        self.status = {s.id: PENDING for s in steps}
        self.step_percent = 0.0
        self.lines: list[str] = []  # the whole log, for `l`
        self.outcome: Outcome | None = None

    def apply(self, event: Event) -> list[str]:
        """Update from one event; returns the log lines it adds."""
        added: list[str] = []
        if event.kind == ev.PLAN_STARTED and not self.status:
            for step in event.data.get("plan", {}).get("steps", []):
                self.titles[step["id"]] = step["title"]
                self.status[step["id"]] = PENDING
        elif event.kind == ev.STEP_STARTED:
            self.status[event.step] = RUNNING
            self.titles.setdefault(event.step, event.data.get("title", event.step))
            self.step_percent = 0.0
            added.append(f"==> {event.data.get('title', event.step)}")
            added += [f"$ {shlex.join(argv)}" for argv in event.data.get("argv", [])]
        elif event.kind == ev.OUTPUT:
            added.append(event.data.get("line", ""))
        elif event.kind == ev.PROGRESS:
            self.step_percent = float(event.data.get("percent", 0.0))
        elif event.kind == ev.STEP_FINISHED:
            ok = event.data.get("ok", event.data.get("exit_code") == 0)
            self.status[event.step] = DONE if ok else FAILED
            self.step_percent = 0.0
            if not ok:
                added.append(f"==> failed with exit code {event.data.get('exit_code')}")
        elif event.kind == ev.PLAN_FINISHED:
            data = event.data
            self.outcome = Outcome(
                result=data.get("outcome", "failed"),
                failed_step=data.get("failed_step"),
                message=data.get("message"),
                repair=_argv_list(data.get("repair")),
                reboot_required=bool(data.get("reboot_required")),
                log_path=data.get("log_path"),
            )
        self.lines += added
        return added

    @property
    def percent(self) -> float:
        total = len(self.status) or 1
        done = sum(1 for s in self.status.values() if s == DONE)
        return min(100.0, (done + self.step_percent / 100.0) * 100.0 / total)

    def step_lines(self) -> list[Line]:
        tones = {PENDING: DIM, RUNNING: HEADING, DONE: OK, FAILED: DANGER}
        return [
            Line(f"{STATUS_MARK[status]} {self.titles.get(step, step)}", tones[status])
            for step, status in self.status.items()
        ]


class InstallController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend
        self.progress: ApplyProgress | None = None
        self.run: ApplyRun | None = None
        self._events: deque[Event] = deque()
        self._lock = threading.Lock()
        self._ui_gone = False

    def choices(self) -> Choices:
        state = self.state
        kept_names = {name for name, _ in state.proposed_keep}
        return replace(
            state.choices or Choices(driver=""),
            driver=state.driver or "",
            purge=state.purge and bool(state.ticked),
            keep=tuple(n for n in state.proposed_purge if n not in state.ticked),
            also_purge=tuple(sorted(state.ticked & kept_names)),
            headless=state.headless,
        )

    def prepare(self) -> tuple[Plan, Simulation]:
        """Runs in a worker: the plan for the choices and what apt says it would do."""
        state = self.state
        plan = self.backend.build_plan(state.report, self.choices())
        simulation = self.backend.simulate(state.host, state.report, plan)
        state.plan, state.simulation = plan, simulation
        return plan, simulation

    def plan_lines(self) -> list[Line]:
        plan, sim = self.state.plan, self.state.simulation
        lines = [Line(f"Driver {plan.driver} ({plan.modules} kernel modules)", HEADING)]
        if sim is not None:
            lines.append(Line("The simulation (apt-get -s) says:", HEADING))
            lines += _package_set("install", sim.install, OK)
            lines += _package_set("remove", sim.remove, DANGER)
            lines += _package_set("upgrade", sim.upgrade, WARN)
            lines += [Line(f"  note: {note}", WARN) for note in sim.notes]
            if sim.problem:
                lines.append(Line(f"! {sim.problem}", DANGER))
        lines += [Line(f"! {w}", WARN) for w in plan.warnings]
        lines.append(Line(""))
        for number, step in enumerate(plan.steps, 1):
            lines.append(Line(f"{number}. {step.title}", HEADING))
            lines.append(Line(f"   {step.why}", DIM))
            lines += [Line(f"   $ {shlex.join(argv)}", COMMAND) for argv in step.commands]
        return lines

    # The apply: the engine runs in a worker thread and drops events here; the UI drains them.
    def start(self) -> ApplyRun:
        self.progress = ApplyProgress(self.state.plan)
        self.state.outcome = None
        self.run = self.backend.start_apply(self.state.host, self.state.plan, self._receive)
        return self.run

    def follow(self) -> ApplyRun:
        """Reattach to the apply running (or ended) in the background: replay, then live."""
        self.progress = ApplyProgress(None)
        self.state.outcome = None
        self.run = self.backend.follow_apply(self.state.follow, self._receive)
        return self.run

    @property
    def detached(self) -> bool:
        return bool(getattr(self.run, "detached", False))

    def start_repair(self) -> ApplyRun:
        """Repair after a failure; the log so far stays in the full log. The repair plan comes
        from a fresh detection in the worker, so its steps arrive with PLAN_STARTED."""
        earlier = self.progress.lines if self.progress else []
        self.progress = ApplyProgress(None)
        self.progress.lines = list(earlier)
        self.state.outcome = None
        self.run = self.backend.start_repair(self.state.host, self._receive)
        return self.run

    def _receive(self, event: Event) -> None:
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
                log_path = self.backend.log_path()
                outcome = Outcome(**{**outcome.__dict__, "log_path": log_path})
            self.state.outcome = outcome
        return added

    @property
    def running(self) -> bool:
        return self.run is not None and self.state.outcome is None

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()

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
        if outcome.result == "done":
            return [Line("✓ Installed. A reboot loads the new driver: press n.", OK)]
        lines = [
            Line(f"✗ {outcome.result.upper()}: {outcome.message or 'the apply stopped'}", DANGER)
        ]
        if outcome.failed_step:
            title = self.progress.titles.get(outcome.failed_step, outcome.failed_step)
            lines.append(Line(f"  failed step: {title}", DANGER))
        if outcome.log_path:
            lines.append(Line(f"  log: {outcome.log_path}", DIM))
        if outcome.repair:
            lines += [Line(f"  repair: {shlex.join(a)}", COMMAND) for a in outcome.repair]
        return lines


def _argv_list(repair: list | None) -> list[list[str]] | None:
    """The engine gives one argv; a list of argv lists is accepted too."""
    if not repair:
        return None
    return [list(repair)] if isinstance(repair[0], str) else [list(a) for a in repair]


def _package_set(verb: str, names: list[str], tone: str) -> list[Line]:
    if not names:
        return [Line(f"  {verb}: nothing", DIM)]
    return [Line(f"  {verb} {len(names)}: {' '.join(names)}", tone, hang=2)]
