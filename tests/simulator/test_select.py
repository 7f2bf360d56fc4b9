"""Choosing the machine: --machine DIR, --demo [NAME], or this one."""

from __future__ import annotations

import os

import pytest

from nvwizard.errors import EXIT_USAGE, UsageError
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import DEMOS, default_demo_name
from nvwizard.host.local import LocalHost
from nvwizard.simulator import demo_host
from nvwizard.simulator.select import host_from_args


def test_no_option_is_this_machine():
    host = host_from_args(None, None)
    assert isinstance(host, LocalHost)
    assert host.kind == "local" and host.is_real


def test_a_directory_with_one_known_file_is_a_bundle(tmp_path):
    (tmp_path / "nvidia-smi.txt").write_text("No devices were found\n")
    host = host_from_args(str(tmp_path), None)
    assert isinstance(host, BundleHost)
    assert host.read("nvidia-smi.txt") == "No devices were found\n"
    # handed its simulated machine: commands are answered, never run
    command = host.start(["nvidia-smi"])
    assert [line.text for line in command.lines()] == ["No devices were found"]
    assert command.wait() == 6


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: p / "nope", "no such directory"),
        (lambda p: (p / "file.txt").write_text("x") and p / "file.txt", "not a directory"),
        (lambda p: p, "no bundle files"),
        (lambda p: (p / "notes.md").write_text("x") and p, "no bundle files"),
        (lambda p: (p / "machine.txt").write_text("name=x\n") and p, "no bundle files"),
    ],
)
def test_bad_machine_paths_are_usage_errors(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(UsageError) as error:
        host_from_args(str(path), None)
    assert words in str(error.value)
    assert "\n" not in str(error.value)
    assert error.value.exit_code == EXIT_USAGE


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_machine_directory(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    try:
        with pytest.raises(UsageError, match="cannot read"):
            host_from_args(str(folder), None)
    finally:
        folder.chmod(0o755)


def test_bare_demo_is_the_default_demo():
    host = host_from_args(None, "")
    assert host.kind == "demo"
    assert host.label == f"demo {default_demo_name()}" == "demo hgx-h100"
    assert host.read("uname-r.txt")


def test_named_demo_and_unknown_demo():
    assert demo_host("vm-no-gpu").label == "demo vm-no-gpu"
    with pytest.raises(UsageError) as error:
        demo_host("gtx9999")
    for demo in DEMOS:
        assert demo.name in str(error.value)
