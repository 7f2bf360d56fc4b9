"""`nvwizard capture` on this machine, then `detect` on the capture."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def nvwizard(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nvwizard", *args], capture_output=True, text=True, timeout=300
    )


def test_capture_then_detect_the_capture(tmp_path):
    out = tmp_path / "bundle"
    done = nvwizard("capture", str(out))
    assert done.returncode == 0, done.stderr
    assert f"nvwizard detect --machine {out}" in done.stdout
    assert (out / "uname-r.txt").exists() and (out / "capture-notes.txt").exists()

    detected = nvwizard("detect", "--machine", str(out), "--json")
    assert detected.returncode == 0, detected.stderr
    report = json.loads(detected.stdout)
    assert report["kernel"] == (out / "uname-r.txt").read_text().strip()
    assert report["source"] == f"bundle {out}"
    text = nvwizard("detect", "--machine", str(out))
    assert text.returncode == 0, text.stderr
    if not report["gpus"]:
        assert "No NVIDIA GPU found" in text.stdout


def test_capture_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    done = nvwizard("capture", str(tmp_path))
    assert done.returncode == 2
    assert "not empty" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "uname-r.txt").exists()
    forced = nvwizard("capture", "--force", str(tmp_path))
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_forced_capture_never_writes_through_a_planted_symlink(tmp_path):
    victim = tmp_path / "victim"  # as if /etc/something: capture runs as root
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "uname-r.txt").symlink_to(victim)
    done = nvwizard("capture", str(folder), "--force")
    assert done.returncode == 2, done.stdout
    assert f"{folder}/uname-r.txt is a symbolic link" in done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert not victim.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["uname-r.txt"]  # nothing written


def test_forced_capture_refuses_a_fifo_instead_of_waiting_on_it(tmp_path):
    folder = tmp_path / "bundle"
    folder.mkdir()
    os.mkfifo(folder / "os-release.txt")
    done = nvwizard("capture", str(folder), "--force")  # before: waited for a reader forever
    assert done.returncode == 2
    assert f"{folder}/os-release.txt is a FIFO" in done.stderr
