"""How far an apply is, from its events: the one fold that `status`, the CLI and the wizard use.

Feed every event, in order, to `PlanProgress.update`; it knows the plan's steps (from the plan
or the plan-started event), each step's status, the running step and apt's percent within it,
the plan's percent, and the outcome once the plan has finished.

A step the engine adds once the apply has stopped (putting the administrator's holds back,
starting the GPU services again: not one of the plan's) is listed after the plan's and
counted apart: `step_count`, `step_index` and `percent` are the plan's, and `step_added` says
the running step is such a one (front ends show it as "[+]", never as one more "[n/N]").
"""

from __future__ import annotations

from nvwizard.engine import events as ev
from nvwizard.plan.models import Plan

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
ADDED_MARK = "[+]"  # how front ends number a step the engine added (not the plan's)


class PlanProgress:
    def __init__(self, plan: Plan | None = None) -> None:
        # Ordered as the plan's steps. Unknown (None) when following a journal: the
        # plan-started event says.
        self.titles: dict[str, str] = {}
        self.status: dict[str, str] = {}  # the plan's steps, then any the engine added
        self.planned: tuple[str, ...] = ()  # the plan's steps (empty: no plan known yet)
        self.step_id: str | None = None  # the running (or last started) step
        self.step_title: str | None = None
        self.step_percent: float | None = None  # apt's percent within that step
        self.outcome: ev.Outcome | None = None  # set by the plan-finished event
        if plan is not None:
            self._set_plan(plan)

    def _set_plan(self, plan: Plan) -> None:
        self.titles = {s.id: s.title for s in plan.steps}
        self.status = {s.id: PENDING for s in plan.steps}
        self.planned = tuple(s.id for s in plan.steps)

    def update(self, event: ev.Event) -> None:
        if isinstance(event, ev.StepProgress):
            if event.step == self.step_id:
                self.step_percent = event.percent
        elif isinstance(event, ev.StepStarted):
            self.status[event.step] = RUNNING
            self.titles.setdefault(event.step, event.title)
            self.step_id, self.step_title = event.step, event.title
            self.step_percent = None
        elif isinstance(event, ev.StepFinished):
            self.status[event.step] = DONE if event.ok else FAILED
        elif isinstance(event, ev.PlanStarted):
            self._set_plan(event.plan)
        elif isinstance(event, ev.PlanFinished):
            self.outcome = event.outcome

    def is_added(self, step: str) -> bool:
        """`step` is one the engine added after the plan's (a plan is known)."""
        return bool(self.planned) and step not in self.planned

    @property
    def step_added(self) -> bool:
        """The running (or last) step is one the engine added, not the plan's."""
        return self.step_id is not None and self.is_added(self.step_id)

    def _plan_steps(self) -> list[str]:
        return list(self.planned) if self.planned else list(self.status)

    @property
    def step_count(self) -> int:
        """How many steps the plan has (those the engine added not counted)."""
        return len(self._plan_steps())

    @property
    def step_index(self) -> int:
        """1-based index of the running (or last) step in the plan; 0 before the first. While
        a step the engine added runs: the plan's last step that started (where it stopped)."""
        steps = self._plan_steps()
        if self.step_id in steps:
            return steps.index(self.step_id) + 1
        started = [i for i, step in enumerate(steps) if self.status.get(step, PENDING) != PENDING]
        return started[-1] + 1 if self.step_added and started else 0

    @property
    def percent(self) -> float:
        """The whole plan: its steps done, and the running step's share by apt's percent
        (the steps the engine added are not the plan's: they count for nothing)."""
        steps = self._plan_steps()
        if not steps:
            return 0.0
        done = sum(1 for step in steps if self.status.get(step) == DONE)
        running = 0.0
        if self.step_id in steps and self.status.get(self.step_id) == RUNNING:
            running = (self.step_percent or 0.0) / 100.0
        return round(min(100.0, 100.0 * (done + running) / len(steps)), 1)

    def to_json(self) -> dict:
        """The `progress` object of `nvwizard status --json`."""
        return {
            "step_index": self.step_index,
            "step_count": self.step_count,
            "step_id": self.step_id,
            "step_title": self.step_title,
            "step_added": self.step_added,
            "step_percent": self.step_percent,
            "percent": self.percent,
        }


def progress_of(events: list[ev.Event]) -> PlanProgress:
    progress = PlanProgress()
    for event in events:
        progress.update(event)
    return progress
