"""The stage for "kill the front end mid-install": this machine's apt is the sandbox's.

Shared by tests/cli/test_install_survives_cli_kill.py and tests/tui/test_wizard_survives_kill.py.
A `Stage` is an apt sandbox (tests/sandbox) plus the environment a front end runs with:
- the sandbox's APT_CONFIG/DPKG_* and PATH, so the real apt-get and dpkg change only the
  sandbox root;
- its own NVWIZARD_STATE_DIR and NVWIZARD_LOG_DIR, never /var/lib/nvwizard;
- a PATH without `systemd-run` (tests/sandbox/hidden_commands.py), so the worker detaches with
  setsid even where PID 1 is systemd: a test never creates a system unit.

The postinst of `nvidia-dkms-580-server` waits at a gate (the sandbox's block-postinst file),
so "mid-step" is a fact the test checks, not a timing guess.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from nvwizard.engine import events as ev
from nvwizard.engine.journal import read_events
from nvwizard.plan.models import Plan
from tests.sandbox.aptsandbox import AptSandbox
from tests.sandbox.catalogue import KERNEL, running_kernel_headers_name
from tests.sandbox.hidden_commands import hide_commands
from tests.waiting import WAIT_LIMIT_S

REPO_ROOT = Path(__file__).resolve().parents[2]
DRIVER = "nvidia-driver-580-server"
GATED = "nvidia-dkms-580-server"  # its postinst prints the DKMS build lines


@dataclass
class Stage:
    sandbox: AptSandbox
    env: dict[str, str]
    state_dir: Path
    log_dir: Path
    gated: str = GATED

    @property
    def gate(self) -> Path:
        return self.sandbox.root / "sandbox" / "block-postinst" / self.gated

    def close_gate(self, package: str = GATED) -> None:
        """`package`'s postinst will wait until `open_gate()`."""
        self.gated = package
        self.gate.parent.mkdir(parents=True, exist_ok=True)
        self.gate.touch()

    def postinst_waiting(self) -> bool:
        """The gated postinst runs and waits at its gate (the sandbox's documented marker)."""
        return (self.sandbox.root / "sandbox" / "postinst-running" / self.gated).exists()

    def open_gate(self) -> None:
        self.gate.unlink(missing_ok=True)

    def nvwizard(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "nvwizard", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=REPO_ROOT,
            timeout=WAIT_LIMIT_S,
        )

    def status(self) -> dict:
        result = self.nvwizard("status", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


def make_stage(apt_sandbox: AptSandbox, tmp_path: Path, request: pytest.FixtureRequest) -> Stage:
    """The stage, its gate still open; skips where `nvwizard install` cannot apply here.

    Whatever the test's end, the gate opens then, so no worker waits in a postinst forever.
    """
    if os.geteuid() != 0:
        pytest.skip("applying to this machine needs root")
    if running_kernel_headers_name() is None:
        pytest.skip(f"no valid headers package name for kernel {os.uname().release}")
    if os.uname().release == KERNEL:
        pytest.skip("the sandbox's signed modules serve this kernel: no DKMS postinst to gate")
    state, log = tmp_path / "state", tmp_path / "log"
    env = {
        **apt_sandbox.env,
        "NVWIZARD_STATE_DIR": str(state),
        "NVWIZARD_LOG_DIR": str(log),
        "PYTHONPATH": str(REPO_ROOT),
    }
    env = hide_commands(env, ["systemd-run"], tmp_path / "path-without-systemd-run")
    stage = Stage(apt_sandbox, env, state, log)
    request.addfinalizer(stage.open_gate)
    return stage


def hang_up_and_kill(process: subprocess.Popen) -> None:
    """What a dropped SSH connection does to the terminal's job: SIGHUP, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGHUP)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=WAIT_LIMIT_S)


class OutputLines:
    """A process's output read on a thread, so waiting for a line has a safety net."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(process,), daemon=True)
        self._thread.start()

    def _pump(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, wanted: Callable[[str], bool], limit_s: float = WAIT_LIMIT_S) -> list[str]:
        """Every line so far, once a wanted one came; fails when the output ends or stalls."""
        deadline = time.monotonic() + limit_s
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    "the expected line never came:\n" + "\n".join(self.seen)
                ) from None
            if line is None:
                raise AssertionError("the output ended first:\n" + "\n".join(self.seen))
            self.seen.append(line)
            if wanted(line):
                return list(self.seen)


@dataclass(frozen=True)
class FinishedJournal:
    """What the journal of a whole apply says, checked for completeness on the way."""

    events: list[ev.Event]
    plan: Plan  # the plan as PLAN_STARTED recorded it
    outcome: str
    output: list[str]  # the commands' output lines


def complete_journal(events_path: str | Path) -> FinishedJournal:
    """The journal from PLAN_STARTED to PLAN_FINISHED, every step started and finished once."""
    events = read_events(events_path)
    kinds = [e.kind for e in events]
    assert kinds[0] == ev.PLAN_STARTED, kinds[:3]
    assert kinds[-1] == ev.PLAN_FINISHED, kinds[-3:]
    assert kinds.count(ev.PLAN_STARTED) == 1 and kinds.count(ev.PLAN_FINISHED) == 1
    started, finished = events[0], events[-1]
    assert isinstance(started, ev.PlanStarted) and isinstance(finished, ev.PlanFinished)
    step_ids = [step.id for step in started.plan.steps]
    assert [e.step for e in events if isinstance(e, ev.StepStarted)] == step_ids
    assert [e.step for e in events if isinstance(e, ev.StepFinished)] == step_ids
    return FinishedJournal(
        events=events,
        plan=started.plan,
        outcome=finished.outcome.status,
        output=[line for e in events if isinstance(e, ev.StepOutput) for line in e.lines],
    )
