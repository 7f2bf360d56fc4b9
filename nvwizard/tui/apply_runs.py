"""The two ways the wizard applies a plan, behind one `run()`/`cancel()` face.

Demo and bundle machines apply in-process on their simulated model. A real machine applies in
a detached worker that survives the terminal (engine/detach.py); the wizard only follows its
journal, so quitting the wizard stops the following, never the install.
Nothing here imports Textual.
"""

from __future__ import annotations

import threading
from pathlib import Path

from nvwizard.host.base import Host
from nvwizard.plan import models as pm
from nvwizard.plan.models import Choices, Plan, Step
from nvwizard.tui.backend import EventSink


class InProcessRun:
    detached = False

    def __init__(self, host: Host, plan: Plan, sink: EventSink) -> None:
        from nvwizard.engine.journal import Journal
        from nvwizard.engine.runner import Engine

        self.journal = Journal.for_host(host)
        self.log_path = str(self.journal.log_path)
        self.engine = Engine(host, plan, journal=self.journal, listeners=[sink])

    def run(self):
        """Apply the plan; returns the engine's outcome."""
        try:
            return self.engine.run()
        finally:
            self.journal.close()

    def cancel(self) -> None:
        self.engine.cancel()


class DetachedRun:
    """Starts the detached worker, then follows its journal until the plan ends."""

    detached = True

    def __init__(self, plan: Plan | None, sink: EventSink, events_path: str | None = None):
        self.plan = plan
        self.sink = sink
        self.events_path = events_path
        self.log_path: str | None = None
        self._stop = threading.Event()

    def run(self) -> None:
        from nvwizard.engine.attach import replay_and_follow
        from nvwizard.engine.detach import start_detached_apply

        if self.events_path is None:
            started = start_detached_apply(self.plan)
            self.events_path, self.log_path = str(started.events_path), str(started.log_path)
        elif self.log_path is None:
            self.log_path = str(Path(self.events_path).with_suffix(".log"))
        for event in replay_and_follow(self.events_path, stop=self._stop.is_set):
            self.sink(event)

    def cancel(self) -> None:
        """Stop following; the worker goes on (it survives the terminal by design)."""
        self._stop.set()


def repair_plan(host_label: str, repair: list[list[str]]) -> Plan:
    """A one-step plan that runs the repair the engine offered (e.g. dpkg --configure -a)."""
    step = Step(
        id="repair",
        title="Repair the package system",
        why="The last apply left packages half-configured.",
        commands=[list(argv) for argv in repair],
        changes_system=True,
        on_failure="Run the command by hand as root and read its output.",
        kind=pm.REPAIR,
    )
    return Plan(
        steps=[step],
        choices=Choices(driver=""),
        host_label=host_label,
        driver="",
        flavour="",
        branch=None,
        modules="",
    )
