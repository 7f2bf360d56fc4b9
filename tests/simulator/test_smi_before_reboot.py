"""nvidia-smi between an install and its reboot, as the real tool answers then: the installed
tool cannot reach a driver that is not loaded ("couldn't communicate with the NVIDIA driver"),
or meets an older loaded module ("Driver/library version mismatch"); purged, it prints nothing.
Detection reads each; verify says the installed driver is not loaded yet."""

from __future__ import annotations

import pytest

from nvwizard.detect.nvidia_smi import parse_nvidia_smi
from nvwizard.engine.verify import check_nvidia_smi
from nvwizard.engine.verify_fixes import THIS_MACHINE, fixes_for
from nvwizard.plan.apt import apt_options
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from tests.simulator.test_simulated import run

APT_Y = ["apt-get", *apt_options(300)]  # waits for the fresh machine's unattended-upgrades

COULD_NOT_REACH = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver"


@pytest.fixture(autouse=True)
def kept_demos(monkeypatch, tmp_path):
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))


def test_an_install_on_a_machine_without_a_driver_cannot_reach_it_until_it_loads():
    host = demo_host("rtx3090-fresh")  # nouveau loaded, no NVIDIA package
    assert host.read("nvidia-smi.txt") is None
    packages = ["nvidia-headless-no-dkms-595-server-open", "nvidia-utils-595-server"]
    assert run(host, [*APT_Y, "install", *packages])[0] == 0

    smi = parse_nvidia_smi(host.read("nvidia-smi.txt"))
    assert smi.status == "no-driver" and COULD_NOT_REACH in smi.message
    assert run(host, ["nvidia-smi"])[0] == 9  # as the real tool exits then

    report = build_report(host)
    check = check_nvidia_smi(report, "595-server-open", THIS_MACHINE)
    assert not check.ok
    assert check.detail.startswith("the installed driver is not loaded yet: nvidia-smi fails (")
    assert check.fix == (
        "Reboot (`sudo reboot`), or load it without a reboot where that is safe (`sudo "
        "nvwizard activate`); then run `sudo nvwizard verify` again."
    )


def test_an_install_over_a_loaded_older_driver_is_a_version_mismatch():
    host = demo_host("hgx-h100")  # nvidia 535 loaded
    assert parse_nvidia_smi(host.read("nvidia-smi.txt")).status == "ok"
    code, _ = run(host, [*APT_Y, "install", "nvidia-utils-595-server"])
    assert code == 0

    smi = parse_nvidia_smi(host.read("nvidia-smi.txt"))
    assert smi.status == "version-mismatch"
    assert smi.nvml_library_version == "595.58"  # the new tool's library, the old module
    report = build_report(host)
    assert report.loaded_module.version == "535.247.01"
    check = check_nvidia_smi(report, "595-server-open", fixes_for(host, None))
    assert check.detail == (
        "the installed driver is not loaded yet: nvidia-smi fails (Failed to initialize NVML: "
        "Driver/library version mismatch)"
    )
    assert "nvwizard activate --demo hgx-h100" in check.fix and "sudo" not in check.fix


def test_a_purged_nvidia_smi_prints_nothing():
    host = demo_host("hgx-h100")
    code, _ = run(host, [*APT_Y, "purge", "nvidia-utils-535-server"])
    assert code == 0
    assert host.read("nvidia-smi.txt") is None


def test_installing_something_else_leaves_the_captured_table_alone():
    """Only nvidia-smi's own package changes its output: the bundle's table (its processes,
    its memory use) stays while the toolkit or anything else comes and goes."""
    host = demo_host("hgx-h100")
    before = host.read("nvidia-smi.txt")
    code, _ = run(host, [*APT_Y, "install", "nvidia-container-toolkit"])
    assert code == 0
    assert host.read("nvidia-smi.txt") == before
