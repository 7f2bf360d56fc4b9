"""`nvwizard status [--json]` on journals written by the real Journal listener."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from nvwizard.engine.lock import ApplyLock
from tests.cli.run import nvwizard
from tests.detach.helpers import install_plan
from tests.detach.journal_fixtures import write_journal

REPO_ROOT = Path(__file__).resolve().parents[2]


def status(*args: str):
    return nvwizard("status", *args)


def test_running_apply(places):
    state, log = places
    journal = write_journal(log, state, upto="install-running")
    with ApplyLock() as lock:
        lock.update(driver="nvidia-driver-580-server", journal=str(journal.events_path))
        text = status()
        data = json.loads(status("--json").stdout)
    assert text.returncode == 0
    assert f"Apply running (pid {os.getpid()}): nvidia-driver-580-server" in text.stdout
    assert "step 1/2: Install the driver (40% of this step); 20% of the plan" in text.stdout
    assert "next: wait: follow it with `nvwizard logs -f`" in text.stdout
    assert data["state"] == "running"
    assert data["progress"]["percent"] == 20.0
    assert data["next_step"] == "wait"


def test_finished_apply_says_reboot(places):
    state, log = places
    journal = write_journal(log, state, at=time.time())  # finished after this boot
    result = status()
    assert result.returncode == 0
    assert "Last apply: nvidia-driver-580-server, done" in result.stdout
    assert "step 2/2: Check the package states; 100% of the plan" in result.stdout
    assert f"log: {journal.log_path}" in result.stdout
    data = json.loads(status("--json").stdout)
    assert (data["outcome"], data["next_step"]) == ("done", "reboot")
    assert data["log_path"] == str(journal.log_path)
    assert data["events_path"] == str(journal.events_path)


def test_failed_apply_says_repair(places):
    state, log = places
    write_journal(log, state, outcome="failed")
    result = status()
    assert "Last apply: nvidia-driver-580-server, failed" in result.stdout
    assert "message: Install the driver failed" in result.stdout
    assert (
        "next: repair: repair with `sudo dpkg --configure -a`, then run "
        "`sudo nvwizard install --driver nvidia-driver-580-server` again"
    ) in result.stdout


def test_cancelled_apply_names_the_install_with_the_user_s_options(places):
    state, log = places
    options = ["--cuda", "12.8", "--keep", "my pkg"]
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=options)
    write_journal(log, state, outcome="cancelled", plan=plan)
    again = "sudo nvwizard install --driver nvidia-driver-580-server --cuda 12.8 --keep 'my pkg'"
    result = status()
    assert f"next: install: run the install again to finish the remaining steps: `{again}`" in (
        result.stdout
    )
    data = json.loads(status("--json").stdout)
    assert (data["next_step"], data["next_hint"]) == (
        "install",
        f"run the install again to finish the remaining steps: `{again}`",
    )


def test_interrupted_apply(places):
    state, log = places
    # the worker died: nobody holds the lock
    journal = write_journal(log, state, upto="install-running")
    data = json.loads(status("--json").stdout)
    assert data["outcome"] == "interrupted"
    assert data["next_step"] == "repair"
    # no finish time: when it was last heard of, from its journal's last event
    events = [json.loads(line) for line in journal.events_path.read_text().splitlines()]
    assert data["finished_at"] is None and data["interrupted_at"] == events[-1]["time"]
    first = status().stdout.splitlines()[0]
    assert first.startswith("Last apply: nvidia-driver-580-server, interrupted: it did not finish")
    assert "finished ?" not in first and "last heard of " in first


def test_no_apply_yet(places):
    result = status()
    assert result.returncode == 0
    assert result.stdout.startswith("No apply has run on this machine yet.")
    assert json.loads(status("--json").stdout)["state"] == "none"


# -- a damaged state file: one line, exit 2, never a traceback, never trusted --------------

DAMAGED = ["[1,2]", '{"finished":"y"}', '{"events":7}', '{"outcome": "done", "dri']


@pytest.mark.parametrize("content", DAMAGED)
def test_status_on_a_damaged_state_file_is_one_line(places, content):
    state, _ = places
    state.mkdir(parents=True)
    (state / "state.json").write_text(content)
    for args in ((), ("--json",)):
        result = status(*args)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith(f"nvwizard: the state file {state / 'state.json'} is")
        assert "move it aside" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("content", DAMAGED)
def test_logs_on_a_damaged_state_file_warns_and_shows_the_newest_log(places, content):
    state, log = places
    journal = write_journal(log, state)
    (state / "state.json").write_text(content)
    result = nvwizard("logs")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("nvwizard: warning: the state file ")
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == journal.log_path.read_text(encoding="utf-8")


def test_a_long_state_dir_is_shown_whole_so_the_suggested_mv_can_be_pasted(tmp_path):
    """The paths and commands nvwizard composes are never cut (only echoed arguments are): a
    deep NVWIZARD_STATE_DIR used to come out as "/tmp/aaa...(150 characters)"."""
    import shlex
    import subprocess

    state = tmp_path / ("deep-" * 30).rstrip("-")
    assert len(str(state)) > 150
    state.mkdir()
    (state / "state.json").write_text('{"finished": "y"}')
    env = {**os.environ, "NVWIZARD_STATE_DIR": str(state), "NVWIZARD_LOG_DIR": str(tmp_path)}
    result = nvwizard_in(env, "status")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "characters)" not in result.stderr
    command = result.stderr.split("`")[1]
    damaged = state / "state.json"
    assert shlex.split(command) == ["mv", str(damaged), f"{damaged}.damaged"]
    subprocess.run(command, shell=True, check=True)  # pasted into a shell, it does that
    assert not damaged.exists() and (state / "state.json.damaged").is_file()
    assert nvwizard_in(env, "status").returncode == 0


def nvwizard_in(env: dict, *args: str):
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "nvwizard", *args],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        timeout=60,
    )


def test_a_damaged_journal_line_is_one_line_for_logs_and_a_note_for_status(places):
    state, log = places
    journal = write_journal(log, state)
    lines = journal.events_path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace('"lines"', '"line"')  # a renamed field
    journal.events_path.write_text("".join(lines), encoding="utf-8")

    result = nvwizard("logs")
    assert result.returncode == 2
    printed = result.stdout.splitlines()
    assert printed[0].endswith("apply started on this machine: nvidia-driver-580-server (pid 4242)")
    assert "Setting up nvidia-dkms-580-server ..." not in result.stdout  # never past the damage
    assert result.stderr == (
        f"nvwizard: the apply journal {journal.events_path} is damaged at line 3 (output event "
        "data: missing 'lines'; unexpected 'line'); nvwizard does not replay it past there: "
        f"read the human log {journal.log_path}\n"
    )

    text = status()
    assert text.returncode == 0
    assert "Last apply: nvidia-driver-580-server, done" in text.stdout
    assert f"progress unknown: the apply journal {journal.events_path} is damaged" in text.stdout


# -- after a `verify`, with no apply ever run ---------------------------------------------


def _verify_only(state: Path, ok: bool) -> None:
    from nvwizard.engine.state import RecordedState, VerifyCheck, VerifyResult, write_state

    checks = [VerifyCheck("module-loaded", True, "nvidia 580.95.05 is loaded")]
    if not ok:
        checks.append(VerifyCheck("nvidia-smi", False, "nvidia-smi fails", "Reboot."))
    result = VerifyResult(checks, at=time.mktime((2026, 1, 2, 3, 4, 5, 0, 0, -1)))
    write_state(RecordedState(verify=result, verify_pending=not ok), state)


def test_status_after_a_passing_verify_and_no_apply(places):
    state, _ = places
    _verify_only(state, ok=True)
    result = status()
    assert result.returncode == 0
    assert result.stdout.splitlines()[:3] == [
        "No apply has run on this machine yet.",
        "last verify (`nvwizard verify`): ok (1 checks passed) at 2026-01-02 03:04:05",
        "next: nothing: the driver was verified",
    ]
    assert "None" not in result.stdout and "?" not in result.stdout
    data = json.loads(status("--json").stdout)
    assert (data["state"], data["outcome"], data["next_step"]) == ("none", None, "nothing")
    assert data["verified"]["ok"] is True


def test_status_after_a_failing_verify_and_no_apply(places):
    state, _ = places
    _verify_only(state, ok=False)
    lines = status().stdout.splitlines()
    assert lines[0] == "No apply has run on this machine yet."
    assert lines[1] == (
        "last verify (`nvwizard verify`): problems found (nvidia-smi) at 2026-01-02 03:04:05"
    )
    assert lines[2].startswith("next: verify: `nvwizard verify` found problems")


def test_status_says_what_the_kernel_runs_now():
    from nvwizard.cli.status_cmd import loaded_now
    from nvwizard.simulator import demo_host

    assert loaded_now(demo_host("hgx-h100")) == {
        "nvidia": {
            "version": "535.247.01",
            "flavor": "proprietary",
            "modules": ["nvidia_uvm", "nvidia_drm", "nvidia_modeset", "nvidia"],
        },
        "nouveau": False,
    }
    assert loaded_now(demo_host("rtx3090-fresh")) == {"nvidia": None, "nouveau": True}


def test_status_after_a_demo_apply_says_what_the_demo_runs_not_this_computer(
    places, capsys, monkeypatch
):
    """It printed "loaded now on this machine: no nvidia module; nouveau unknown" (this
    computer's lsmod) under the demo's facts and next step."""
    from nvwizard.cli.main import main

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)
    assert main(["install", "--demo", "rtx3090-fresh", "--yes"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Last apply on demo rtx3090-fresh: ")
    assert lines[-1] == "loaded now on demo rtx3090-fresh: no nvidia module; nouveau loaded"
    assert not [line for line in lines if "this machine" in line]
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["loaded"] == {"nvidia": None, "nouveau": True}
    # loaded without a reboot: the demo's new module, as the demo's
    assert main(["activate", "--demo", "rtx3090-fresh", "--yes"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("loaded now on demo rtx3090-fresh")
    assert ": nvidia 595." in last and last.endswith("; no nouveau")


def test_status_after_a_bundle_apply_says_nothing_of_this_computers_modules(
    places, capsys, monkeypatch, tmp_path
):
    """It ended with "loaded now on this machine: ..." (this computer's lsmod) after an install
    on a bundle: the bundle's simulated machine ended with that command, and this computer is
    not the bundle's machine."""
    import shutil

    from nvwizard.cli.main import main
    from nvwizard.host.demo import find_demo

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    bundle = tmp_path / "bundle"
    shutil.copytree(find_demo("rtx3090-fresh").path, bundle)
    assert main(["install", "--machine", str(bundle), "--yes"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"Last apply on bundle {bundle}: ")
    assert lines[-1].startswith("next: nothing: the apply on the bundle was a simulation")
    assert not [line for line in lines if "loaded now" in line or "this machine" in line]
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["loaded"] is None


def test_status_while_the_old_driver_runs_without_fabric_manager(places, capsys, monkeypatch):
    """hgx-h100 after the install, not activated (training jobs run): until the reboot the old
    driver runs without fabric manager, and status says so (text and --json)."""
    from nvwizard.cli.main import main

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)
    assert (
        main(["install", "--demo", "hgx-h100", "--yes", "--accept", "gpu-processes", "--activate"])
        == 0
    )
    capsys.readouterr()
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[lines.index(next(x for x in lines if x.startswith("next: reboot:"))) + 1] == (
        "meanwhile: the old driver (nvidia 535.247.01) keeps running until the reboot, without "
        "fabric manager: the installed nvidia-fabricmanager-595 (595.58.03) runs only beside "
        "the 595.58.03 driver, so multi-GPU jobs over NVLink cannot start until the reboot."
    )
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["meanwhile"].startswith("The old driver")
    # after the demo's reboot the new driver runs, with its fabric manager: nothing to say
    assert (
        main(["install", "--demo", "hgx-h100", "--yes", "--accept", "gpu-processes", "--reboot"])
        == 0
    )
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["meanwhile"] is None
