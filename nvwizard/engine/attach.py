"""Reattach to an apply: is one running, how far is it, how did the last one end, what next.

Facts come from three places, each written by the worker alone: the apply lock's sidecar
(who runs now), the state file (the last apply's plan, step statuses and outcome) and the
JSON-lines journal (every event, for progress and replay). Nothing here changes them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nvwizard.engine import events as ev
from nvwizard.engine import journal as jn
from nvwizard.engine import paths
from nvwizard.engine.lock import current_holder

RUNNING = "running"
FINISHED = "finished"
NONE = "none"

# What the person should do next.
NEXT_WAIT = "wait"  # an apply runs: follow it
NEXT_REBOOT = "reboot"
NEXT_VERIFY = "verify"
NEXT_REPAIR = "repair"
NEXT_INSTALL = "install"  # cancelled or nothing applied yet: (re)run the install
NEXT_NOTHING = "nothing"

REPAIR_ARGV = ["dpkg", "--configure", "-a"]


@dataclass
class Progress:
    step_index: int = 0  # 1-based index of the running (or last) step; 0 before the first
    step_count: int = 0
    step_id: str | None = None
    step_title: str | None = None
    step_percent: float | None = None  # apt's percent within the running step
    percent: float = 0.0  # the whole plan


@dataclass
class ApplyStatus:
    state: str  # RUNNING, FINISHED or NONE
    outcome: str | None = None  # running, done, failed, cancelled, interrupted
    driver: str | None = None
    run_id: str | None = None
    pid: int | None = None
    started_at: float | None = None
    finished_at: float | None = None
    progress: Progress = field(default_factory=Progress)
    failed_step: str | None = None
    message: str | None = None
    repair: list[str] | None = None
    reboot_pending: bool = False
    reboot_scheduled: bool = False
    rebooted_since: bool = False  # the machine booted after the apply finished
    verify_pending: bool = False
    verified: dict | None = None  # the last `verify` result recorded in the state file
    log_path: str | None = None
    events_path: str | None = None
    next_step: str = NEXT_NOTHING
    next_hint: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def progress_of(events: list[ev.Event]) -> Progress:
    """Step i of n and the plan's percent, from the events so far."""
    progress = Progress()
    step_ids: list[str] = []
    finished: set[str] = set()
    for event in events:
        if event.kind == ev.PLAN_STARTED:
            steps = (event.data.get("plan") or {}).get("steps") or []
            step_ids = [s.get("id") for s in steps if isinstance(s, dict)]
            progress.step_count = len(step_ids)
        elif event.kind == ev.STEP_STARTED:
            progress.step_id = event.step
            progress.step_title = event.data.get("title")
            progress.step_percent = None
            if event.step in step_ids:
                progress.step_index = step_ids.index(event.step) + 1
        elif event.kind == ev.PROGRESS and event.step == progress.step_id:
            percent = event.data.get("percent")
            if isinstance(percent, (int, float)):
                progress.step_percent = float(percent)
        elif event.kind == ev.STEP_FINISHED and event.data.get("ok"):
            finished.add(event.step)
    if progress.step_count:
        running = 0.0
        if progress.step_id and progress.step_id not in finished:
            running = (progress.step_percent or 0.0) / 100.0
        done = len(finished & set(step_ids))
        progress.percent = round(100.0 * (done + running) / progress.step_count, 1)
    return progress


def _boot_time() -> float | None:
    try:
        import psutil

        return psutil.boot_time()
    except Exception:  # no /proc/stat in odd containers: just do not know
        return None


def current_apply(state_dir: Path | None = None, boot_time: float | None = None) -> ApplyStatus:
    """The running apply, or the last one and what to do after it."""
    state_dir = state_dir or paths.state_dir()
    holder = current_holder(state_dir)
    state = jn.read_state(state_dir) or {}
    if holder is None and not state:
        return ApplyStatus(
            state=NONE,
            next_step=NEXT_INSTALL,
            next_hint="choose and install a driver: `sudo nvwizard`",
        )

    same_run = holder is not None and (
        not state or holder.journal is None or holder.journal == state.get("events")
    )
    events_path = (holder.journal if holder else None) or state.get("events")
    status = ApplyStatus(
        state=RUNNING if holder is not None else FINISHED,
        outcome=RUNNING if holder is not None else state.get("outcome"),
        driver=(holder.driver if holder else None) or state.get("driver"),
        run_id=holder.run_id if holder else None,
        pid=holder.pid if holder else state.get("pid"),
        started_at=(holder.started_at if holder else None) or state.get("started"),
        events_path=events_path,
        log_path=state.get("log") if (same_run or holder is None) else None,
    )
    if holder is None or same_run:
        status.finished_at = state.get("finished") if holder is None else None
        status.failed_step = state.get("failed_step")
        status.message = state.get("message")
        status.repair = state.get("repair")
        status.reboot_pending = bool(state.get("reboot_pending"))
        status.reboot_scheduled = bool(state.get("reboot_scheduled"))
        status.verify_pending = bool(state.get("verify_pending"))
        status.verified = state.get("verify")
    if events_path:
        try:
            status.progress = progress_of(jn.read_events(events_path))
        except OSError:
            pass
    if holder is None and status.outcome == RUNNING:
        # The state says running but nobody holds the lock: the worker died mid-apply.
        status.outcome = "interrupted"
        status.message = "the apply stopped without finishing (its process is gone)"
        status.repair = REPAIR_ARGV
    boot = boot_time if boot_time is not None else _boot_time()
    if status.finished_at and boot:
        status.rebooted_since = boot > status.finished_at
    status.next_step, status.next_hint = _next_step(status)
    return status


