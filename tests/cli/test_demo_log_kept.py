"""A demo kept in NVWIZARD_STATE_DIR keeps its apply's log next to it: `status` and `logs` in a
later process name and show a file that is there (it used to be a temporary folder's, removed
when the install ended). A log that is gone all the same is said to be gone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DEMO = "rtx3090-fresh"
ROOT = Path(__file__).resolve().parent.parent.parent


def nvwizard(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """A new process with only NVWIZARD_STATE_DIR set, as the README's demo walk-through."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NVWIZARD_", "XDG_"))}
    env |= {
        "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        "NVWIZARD_DEMO_SPEED": "0",
        "TMPDIR": str(tmp_path / "tmp"),
        "HOME": str(tmp_path / "home"),
    }
    argv = [sys.executable, "-m", "nvwizard", *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_status_and_logs_after_a_demo_install_name_a_log_that_is_there(tmp_path):
    installed = nvwizard(tmp_path, "install", "--demo", DEMO, "--yes")
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr
    said = re.search(r"^Log: (.+)$", installed.stdout, re.M)
    assert said is not None, installed.stdout[-2000:]
    log = Path(said.group(1))
    assert log.parent == tmp_path / "state" / "log" and log.is_file()
    assert "Install nvidia-driver-" in log.read_text()
    assert list((tmp_path / "tmp").iterdir()) == []  # no temporary folder left behind

    status = nvwizard(tmp_path, "status")
    assert f"log: {log}\n" in status.stdout, status.stdout
    shown = nvwizard(tmp_path, "logs")
    assert shown.returncode == 0, shown.stderr
    assert f"apply started on demo {DEMO}" in shown.stdout


def test_status_says_when_the_log_it_names_is_gone(tmp_path):
    installed = nvwizard(tmp_path, "install", "--demo", DEMO, "--yes")
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr
    named = re.search(r"^log: (.+)$", nvwizard(tmp_path, "status").stdout, re.M)
    assert named is not None
    log = Path(named.group(1))
    log.unlink(missing_ok=True)  # removed by hand (or, before, with a temporary folder)
    status = nvwizard(tmp_path, "status")
    assert f"log: {log} (no longer there: it was removed)" in status.stdout, status.stdout
