"""Stopping `install --demo --yes` (an in-process apply) from outside: Ctrl+C cancels it after
the running step, the journal ends with its plan-finished event, the exit code is the
README's for a cancel (1), and `status` tells the truth afterwards.

Once, an interrupted Thread.join (Python 3.11) let the process end in the middle of a step:
"the apply ended without a result", no finish event, and `status` said the apply was
"interrupted ... its process is gone ... repair with sudo dpkg --configure -a".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.cli.run import REPO_ROOT, nvwizard
from tests.waiting import wait_for

EXIT_CANCELLED = 1  # README, Exit codes: "a step failed (or the apply was cancelled ...)"


class RunningCommand:
    """`python -m nvwizard ARGS` in a subprocess, its stdout and stderr read line by line into
    `lines` as they come (so that a test can wait on what it printed)."""

    def __init__(self, *args: str, env: dict[str, str]):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nvwizard", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**env, "PYTHONPATH": str(REPO_ROOT)},
            cwd=REPO_ROOT,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def printed(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def finish(self) -> tuple[int, str]:
        """(exit code, everything it printed)."""
        code = self.process.wait(timeout=120)
        self._reader.join(timeout=30)
        return code, "\n".join(self.lines)


def clock(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def journal_events(log_dir: Path) -> list[dict]:
    """The events of the one journal in `log_dir` (a torn last line left out)."""
    events = []
    for journal in log_dir.glob("apply-*.jsonl"):
        for line in journal.read_text(encoding="utf-8").splitlines(keepends=True):
            if line.endswith("\n"):
                events.append(json.loads(line))
    return events


def started(log_dir: Path, step: str) -> bool:
    return any(e["kind"] == "step-started" and e["step"] == step for e in journal_events(log_dir))


def test_ctrl_c_cancels_a_demo_apply_after_the_running_step_and_status_says_so(places):
    _state, log = places
    # `apt-get update` (the third step) lasts ~3 s at this speed: time for two Ctrl+C
    env = {**os.environ, "NVWIZARD_DEMO_SPEED": "0.5"}
    install = RunningCommand("install", "--demo", "--yes", "--accept", "gpu-processes", env=env)
    wait_for(lambda: started(log, "update"), "the apply to start `apt-get update`")
    install.process.send_signal(signal.SIGINT)
    wait_for(lambda: install.printed("cancelling after the running step"), "the cancel notice")
    install.process.send_signal(signal.SIGINT)  # a second Ctrl+C: still waits for the step
    code, printed = install.finish()

    assert code == EXIT_CANCELLED, printed
    assert printed.count("cancelling after the running step") == 1, printed
    assert "Cancelled: cancelled before:" in printed
    assert "ended without a result" not in printed and "Traceback" not in printed
    events = journal_events(log)
    kinds = [(e["kind"], e["step"]) for e in events if e["kind"].startswith("step-")]
    # then the holds the repair step released are put back (hgx-h100's fabric manager, NSCQ)
    assert kinds[-4:] == [
        ("step-started", "update"),
        ("step-finished", "update"),
        ("step-started", "restore-holds"),
        ("step-finished", "restore-holds"),
    ], kinds
    assert "the administrator's holds were put back on" in printed
    assert events[-1]["kind"] == "plan-finished"
    assert events[-1]["data"]["outcome"] == "cancelled"

    status = nvwizard("status")
    assert status.returncode == 0, status.stderr
    first = status.stdout.splitlines()[0]
    assert ", cancelled, finished " in first, status.stdout
    assert "interrupted" not in status.stdout and "process is gone" not in status.stdout
    assert "dpkg --configure -a" not in status.stdout


def test_status_after_a_demo_apply_killed_mid_step_resumes_it_on_the_demo(places):
    """SIGKILL leaves no finish event: status says "interrupted". It then said "repair with
    `sudo dpkg --configure -a`", advice for this computer, not the simulated machine."""
    state, log = places
    env = {**os.environ, "NVWIZARD_DEMO_SPEED": "0.5"}
    install = RunningCommand(
        "install", "--demo", "hgx-h100", "--yes", "--accept", "gpu-processes", env=env
    )
    wait_for(lambda: started(log, "update"), "the apply to start `apt-get update`")
    install.process.kill()
    install.finish()

    status = nvwizard("status")
    assert status.returncode == 0, status.stderr
    # it said "..., interrupted, finished ?": an apply that did not finish has no finish time
    data = json.loads(nvwizard("status", "--json").stdout)
    assert data["finished_at"] is None and data["started_at"] <= data["interrupted_at"]
    first = status.stdout.splitlines()[0]
    assert first == (
        "Last apply on demo hgx-h100: nvidia-driver-595-server-open, interrupted: it did not "
        f"finish (started {clock(data['started_at'])}, last heard of "
        f"{clock(data['interrupted_at'])})"
    ), status.stdout
    assert "?" not in first
    next_line = next(line for line in status.stdout.splitlines() if line.startswith("next: "))
    saved = state / "demo-machines" / "hgx-h100.json"
    assert next_line == (
        "next: repair: run `nvwizard install --demo hgx-h100 --driver "
        "nvidia-driver-595-server-open` again (its plan first repairs what the demo's package "
        f"manager left unfinished), or reset the demo to its bundle: `rm {saved}`"
    )
    assert "sudo" not in status.stdout and "dpkg" not in status.stdout
    assert json.loads(nvwizard("status", "--json").stdout)["repair"] is None


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_cancel_a_demo_apply_like_ctrl_c_and_leave_no_folder(stop, tmp_path):
    """Without NVWIZARD_STATE_DIR/LOG_DIR the journal is in a temporary folder of its own
    (/tmp/nvwizard-demo-*): it goes when the command ends, however it is stopped."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NVWIZARD_")}
    env.update(TMPDIR=str(scratch), NVWIZARD_DEMO_SPEED="0.5")
    install = RunningCommand("install", "--demo", "--yes", "--accept", "gpu-processes", env=env)
    wait_for(lambda: install.printed("==> [3/"), "the apply to start its third step")
    assert [p.name for p in scratch.iterdir()][0].startswith("nvwizard-demo-")
    install.process.send_signal(stop)
    code, printed = install.finish()

    assert code == EXIT_CANCELLED, printed
    assert f"cancelling after the running step finishes ({stop.name})" in printed
    assert "Cancelled: cancelled before:" in printed and "Traceback" not in printed
    assert list(scratch.iterdir()) == []
