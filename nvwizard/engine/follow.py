"""Follow an apply: which journal to read (the running apply's, else the last one's), and its
events, the past ones then the live ones until the apply ends (`nvwizard logs -f`, the front
end of a detached apply). Nothing here changes the lock, the state file or the journal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from nvwizard.engine import events as ev
from nvwizard.engine import journal as jn
from nvwizard.engine import paths
from nvwizard.engine.lock import current_holder
from nvwizard.engine.state import read_state

# An apply names its journal in the lock's sidecar right after taking the lock.
JOURNAL_NAMED_WITHIN_S = 2.0


def latest_events_path(state_dir: Path | None = None, log_dir: Path | None = None) -> Path | None:
    """The running apply's journal, else the last apply's, else the newest in the log dir.

    StateFileError when the state file is damaged (`newest_journal` needs no state)."""
    holder = current_holder(state_dir or paths.state_dir())
    deadline = time.monotonic() + JOURNAL_NAMED_WITHIN_S
    while holder is not None and not holder.journal and time.monotonic() < deadline:
        time.sleep(0.05)  # an apply that took the lock this instant names its journal next
        holder = current_holder(state_dir or paths.state_dir())
    if holder is not None and holder.journal:
        return Path(holder.journal)
    last = read_state(state_dir).apply
    if last is not None and Path(last.events).exists():
        return Path(last.events)
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
        if isinstance(event, ev.PlanFinished):
            return
    # Stopped between polls: the worker may have written its last events just before it let
    # go of the lock, so read what came after the last poll.
    yield from jn.read_events(events_path)[seen:]
