"""Waiting in tests for something to happen, never for a fixed time: a condition polled until
it holds (the limit is a safety net against a hung test on a loaded machine, not a speed
check), and whether a process still runs."""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT_LIMIT_S = 180.0
POLL_S = 0.05


def wait_for(predicate: Callable[[], bool], what: str, limit_s: float = WAIT_LIMIT_S) -> None:
    """Return once `predicate()` holds; AssertionError naming `what` after `limit_s`."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(POLL_S)


async def wait_in_app(
    pilot, predicate: Callable[[], bool], what: str, limit_s: float = WAIT_LIMIT_S
) -> None:
    """`wait_for` for a Textual app under Pilot: the app runs between the polls."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        if not pilot.app.is_running:  # it crashed: leaving run_test raises its error
            raise AssertionError(f"the app stopped while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await pilot.pause(POLL_S)


def pid_alive(pid: int) -> bool:
    """Running: a zombie is not (it runs nothing any more), nor a pid that is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
