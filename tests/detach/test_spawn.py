"""Starting the worker outside the terminal: the systemd-run command line and the setsid path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from nvwizard.errors import NvwizardError
from nvwizard.host import spawn

FAKE_SYSTEMD_RUN = """#!/bin/sh
printf '%s\\n' "$@" > "{record}"
{tail}
"""


def test_systemd_run_argv_passes_the_environment_and_collects_the_unit(tmp_path):
    output = tmp_path / "worker.out"
    argv = spawn.systemd_run_argv(
        ["python3", "-m", "nvwizard", "_apply-worker"],
        "nvwizard-apply-1",
        {"APT_CONFIG": "/etc/x.conf", "PATH": "/usr/bin"},
        output,
    )
    assert argv[:3] == ["systemd-run", "--unit", "nvwizard-apply-1"]
    assert "--collect" in argv
    assert f"--property=StandardOutput=append:{output}" in argv
    assert f"--property=StandardError=append:{output}" in argv
    assert "--setenv=APT_CONFIG=/etc/x.conf" in argv
    assert "--setenv=PATH=/usr/bin" in argv
    assert argv[argv.index("--") + 1 :] == ["python3", "-m", "nvwizard", "_apply-worker"]


def test_passed_environment_keeps_only_the_listed_variables(monkeypatch):
    monkeypatch.setenv("APT_CONFIG", "/sandbox/apt.conf")
    monkeypatch.setenv("NVWIZARD_STATE_DIR", "/tmp/state")
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/agent")
    env = spawn.passed_environment({"PYTHONPATH": "/src"})
    assert env["APT_CONFIG"] == "/sandbox/apt.conf"
    assert env["NVWIZARD_STATE_DIR"] == "/tmp/state"
    assert env["PYTHONPATH"] == "/src"
    assert "SSH_AUTH_SOCK" not in env


def _fake_systemd_run(tmp_path: Path, monkeypatch, tail: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "systemd-run.args"
    script = bin_dir / "systemd-run"
    script.write_text(FAKE_SYSTEMD_RUN.format(record=record, tail=tail))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return record


def test_start_detached_through_systemd_run(tmp_path, monkeypatch):
    record = _fake_systemd_run(tmp_path, monkeypatch, "exit 0")
    monkeypatch.setenv("APT_CONFIG", "/sandbox/apt.conf")
    started = spawn.start_detached(
        ["true"], "nvwizard-apply-2", tmp_path / "log" / "w.out", method=spawn.SYSTEMD_RUN
    )
    assert (started.method, started.unit, started.pid) == ("systemd-run", "nvwizard-apply-2", None)
    args = record.read_text().splitlines()
    assert args[:2] == ["--unit", "nvwizard-apply-2"]
    assert "--setenv=APT_CONFIG=/sandbox/apt.conf" in args


def test_a_systemd_run_failure_is_one_clear_error(tmp_path, monkeypatch):
    _fake_systemd_run(
        tmp_path,
        monkeypatch,
        "echo 'Failed to start transient service unit: Access denied' >&2\nexit 1",
    )
    with pytest.raises(NvwizardError, match="could not start nvwizard-apply-3: Failed to start"):
        spawn.start_detached(["true"], "nvwizard-apply-3", tmp_path / "w.out", method="systemd-run")


def test_setsid_starts_a_new_session_with_output_to_the_file(tmp_path):
    output = tmp_path / "log" / "w.out"
    probe = "import os; print(os.getsid(0) == os.getpid(), os.environ.get('NVWIZARD_X'))"
    started = spawn.start_detached(
        [sys.executable, "-c", probe], "u", output, env={"NVWIZARD_X": "1"}, method=spawn.SETSID
    )
    assert started.method == "setsid" and started.pid
    assert started._popen.wait(timeout=60) == 0
    assert started.exit_code() == 0
    assert output.read_text() == "True 1\n"  # session leader, extra environment passed


def test_detach_method_needs_systemd_as_init(monkeypatch):
    monkeypatch.setattr(spawn, "systemd_is_init", lambda: False)
    assert spawn.detach_method() == spawn.SETSID
    monkeypatch.setattr(spawn, "systemd_is_init", lambda: True)
    monkeypatch.setattr(spawn.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert spawn.detach_method() == spawn.SYSTEMD_RUN
