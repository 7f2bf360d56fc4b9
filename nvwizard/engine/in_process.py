"""Apply a plan to a demo or bundle machine, in this process, under the apply lock.

A simulated machine has nothing to survive (no dpkg to leave half-done), so its apply runs
here, in the caller's thread, instead of in a detached worker. It obeys the same rules as the
worker on a real machine (engine/detach.py):
- one apply at a time per state directory: it holds `<state dir>/apply.lock` (engine/lock.py)
  for the whole apply, and its sidecar names it (pid, driver, machine, journal), so a second
  apply is refused (exit 3) naming it, `nvwizard status` says it is running and how far, and
  `nvwizard logs -f` follows it to its end;
- a demo machine saved in that state directory (nvwizard/simulator/) is written under the same
  lock, and the apply is refused when another process changed that machine since this one
  loaded it (its plan was made for the machine as it was).

Without NVWIZARD_STATE_DIR the journal is in a temporary folder of its own (engine/journal.py):
such applies cannot collide, and no other process sees them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from nvwizard.engine import events as ev
from nvwizard.engine.detach import new_run_id
from nvwizard.engine.journal import Journal, check_writable, journal_dirs_for
from nvwizard.engine.lock import ApplyBusyError, ApplyLock, current_holder
from nvwizard.engine.runner import Engine
from nvwizard.host.base import Host
from nvwizard.plan.models import Plan


class InProcessApply:
    """`run()` applies `plan` to the simulated machine behind `host` and returns the outcome,
    every event going to the journal and then to `listeners`; `cancel()` (any thread) stops
    after the running step. Raises ApplyBusyError (exit 3) when another apply holds the lock,
    PlaceError (exit 2) when the journal cannot be written, RefusedError when the saved demo
    machine changed since it was loaded."""

    detached = False

    def __init__(
        self,
        host: Host,
        plan: Plan,
        listeners: Iterable[Callable[[ev.Event], None]] = (),
    ):
        self.host = host
        self.plan = plan
        self.listeners = list(listeners)
        self.log_dir, self.state_dir = journal_dirs_for(host)
        self.run_id = new_run_id()
        self.log_path: str | None = None  # the human log, once the apply has started
        self.events_path: str | None = None
        self.engine: Engine | None = None
        self._cancelled = threading.Event()

    def refuse_to_start(self) -> None:
        """What `run()` would refuse, said before planning and asking: the journal cannot be
        written, or another apply runs in this state directory."""
        check_writable(self.log_dir, self.state_dir)
        holder = current_holder(self.state_dir)
        if holder is not None:
            raise ApplyBusyError(holder)

    def run(self) -> ev.Outcome:
        check_writable(self.log_dir, self.state_dir)
        lock = ApplyLock(self.state_dir)
        lock.acquire(driver=self.plan.driver, run_id=self.run_id, host=self.host.label)
        try:
            refuse_if_changed_elsewhere = getattr(
                getattr(self.host, "simulator", None), "refuse_if_changed_elsewhere", None
            )
            if refuse_if_changed_elsewhere is not None:
                refuse_if_changed_elsewhere()
            with Journal(self.log_dir, self.state_dir) as journal:
                lock.update(journal=str(journal.events_path))
                self.log_path = str(journal.log_path)
                self.events_path = str(journal.events_path)
                self.engine = Engine(self.host, self.plan, journal, self.listeners)
                if self._cancelled.is_set():  # cancelled before the engine existed
                    self.engine.cancel()
                return self.engine.run()
        finally:
            lock.release()

    def cancel(self) -> None:
        """Stop after the running step (never in the middle of one)."""
        self._cancelled.set()
        if self.engine is not None:
            self.engine.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()
