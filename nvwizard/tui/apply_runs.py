"""The ways the wizard applies a plan, behind one `run()`/`cancel()` face (types.ApplyRun).

Demo and bundle machines apply in-process on their simulated model, under the apply lock as
a real machine's worker does (InProcessRun: the engine's InProcessApply). A real
machine applies in a detached worker that survives the terminal: the engine's own
`DetachedRun` (engine/detach.py), which `nvwizard install` uses too; the wizard only follows
its journal, so quitting the wizard stops the following, never the install. A repair after a
failure plans itself first (RepairRun), then applies in one of those two ways.
Nothing here imports Textual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from nvwizard.engine.detach import DetachedRun
from nvwizard.engine.in_process import InProcessApply
from nvwizard.host.base import Host
from nvwizard.plan.models import Plan
from nvwizard.tui.types import ApplyRun, EventSink

__all__ = ["DetachedRun", "InProcessRun", "RepairRun"]


class InProcessRun(InProcessApply):
    """The engine's in-process apply (engine/in_process.py: under the apply lock), with the
    wizard's event sink as its listener."""

    def __init__(self, host: Host, plan: Plan, sink: EventSink) -> None:
        super().__init__(host, plan, [sink])


class RepairRun:
    """The repair offered after a failed apply: plan it, then apply it, both in `run()`.

    Its plan comes from a fresh detection (the report from before the failure does not know
    which packages the failure left unfinished), and detecting takes a while on a real machine:
    so it happens in the worker thread that calls `run()`, never on the UI's."""

    def __init__(
        self,
        plan_repair: Callable[[], Plan],
        start_apply: Callable[[Plan], ApplyRun],
        detached: bool,
    ) -> None:
        self._plan_repair = plan_repair
        self._start_apply = start_apply
        self.detached = detached
        self.plan: Plan | None = None
        self.applying: ApplyRun | None = None
        self._cancelled = threading.Event()

    def run(self) -> object:
        """Detect, plan, apply; returns the apply's result (None when cancelled before)."""
        self.plan = self._plan_repair()
        if self._cancelled.is_set():
            return None
        self.applying = self._start_apply(self.plan)
        return self.applying.run()

    def cancel(self) -> None:
        self._cancelled.set()
        if self.applying is not None:
            self.applying.cancel()

    @property
    def log_path(self) -> str | None:
        return getattr(self.applying, "log_path", None)
