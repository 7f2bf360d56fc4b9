"""What an apply's events add up to on the wizard's side: each step's status, the progress, and
the log lines they show. The Install and the Load-it-now (activate) screens share it."""

from __future__ import annotations

import shlex

from nvwizard.engine import events as ev
from nvwizard.engine.progress import ADDED_MARK, DONE, FAILED, PENDING, RUNNING, PlanProgress
from nvwizard.plan.models import Plan
from nvwizard.tui.controllers.lines import DANGER, DIM, HEADING, OK, Line

STATUS_MARK = {PENDING: "·", RUNNING: "▶", DONE: "✓", FAILED: "✗"}
_STATUS_TONE = {PENDING: DIM, RUNNING: HEADING, DONE: OK, FAILED: DANGER}


class ApplyProgress:
    """What the engine's events add up to, and the log lines they show. Fed on the UI side,
    one batch at a time; the counting itself is the engine's PlanProgress."""

    def __init__(self, plan: Plan | None) -> None:
        self.plan = PlanProgress(plan)  # None: following a journal; plan-started says
        self.lines: list[str] = []  # the whole log, for `l`

    @property
    def titles(self) -> dict[str, str]:
        return self.plan.titles

    @property
    def status(self) -> dict[str, str]:
        """Each step's status, in the plan's order."""
        return self.plan.status

    @property
    def outcome(self) -> ev.Outcome | None:
        return self.plan.outcome

    def apply(self, event: ev.Event) -> list[str]:
        """Update from one event; returns the log lines it adds."""
        self.plan.update(event)
        added: list[str]
        if isinstance(event, ev.StepOutput):
            added = list(event.shown_lines)
        elif isinstance(event, ev.StepStarted):
            added = [f"==> {event.title}"]
            added += [f"$ {shlex.join(argv)}" for argv in event.argv]
        elif isinstance(event, ev.StepFinished) and not event.ok:
            added = [f"==> failed with exit code {event.exit_code}"]
        else:
            return []
        self.lines += added
        return added

    @property
    def percent(self) -> float:
        return self.plan.percent

    def plan_steps_done(self) -> list[str]:
        """The titles of the plan's steps done, in order (a step the engine added after the
        plan stopped is not where the plan stopped)."""
        plan = self.plan
        return [
            plan.titles.get(step, step)
            for step, status in plan.status.items()
            if status == DONE and not plan.is_added(step)
        ]

    def step_lines(self) -> list[Line]:
        """One line per step, the plan's then any the engine added ("[+]")."""
        lines = []
        for step, status in self.plan.status.items():
            added = f"{ADDED_MARK} " if self.plan.is_added(step) else ""
            title = self.plan.titles.get(step, step)
            lines.append(Line(f"{STATUS_MARK[status]} {added}{title}", _STATUS_TONE[status]))
        return lines
