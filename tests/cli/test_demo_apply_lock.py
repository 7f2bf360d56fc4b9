"""Demo applies take the apply lock of their state directory, as a real machine's do.

Two `nvwizard install --demo --yes` with one NVWIZARD_STATE_DIR: the second is refused (exit 3)
naming the first; `nvwizard status` in another process says the first is running, with its pid,
driver, machine and progress (it used to say "interrupted ... its process is gone"); and
`nvwizard logs -f` follows it to its end (it used to stop after a second of silence).

The apply is slowed with NVWIZARD_DEMO_SPEED; every wait is on the journal's contents or a
process ending, never a sleep.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from nvwizard.engine import events as ev
from nvwizard.engine.journal import read_events
from tests.waiting import wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = "rtx3090-fresh"
SLOW = "0.5"  # the install step then takes about 9 s of the demo's pauses
WAIT_LIMIT_S = 120.0  # a safety net on a loaded machine, not a speed check


def environment(tmp_path: Path, speed: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        "NVWIZARD_LOG_DIR": str(tmp_path / "log"),
        "NVWIZARD_DEMO_SPEED": speed,
    }


def start(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nvwizard", *args],
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nvwizard", *args],
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT_LIMIT_S,
    )


def journal_events(log_dir: Path) -> list[ev.Event]:
    journals = sorted(log_dir.glob("apply-*.jsonl"))
    return read_events(journals[-1]) if journals else []


def step_started(log_dir: Path, step: str) -> bool:
    return any(isinstance(e, ev.StepStarted) and e.step == step for e in journal_events(log_dir))


def test_a_second_demo_apply_is_refused_while_status_and_logs_follow_the_first(tmp_path):
    env = environment(tmp_path, SLOW)
    log_dir, state_dir = tmp_path / "log", tmp_path / "state"
    first = start(env, "install", "--demo", DEMO, "--yes")
    following = None
    try:
        wait_for(lambda: journal_events(log_dir) or first.poll() is not None, "the apply")
        assert first.poll() is None, first.communicate()
        started = journal_events(log_dir)[0]
        assert isinstance(started, ev.PlanStarted) and started.pid == first.pid
        following = start(env, "logs", "-f")

        second = run(env, "install", "--demo", DEMO, "--yes")
        assert second.returncode == 3, second.stdout + second.stderr
        assert second.stdout == ""  # refused before planning aloud, simulating or asking
        said = second.stderr.splitlines()
        assert len(said) == 1, second.stderr
        assert said[0].startswith(
            f"nvwizard: another nvwizard apply is running: an apply of {started.plan.driver} "
            f"to demo {DEMO} (pid {first.pid}, started "
        )
        at = re.search(r"started (\d\d:\d\d:\d\d)\)", said[0])
        assert at is not None
        plan_started = time.strftime("%H:%M:%S", time.localtime(started.time))
        assert abs(_seconds(at[1]) - _seconds(plan_started)) <= 1

        wait_for(lambda: step_started(log_dir, "install") or first.poll() is not None, "install")
        running = json.loads(run(env, "status", "--json").stdout)
        text = run(env, "status").stdout
        assert first.poll() is None, "the apply ended before it could be checked"
        assert running["state"] == running["outcome"] == "running"
        assert (running["pid"], running["driver"]) == (first.pid, started.plan.driver)
        assert running["host"] == f"demo {DEMO}"
        assert running["next_step"] == "wait" and running["repair"] is None
        assert running["progress"]["step_id"] in ("install", "persistenced", "verify")
        assert running["progress"]["step_index"] >= 3
        assert text.startswith(
            f"Apply running on demo {DEMO} (pid {first.pid}): {started.plan.driver}, started "
        )
        assert "interrupted" not in text and "dpkg --configure -a" not in text
        assert following.poll() is None  # still following: the apply is still running

        out, err = first.communicate(timeout=WAIT_LIMIT_S)
        assert first.returncode == 0, out[-2000:] + err
        logs_out, logs_err = following.communicate(timeout=WAIT_LIMIT_S)
    finally:
        for process in (first, following):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()

    assert following.returncode == 0, logs_err
    human_log = sorted(log_dir.glob("apply-*.log"))
    assert len(human_log) == 1  # one apply, one journal: the refused one wrote nothing
    assert logs_out == human_log[0].read_text(encoding="utf-8")
    assert logs_out.rstrip().endswith("apply done")
    finished = json.loads(run(env, "status", "--json").stdout)
    assert (finished["state"], finished["outcome"]) == ("finished", "done")
    assert not (state_dir / "apply.lock.json").exists()


def _seconds(clock: str) -> int:
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def test_two_demo_applies_started_together_one_applies_one_is_refused(tmp_path):
    """No head start: whichever reaches the lock second is refused, by the early check or by
    the lock itself when both passed that check together."""
    env = environment(tmp_path, "0.3")  # long enough that the second reaches the lock first
    both = [start(env, "install", "--demo", DEMO, "--yes") for _ in range(2)]
    results = [(p.wait(timeout=WAIT_LIMIT_S * 2), *p.communicate()) for p in both]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 3], [(code, err) for code, _, err in results]
    winner = both[[code for code, _, _ in results].index(0)]
    refused = next(err for code, _, err in results if code == 3).strip().splitlines()
    assert len(refused) == 1 and f"(pid {winner.pid}, started " in refused[0], refused

    journals = sorted((tmp_path / "log").glob("apply-*.jsonl"))
    assert len(journals) == 1  # the state file and the demo machine: one apply's
    assert read_events(journals[0])[0].pid == winner.pid
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    assert (state["pid"], state["outcome"]) == (winner.pid, "done")
