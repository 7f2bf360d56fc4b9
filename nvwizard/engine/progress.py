"""How far an apply is, from its events: the one fold that `status`, the CLI and the wizard use.

Feed every event, in order, to `PlanProgress.update`; it knows the plan's steps (from the plan
or the plan-started event), each step's status, the running step and apt's percent within it,
the plan's percent, and the outcome once the plan has finished.
"""

from __future__ import annotations

from nvwizard.engine import events as ev
from nvwizard.plan.models import Plan

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


class PlanProgress:
    def __init__(self, plan: Plan | None = None) -> None:
        # Ordered as the plan's steps. Unknown (None) when following a journal: the
        # plan-started event says.
        self.titles: dict[str, str] = {}
        self.status: dict[str, str] = {}
        self.step_id: str | None = None  # the running (or last started) step
        self.step_title: str | None = None
        self.step_percent: float | None = None  # apt's percent within that step
        self.outcome: ev.Outcome | None = None  # set by the plan-finished event
        if plan is not None:
            self._set_plan(plan)

    def _set_plan(self, plan: Plan) -> None:
        self.titles = {s.id: s.title for s in plan.steps}
        self.status = {s.id: PENDING for s in plan.steps}

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

    @property
    def step_count(self) -> int:
        return len(self.status)

    @property
    def step_index(self) -> int:
        """1-based index of the running (or last) step in the plan; 0 before the first."""
        if self.step_id is None or self.step_id not in self.status:
            return 0
        return list(self.status).index(self.step_id) + 1

    @property
    def percent(self) -> float:
        """The whole plan: the steps done, and the running step's share by apt's percent."""
        if not self.status:
            return 0.0
        done = sum(1 for status in self.status.values() if status == DONE)
        running = 0.0
        if self.step_id is not None and self.status.get(self.step_id) == RUNNING:
            running = (self.step_percent or 0.0) / 100.0
        return round(min(100.0, 100.0 * (done + running) / len(self.status)), 1)

    def to_json(self) -> dict:
        """The `progress` object of `nvwizard status --json`."""
        return {
            "step_index": self.step_index,
            "step_count": self.step_count,
            "step_id": self.step_id,
            "step_title": self.step_title,
            "step_percent": self.step_percent,
            "percent": self.percent,
        }


def progress_of(events: list[ev.Event]) -> PlanProgress:
    progress = PlanProgress()
    for event in events:
        progress.update(event)
    return progress
