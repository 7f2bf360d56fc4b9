"""A command whose output is closed before it ends (`nvwizard install --yes | head -1`): it
stops, as a program killed by SIGPIPE does, and exits 141 (128 + SIGPIPE), never 0: an
install that printed its plan into a closed pipe has applied nothing, and a script under
`set -o pipefail` must not read that as done."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from nvwizard.errors import EXIT_BROKEN_PIPE
from tests.cli.run import REPO_ROOT


def _with_output_closed(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """nvwizard ARGS with its stdout a pipe nobody reads: the reader is gone before it writes."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "nvwizard", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={
                **os.environ,
                "PYTHONPATH": str(REPO_ROOT),
                "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
                "NVWIZARD_DEMO_SPEED": "0",
            },
            cwd=REPO_ROOT,
            timeout=120,
        )
    finally:
        os.close(write)


def test_an_install_whose_output_is_closed_applies_nothing_and_does_not_exit_0(tmp_path):
    closed = _with_output_closed(tmp_path, "install", "--demo", "rtx3090-fresh", "--yes")
    assert closed.returncode == EXIT_BROKEN_PIPE == 141, closed.stderr
    assert "Traceback" not in closed.stderr
    assert "Exception ignored" not in closed.stderr
    status = subprocess.run(
        [sys.executable, "-m", "nvwizard", "status", "--json"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        },
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert json.loads(status.stdout)["state"] == "none"  # nothing was applied


def test_a_listing_whose_output_is_closed_exits_141_too(tmp_path):
    closed = _with_output_closed(tmp_path, "detect", "--demo", "hgx-h100", "--json")
    assert closed.returncode == 141, closed.stderr
    assert "Exception ignored" not in closed.stderr


def test_an_install_whose_json_cannot_be_written_exits_as_the_install_ended(tmp_path):
    """stdout on a full disk: the install ran, so its exit code is the install's (0 here), with
    one line saying the JSON could not be written; not 2, a usage error, which says nothing
    was done (a script would run the install again)."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "nvwizard",
                "install",
                "--demo",
                "rtx3090-fresh",
                "--yes",
                "--json",
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={
                **os.environ,
                "PYTHONPATH": str(REPO_ROOT),
                "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
                "NVWIZARD_DEMO_SPEED": "0",
            },
            cwd=REPO_ROOT,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("nvwizard: cannot write the JSON result (No space left on device)")
    assert "the install ended done" in last
    assert "Exception ignored" not in done.stderr
