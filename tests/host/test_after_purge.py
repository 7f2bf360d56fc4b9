"""Host.start_after_purge: apt answers a simulation as if some packages were purged already.

On this machine apt reads a copy of dpkg's status file without those packages; on a demo or
bundle the simulator drops them from its model for that one command."""

from __future__ import annotations

from pathlib import Path

import pytest

from nvwizard.host.after_purge import status_file, without_packages
from nvwizard.host.local import LocalHost
from nvwizard.simulator import demo_host
from tests.engine.sandboxhost import SandboxHost

STATUS = b"""\
Package: bash
Status: install ok installed
Version: 5.2-1

Package: nvidia-utils-580-server
Status: install ok installed
Architecture: amd64
Version: 580.95.05-0ubuntu0.24.04.2

Package: libnvidia-compute-580-server
Status: install ok installed
Architecture: i386
Version: 580.95.05-0ubuntu0.24.04.2

Package: libnvidia-compute-580-server
Status: install ok installed
Architecture: amd64
Version: 580.95.05-0ubuntu0.24.04.2
"""


def _names(status: bytes) -> list[str]:
    return [
        line.split(b": ")[1].decode()
        for line in status.splitlines()
        if line.startswith(b"Package:")
    ]


def test_the_copy_lacks_every_architecture_of_the_purged_packages_only():
    copy = without_packages(STATUS, {"libnvidia-compute-580-server", "not-installed"})
    assert _names(copy) == ["bash", "nvidia-utils-580-server"]
    assert copy.endswith(b"Version: 580.95.05-0ubuntu0.24.04.2")
    assert without_packages(STATUS, set()) == STATUS


def test_the_status_file_is_where_apt_config_says(fake_bin):
    fake_bin("apt-config", "echo \"STATUS='/srv/root/var/lib/dpkg/status'\"\n")
    assert status_file(LocalHost(), None) == Path("/srv/root/var/lib/dpkg/status")


def test_no_answer_from_apt_config_is_an_os_error(fake_bin):
    fake_bin("apt-config", "echo 'E: broken configuration' >&2; exit 100\n")
    with pytest.raises(OSError, match="did not name dpkg's status file"):
        status_file(LocalHost(), None)


def test_only_a_simulation_runs_on_the_copy():
    with pytest.raises(ValueError):
        LocalHost().start_after_purge(["apt-get", "-y", "install", "x"], {"y"})


def test_real_apt_answers_as_if_purged_and_nothing_is_left_behind(apt_sandbox):
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install("nvidia-driver-580-server")
    status = apt_sandbox.root / "var/lib/dpkg/status"
    before = status.read_bytes()
    host = SandboxHost(apt_sandbox)
    argv = ["apt-get", "-s", "install", "nvidia-utils-580-server"]
    today = "\n".join(line.text for line in host.start(argv).lines())
    command = host.start_after_purge(argv, {"nvidia-utils-580-server"})
    after = "\n".join(line.text for line in command.lines())
    assert command.wait() == 0
    assert "is already the newest version" in today
    assert "Inst nvidia-utils-580-server (" in after  # gone from the copy: a fresh install
    assert status.read_bytes() == before
    copy = next(a for a in host.started[-1] if a.startswith("Dir::State::status="))
    assert not Path(copy.partition("=")[2]).exists()
    assert "Dir::Cache::pkgcache=" in host.started[-1]


def test_the_demo_answers_as_if_purged_and_keeps_its_packages(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    host = demo_host("hgx-h100")
    argv = ["apt-get", "-s", "install", "nvidia-utils-535-server"]
    command = host.start_after_purge(argv, {"nvidia-utils-535-server"})
    text = "\n".join(line.text for line in command.lines())
    assert command.wait() == 0
    assert "Inst nvidia-utils-535-server (" in text  # no "[old version]": a fresh install
    assert "nvidia-utils-535-server\t" in (host.read("dpkg-query.txt") or "")


def test_the_demo_refuses_a_real_change_on_assumed_state(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    host = demo_host("hgx-h100")
    command = host.start_after_purge(["apt-get", "-y", "install", "x"], {"y"})
    lines = [line.text for line in command.lines()]
    assert command.wait() == 100
    assert lines == ["E: only a simulation (-s) can assume packages purged"]
