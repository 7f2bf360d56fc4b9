"""BundleHost: raw reads, and the hand-off to the simulator it was given."""

from __future__ import annotations

import os
import threading

import pytest

from nvwizard.host.bundle import BundleHost, read_bundle_file


def test_reads_files_and_none_for_missing(tmp_path):
    (tmp_path / "uname-r.txt").write_text("6.8.0-94-generic\n")
    host = BundleHost(tmp_path)
    assert host.read("uname-r.txt") == "6.8.0-94-generic\n"
    assert host.read("nvidia-smi.txt") is None
    assert host.kind == "bundle"
    assert host.label == f"bundle {tmp_path}"
    assert not host.is_real


def test_crlf_is_left_for_the_parsers_and_bad_bytes_are_replaced(tmp_path):
    (tmp_path / "lsmod.txt").write_bytes(b"Module  Size  Used by\r\nnvidia 1 0\r\n\xff\xfe\r\n")
    text = BundleHost(tmp_path).read("lsmod.txt")
    assert text.startswith("Module  Size  Used by\r\nnvidia 1 0\r\n")
    assert "\ufffd" in text


def test_a_directory_in_place_of_a_file_reads_as_missing(tmp_path):
    (tmp_path / "dpkg-l.txt").mkdir()
    assert BundleHost(tmp_path).read("dpkg-l.txt") is None


def _read_within(folder, source, seconds=10):
    """read_bundle_file in a thread: a read that waits forever fails the test, never hangs it."""
    answer = []
    reader = threading.Thread(target=lambda: answer.append(read_bundle_file(folder, source)))
    reader.daemon = True
    reader.start()
    reader.join(seconds)
    assert not reader.is_alive(), f"reading {source} did not return"
    return answer[0]


def test_a_fifo_or_device_in_place_of_a_file_reads_as_missing_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "uname-r.txt")  # a bundle from a stranger's bug report
    (tmp_path / "nvidia-smi.txt").symlink_to("/dev/zero")  # would never end
    (tmp_path / "lsmod.txt").symlink_to(tmp_path / "uname-r.txt")
    assert _read_within(tmp_path, "uname-r.txt") is None
    assert _read_within(tmp_path, "nvidia-smi.txt") is None
    assert _read_within(tmp_path, "lsmod.txt") is None


class FakeSimulator:
    """Stands in for nvwizard/simulator: records what the host hands it."""

    def __init__(self):
        self.reads: list[str] = []
        self.started: list[list[str]] = []

    def read(self, source):
        self.reads.append(source)
        return f"simulated {source}"

    def start(self, argv, env=None, purged=(), unheld=()):
        self.started.append(
            [
                *argv,
                *(f"purged:{name}" for name in sorted(purged)),
                *(f"unheld:{name}" for name in sorted(unheld)),
            ]
        )
        return "the simulated command"


def test_a_bundle_host_hands_reads_and_commands_to_its_simulator(tmp_path):
    (tmp_path / "uname-r.txt").write_text("6.8.0-94-generic\n")
    simulator = FakeSimulator()
    host = BundleHost(tmp_path, kind="demo", label="demo x", simulator=simulator)

    assert host.read("uname-r.txt") == "simulated uname-r.txt"
    assert host.start(["apt-get", "-s", "install", "x"]) == "the simulated command"
    assert host.start_after_purge(["apt-get", "-s", "install", "x"], {"y"})
    assert host.start_after_purge(["apt-get", "-s", "install", "x"], {"y"}, unheld={"z"})
    assert simulator.reads == ["uname-r.txt"]
    assert simulator.started == [
        ["apt-get", "-s", "install", "x"],
        ["apt-get", "-s", "install", "x", "purged:y"],
        ["apt-get", "-s", "install", "x", "purged:y", "unheld:z"],
    ]
    assert (host.kind, host.label, host.is_real) == ("demo", "demo x", False)


def test_without_a_simulator_a_bundle_host_runs_no_command(tmp_path):
    host = BundleHost(tmp_path)
    with pytest.raises(NotImplementedError, match="no simulated machine"):
        host.start(["apt-get", "-s", "install", "nvidia-driver-580"])


def test_read_bundle_file_reads_the_folder_as_captured(tmp_path):
    (tmp_path / "dpkg-query.txt").write_text("nvidia-driver-535\tinstall ok installed\t535\n")
    assert read_bundle_file(tmp_path, "dpkg-query.txt").startswith("nvidia-driver-535")
    assert read_bundle_file(tmp_path, "nvidia-smi.txt") is None
