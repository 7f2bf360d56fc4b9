"""One apply at a time: the flock under the state dir, its sidecar, stale locks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nvwizard.engine.lock import HOLDER_NAME, ApplyBusyError, ApplyLock, current_holder
from nvwizard.errors import EXIT_REFUSED

HOLD_IN_CHILD = """
import sys, time
from nvwizard.engine.lock import ApplyLock
lock = ApplyLock()
lock.acquire(driver="nvidia-driver-580-server-open", run_id="run-1")
print("held", flush=True)
sys.stdin.readline()  # hold until the test closes our stdin (or kills us)
"""


def _holder_process(root: Path) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_IN_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert child.stdout.readline().strip() == "held"
    return child


def test_no_holder_when_nothing_ever_ran(places):
    assert current_holder() is None


def test_a_second_apply_is_refused_naming_the_holder(places, tmp_path):
    child = _holder_process(tmp_path)
    try:
        holder = current_holder()
        assert holder is not None
        assert holder.pid == child.pid
        assert holder.driver == "nvidia-driver-580-server-open"
        with pytest.raises(ApplyBusyError) as refused:
            ApplyLock().acquire(driver="nvidia-driver-595-server", retry_s=0)
        assert refused.value.exit_code == EXIT_REFUSED
        assert f"pid {child.pid}" in str(refused.value)
        assert "nvidia-driver-580-server-open" in str(refused.value)
    finally:
        child.stdin.close()
        child.wait()
    # The holder let go: the next apply gets the lock.
    assert current_holder() is None
    lock = ApplyLock()
    assert lock.acquire(driver="nvidia-driver-595-server").pid == os.getpid()
    lock.release()


def test_a_killed_holder_leaves_a_stale_sidecar_that_is_cleared(places, tmp_path):
    state, _ = places
    child = _holder_process(tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    child.stdin.close()
    # SIGKILL gave it no chance to clean up: the sidecar still names the dead process.
    assert json.loads((state / HOLDER_NAME).read_text())["pid"] == child.pid
    assert current_holder() is None
    assert not (state / HOLDER_NAME).exists()
    with ApplyLock() as lock:
        assert lock.held


def test_two_locks_in_one_process_exclude_each_other(places):
    first = ApplyLock()
    first.acquire(driver="a")
    try:
        with pytest.raises(ApplyBusyError):
            ApplyLock().acquire(driver="b", retry_s=0)
        assert current_holder().driver == "a"
    finally:
        first.release()
    assert current_holder() is None


def test_update_adds_the_journal_to_the_sidecar(places):
    with ApplyLock() as lock:
        lock.update(journal="/x/apply-1.jsonl")
        holder = current_holder()
        assert holder.journal == "/x/apply-1.jsonl"
        assert holder.pid == os.getpid()
