"""`nvwizard status [--json]` on journals written by the real Journal listener."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from nvwizard.engine.lock import ApplyLock
from tests.cli.run import nvwizard
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
    assert "next: repair: repair with `sudo dpkg --configure -a`, then apply again" in result.stdout


def test_interrupted_apply(places):
    state, log = places
    write_journal(log, state, upto="install-running")  # the worker died: nobody holds the lock
    data = json.loads(status("--json").stdout)
    assert data["outcome"] == "interrupted"
    assert data["next_step"] == "repair"


def test_no_apply_yet(places):
    result = status()
    assert result.returncode == 0
    assert result.stdout.startswith("No apply has run on this machine yet.")
    assert json.loads(status("--json").stdout)["state"] == "none"
