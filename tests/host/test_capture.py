"""Capturing this machine into a bundle."""

from __future__ import annotations

import pytest

from nvwizard.errors import UsageError
from nvwizard.host.capture import NOTES_FILE, capture
from nvwizard.host.local import LocalHost
from nvwizard.host.sources import SOURCE_NAMES


def test_capture_writes_what_exists_and_notes_what_does_not(tmp_path, fake_bin):
    fake_bin("nvidia-smi", 'echo "No devices were found"\nexit 6\n')
    out = tmp_path / "bundle"
    result = capture(out)
    written = {p.name for p in out.iterdir()}
    assert written == set(result.written) | {NOTES_FILE}
    assert "nvidia-smi.txt" in written
    assert (out / "nvidia-smi.txt").read_text() == "No devices were found\n"
    assert "lspci-nn.txt" not in written  # no lspci on the fake PATH
    notes = (out / NOTES_FILE).read_text()
    assert "lspci-nn.txt: command not found: lspci" in notes
    assert set(result.written) | set(result.missing) == SOURCE_NAMES
    machine = (out / "machine.txt").read_text()
    assert "captured_at=" in machine and "nvwizard_version=" in machine


def test_capture_refuses_a_non_empty_folder_unless_forced(tmp_path):
    (tmp_path / "nvidia-smi.txt").write_text("stale\n")
    with pytest.raises(UsageError, match="not empty"):
        capture(tmp_path, host=LocalHost(root=str(tmp_path / "root")))
    result = capture(tmp_path, host=LocalHost(root=str(tmp_path / "root")), force=True)
    if "nvidia-smi.txt" not in result.written:
        assert not (tmp_path / "nvidia-smi.txt").exists()  # a stale file never survives
    assert (tmp_path / NOTES_FILE).exists()


def test_capture_into_a_file_path_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        capture(target)