def _next_step(status: ApplyStatus) -> tuple[str, str]:
    if status.state == RUNNING:
        return NEXT_WAIT, "follow it with `nvwizard logs -f`"
    if status.outcome in ("failed", "interrupted"):
        repair = " ".join(status.repair or REPAIR_ARGV)
        return NEXT_REPAIR, f"repair with `sudo {repair}`, then apply again"
    if status.outcome == "cancelled":
        return NEXT_INSTALL, "run the install again to finish the remaining steps"
    if status.verified and status.verified.get("ok"):
        return NEXT_NOTHING, "the driver was verified"
    if status.reboot_pending and not status.rebooted_since:
        when = "a reboot is scheduled" if status.reboot_scheduled else "reboot"
        return NEXT_REBOOT, f"{when}; then run `sudo nvwizard verify`"
    if status.verified:
        return NEXT_VERIFY, "`nvwizard verify` found problems: apply its fixes, then run it again"
    if status.verify_pending:
        return NEXT_VERIFY, "run `sudo nvwizard verify`"
    return NEXT_NOTHING, "nothing to do"


def latest_events_path(state_dir: Path | None = None, log_dir: Path | None = None) -> Path | None:
    """The running apply's journal, else the last apply's, else the newest in the log dir."""
    holder = current_holder(state_dir or paths.state_dir())
    if holder is not None and holder.journal:
        return Path(holder.journal)
    state = jn.read_state(state_dir) or {}
    if state.get("events") and Path(state["events"]).exists():
        return Path(state["events"])
    return jn.latest_journal(log_dir)


def replay_and_follow(
    events_path: str | Path,
    state_dir: Path | None = None,
    poll_s: float = 0.2,
    stop: Callable[[], bool] | None = None,
) -> Iterator[ev.Event]:
    """Every event written so far, then live ones, until the plan-finished event.

    Also ends when no apply runs any more (a worker that died leaves no plan-finished event),
    or when `stop()` says so.
    """
    state_dir = state_dir or paths.state_dir()
    target = str(events_path)
    idle_checks = 0

    def ended() -> bool:
        nonlocal idle_checks
        if stop is not None and stop():
            return True
        idle_checks += 1
        if idle_checks % 5:  # look at the lock about once a second, not at every poll
            return False
        holder = current_holder(state_dir)
        return holder is None or (holder.journal is not None and holder.journal != target)

    seen = 0
    for event in jn.follow(events_path, poll_s=poll_s, stop=ended):
        seen += 1
        yield event
        if event.kind == ev.PLAN_FINISHED:
            return
    # Stopped between polls: the worker may have written its last events just before it let
    # go of the lock, so read what came after the last poll.
    yield from jn.read_events(events_path)[seen:]


class DetachedRun:
    """An apply in the detached worker, shaped like the Engine for front ends.

    `run()` (in a worker thread) starts the apply, unless it attaches to a running one, and
    hands every event, the past ones first, to `on_event` until the plan ends. `cancel()`
    asks the worker to stop after the running step. `stop_following()` only stops this front
    end (quitting the wizard): the apply goes on.
    """

    def __init__(
        self,
        plan=None,
        on_event: Callable[[ev.Event], None] | None = None,
        events_path: str | Path | None = None,
        worker_pid: int | None = None,
    ):
        self.plan = plan
        self.on_event = on_event or (lambda event: None)
        self.events_path = Path(events_path) if events_path else None
        self.worker_pid = worker_pid
        self.log_path: Path | None = None
        self._stop = False

    @classmethod
    def attach(cls, on_event: Callable[[ev.Event], None] | None = None) -> DetachedRun | None:
        """Follow the apply running now, or None when none runs."""
        holder = current_holder()
        if holder is None or not holder.journal:
            return None
        return cls(on_event=on_event, events_path=holder.journal, worker_pid=holder.pid)

    def run(self) -> None:
        if self.events_path is None:
            from nvwizard.engine.detach import start_detached_apply

            started = start_detached_apply(self.plan)
            self.events_path, self.worker_pid = started.events_path, started.worker_pid
            self.log_path = started.log_path
        for event in replay_and_follow(self.events_path, stop=lambda: self._stop):
            if self.log_path is None and event.kind == ev.PLAN_STARTED:
                state = jn.read_state() or {}
                self.log_path = Path(state["log"]) if state.get("log") else None
            self.on_event(event)

    def cancel(self) -> None:
        if self.worker_pid:
            try:
                os.kill(self.worker_pid, signal.SIGTERM)  # the worker finishes its step first
            except ProcessLookupError:
                pass

    def stop_following(self) -> None:
        self._stop = True
