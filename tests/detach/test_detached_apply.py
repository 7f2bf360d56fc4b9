"""An apply on the sandboxed apt survives its front end: kill it mid-step, the install ends.

The postinst of `nvidia-dkms-580-server` is held at a gate (the sandbox's block-postinst
file) so "mid-step" is a fact, not a timing guess.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from nvwizard.engine import events as ev
from nvwizard.engine.journal import read_events
from tests.detach.helpers import (
    environment,
    install_plan,
    nvwizard,
    read_until,
    start_front_end,
    start_nvwizard,
)
from tests.waiting import pid_alive, wait_for

PACKAGES = ("nvidia-driver-580-server",)
GATED = "nvidia-dkms-580-server"


@pytest.fixture
def setup(apt_sandbox, tmp_path):
    state, log = tmp_path / "state", tmp_path / "log"
    env = environment(apt_sandbox.env, state, log)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(install_plan(*PACKAGES).to_json()))
    gate = apt_sandbox.root / "sandbox" / "block-postinst" / GATED
    gate.parent.mkdir(parents=True, exist_ok=True)
    gate.touch()
    yield apt_sandbox, env, plan_file, gate, state
    # A failed test must not leave its detached worker waiting at the gate forever.
    gate.unlink(missing_ok=True)


def _postinst_waiting(sandbox) -> bool:
    """The gated postinst has started and waits at its gate (the sandbox's documented marker)."""
    return (sandbox.root / "sandbox" / "postinst-running" / GATED).exists()


def test_killing_the_front_end_mid_step_does_not_stop_the_install(setup):
    sandbox, env, plan_file, gate, state = setup
    front = start_front_end(plan_file, env)
    first = read_until(front, lambda line: f"Setting up {GATED}" in line)
    assert first[0].startswith("nvwizard: applying in the background (setsid)")
    assert any("==> [1/2] Install the driver" in line for line in first)
    wait_for(lambda: _postinst_waiting(sandbox), "the gated postinst")
    worker_pid = json.loads(nvwizard("status", "--json", env=env).stdout)["pid"]
    assert worker_pid != front.pid

    # The SSH connection drops: the terminal's process group gets SIGHUP, then it is killed.
    os.killpg(front.pid, signal.SIGHUP)
    os.killpg(front.pid, signal.SIGKILL)
    front.wait()
    front.stdout.close()
    assert pid_alive(worker_pid)

    running = json.loads(nvwizard("status", "--json", env=env).stdout)
    assert running["state"] == "running"
    assert running["progress"]["step_index"] == 1
    assert running["next_step"] == "wait"

    gate.unlink()  # the postinst goes on
    wait_for(lambda: not pid_alive(worker_pid), "the worker to finish")

    assert sandbox.status()[GATED] == "ii"
    assert sandbox.status()["nvidia-driver-580-server"] == "ii"
    finished = json.loads(nvwizard("status", "--json", env=env).stdout)
    assert finished["state"] == "finished"
    assert finished["outcome"] == "done"
    assert finished["progress"]["step_index"] == 2
    assert finished["progress"]["percent"] == 100.0
    assert finished["next_step"] == "reboot"

    events = read_events(finished["events_path"])
    kinds = [e.kind for e in events]
    assert kinds[0] == ev.PLAN_STARTED and kinds[-1] == ev.PLAN_FINISHED
    assert [e.step for e in events if e.kind == ev.STEP_FINISHED] == ["install", "verify-packages"]
    lines = [line for e in events if e.kind == ev.OUTPUT for line in e.lines]
    assert any("Building initial module" in line for line in lines)  # after the kill
    assert any(f"Setting up {GATED}" in line for line in lines)

    text = nvwizard("status", env=env).stdout
    assert "Last apply: nvidia-driver-580-server, done" in text
    assert "next: reboot" in text


def test_logs_follow_reattaches_and_ends_with_the_apply(setup):
    sandbox, env, plan_file, gate, state = setup
    front = start_front_end(plan_file, env)
    read_until(front, lambda line: f"Setting up {GATED}" in line)
    os.killpg(front.pid, signal.SIGKILL)
    front.wait()
    front.stdout.close()

    follower = start_nvwizard("logs", "-f", env=env)
    replay = read_until(follower, lambda line: f"Setting up {GATED}" in line)
    assert any("Install the driver" in line for line in replay)  # the log so far, from the start
    gate.unlink()
    rest = follower.communicate(timeout=60)[0]
    assert follower.returncode == 0
    assert "Building initial module" in rest
    assert " apply done" in rest

    printed = nvwizard("logs", env=env)
    assert printed.returncode == 0
    assert printed.stdout.count("Building initial module") == 1
    assert " apply done" in printed.stdout


def test_two_applies_at_once_one_runs_the_other_is_refused(setup):
    sandbox, env, plan_file, gate, state = setup
    first = start_front_end(plan_file, env)
    second = start_front_end(plan_file, env)
    outputs = {}
    try:
        wait_for(lambda: _postinst_waiting(sandbox) or first.poll() is not None, "one apply")
        # Whichever front end lost the race says so and exits 3; the winner keeps following.
        wait_for(lambda: first.poll() is not None or second.poll() is not None, "a refusal")
        loser, winner = (first, second) if first.poll() is not None else (second, first)
        outputs["loser"] = loser.communicate()[0]
        assert loser.returncode == 3
        assert "nvwizard: another nvwizard apply is running" in outputs["loser"]
        assert "nvidia-driver-580-server" in outputs["loser"]
        assert "pid " in outputs["loser"]
        gate.unlink()
        outputs["winner"] = winner.communicate(timeout=60)[0]
        assert winner.returncode == 0
        assert "Done: every step succeeded." in outputs["winner"]
    finally:
        for process in (first, second):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if gate.exists():
            gate.unlink()
    assert sandbox.status()["nvidia-driver-580-server"] == "ii"


def test_status_before_any_apply(tmp_path):
    env = {
        **os.environ,
        "NVWIZARD_STATE_DIR": str(tmp_path / "s"),
        "NVWIZARD_LOG_DIR": str(tmp_path / "l"),
    }
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    result = nvwizard("status", env=env)
    assert result.returncode == 0
    assert "No apply has run" in result.stdout
    logs = nvwizard("logs", env=env)
    assert logs.returncode == 3  # refused: nothing to show (1 is "a step failed")
    assert logs.stderr.strip() == "nvwizard: no apply log on this machine yet"


def test_wizard_style_run_detach_reattach_and_cancel(setup, monkeypatch):
    """What the wizard does: run it in a thread, quit (stop following), come back, cancel."""
    import threading

    from nvwizard.engine.detach import DetachedRun, load_plan

    sandbox, env, plan_file, gate, state = setup
    monkeypatch.setattr("nvwizard.host.spawn.detach_method", lambda: "setsid")
    for name in ("APT_CONFIG", "DPKG_ADMINDIR", "DPKG_ROOT", "DPKG_FORCE", "PATH"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setenv("NVWIZARD_STATE_DIR", env["NVWIZARD_STATE_DIR"])
    monkeypatch.setenv("NVWIZARD_LOG_DIR", env["NVWIZARD_LOG_DIR"])

    first_seen: list[ev.Event] = []
    run = DetachedRun(load_plan(plan_file), first_seen.append)
    thread = threading.Thread(target=run.run)
    thread.start()
    wait_for(lambda: _postinst_waiting(sandbox), "the gated postinst")
    run.cancel()  # the wizard quits; the apply goes on
    thread.join(60)
    assert not thread.is_alive()
    assert first_seen[0].kind == ev.PLAN_STARTED
    assert all(e.kind != ev.PLAN_FINISHED for e in first_seen)

    again: list[ev.Event] = []
    attached = DetachedRun.attach(again.append)
    assert attached is not None and attached.worker_pid == run.worker_pid
    thread = threading.Thread(target=attached.run)
    thread.start()
    wait_for(lambda: len(again) >= len(first_seen), "the replay")
    assert [e.to_json() for e in again[: len(first_seen)]] == [e.to_json() for e in first_seen]
    attached.stop_worker()  # asks the worker to stop after the running step, never inside it
    gate.unlink()
    thread.join(60)
    assert not thread.is_alive()
    finished = again[-1]
    assert finished.kind == ev.PLAN_FINISHED
    assert finished.outcome.status == "cancelled"
    assert [e.step for e in again if e.kind == ev.STEP_FINISHED] == ["install"]
    assert sandbox.status()[GATED] == "ii"  # dpkg finished its transaction
    assert DetachedRun.attach(again.append) is None
