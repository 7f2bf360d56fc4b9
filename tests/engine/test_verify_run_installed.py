"""verify on a machine whose driver NVIDIA's .run installer put there: no nvidia package in
dpkg, /proc/driver/nvidia/version present, nvidia-smi answering. It said "Install the driver
first" for module-version, flavour and next-boot-modules; it checks what the machine shows and
says that apt does not manage the driver.

The machine: the rtx3090-fresh demo's files (Ubuntu 22.04, no nvidia package, kernel
5.15.0-163-generic) as this machine, with the .run installer's traces and its driver loaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify import verify
from nvwizard.engine.verify_fixes import INSTALL_FIRST
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import find_demo

KERNEL = "5.15.0-163-generic"
OPEN_570 = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.133.07  Release Build  "
    "(dvs-builder@U16-I3-B03-4-3)  Fri Mar 14 07:05:33 UTC 2025\n"
    "GCC version:  gcc version 11.4.0 (Ubuntu 11.4.0-1ubuntu1~22.04) \n"
)
PROPRIETARY_550 = (
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n"
    "GCC version:  gcc version 11.4.0 (Ubuntu 11.4.0-1ubuntu1~22.04) \n"
)
LSMOD = """Module                  Size  Used by
nvidia_uvm           2076672  0
nvidia_drm            135168  0
nvidia_modeset       1638400  1 nvidia_drm
nvidia              104857600  2 nvidia_uvm,nvidia_modeset
ast                   110592  0
igb                   299008  0
"""
MISMATCH = (
    "Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 570.133\n"
)
NOT_APT = "installed by NVIDIA's .run installer, not managed by apt"


def smi_table(version: str, cuda: str) -> str:
    return f"""Wed Nov 25 16:41:27 2026
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI {version}             Driver Version: {version}     CUDA Version: {cuda}     |
|-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |
|                                         |                        |               MIG M. |
|=========================================+========================+======================|
|   0  NVIDIA GeForce RTX 3090        Off |   00000000:01:00.0 Off |                  N/A |
|  0%   34C    P8             21W /  350W |       1MiB /  24576MiB |      0%      Default |
|                                         |                        |                  N/A |
+-----------------------------------------+------------------------+----------------------+
"""


def run_machine(
    folder: Path,
    proc: str = OPEN_570,
    smi: str | None = None,
    kind: str = "local",
    dkms_status: str | None = None,
) -> BundleHost:
    """This machine (kind "local") with a .run-installed driver loaded."""
    shutil.copytree(find_demo("rtx3090-fresh").path, folder)
    (folder / "machine.txt").unlink()  # this machine, not the demo
    written = {
        "run-installer.txt": "/usr/bin/nvidia-uninstall\n/usr/bin/nvidia-installer\n"
        "/var/log/nvidia-installer.log\n",
        "proc-driver-nvidia-version.txt": proc,
        "lsmod.txt": LSMOD,
        "nvidia-smi.txt": smi if smi is not None else smi_table("570.133.07", "12.8"),
    }
    if dkms_status is not None:
        written["dkms-status.txt"] = dkms_status
    for name, text in written.items():
        (folder / name).write_text(text)
    label = "this machine" if kind == "local" else f"bundle {folder}"
    return BundleHost(folder, kind=kind, label=label)


def checks_of(host: BundleHost, state: Path) -> dict[str, VerifyCheck]:
    return {c.name: c for c in verify(host, state, record=False).checks}


@pytest.fixture
def places(tmp_path) -> tuple[Path, Path]:
    return tmp_path / "machine", tmp_path / "state"


def test_the_open_run_driver_is_verified_not_sent_to_install(places):
    machine, state = places
    checks = checks_of(run_machine(machine), state)
    assert [c.name for c in checks.values() if not c.ok] == []
    assert not any(INSTALL_FIRST in (c.fix or "") or c.skipped for c in checks.values())
    version = checks["module-version"].detail
    assert version.startswith("module 570.133.07 = the driver nvidia-smi answers with")
    assert NOT_APT in version
    # the advice detection gives for a .run driver, as the way to move it to apt
    assert "`sudo nvidia-uninstall` (or `sudo nvidia-installer --uninstall`)" in version
    assert checks["flavour"].detail.startswith("the open module runs (/proc/driver/nvidia/version")
    assert NOT_APT in checks["next-boot-modules"].detail


def test_the_proprietary_run_driver_is_the_proprietary_flavour(places):
    machine, state = places
    host = run_machine(machine, PROPRIETARY_550, smi_table("550.54.14", "12.4"))
    checks = checks_of(host, state)
    assert checks["module-version"].ok
    assert checks["module-version"].detail.startswith("module 550.54.14 = the driver")
    assert checks["flavour"].ok
    assert checks["flavour"].detail.startswith("the proprietary module runs")


def test_the_proprietary_run_driver_fails_where_the_gpu_needs_the_open_modules(places):
    machine, state = places
    host = run_machine(machine, PROPRIETARY_550, smi_table("550.54.14", "12.4"))
    for name in ("sysfs-pci.txt", "lspci-nn.txt", "ubuntu-drivers-devices.txt"):
        text = (machine / name).read_text()
        blackwell = text.replace("2204", "2b85").replace("GA102 [GeForce RTX 3090]", "GB202")
        (machine / name).write_text(blackwell)  # an RTX 5090: Blackwell runs only open modules
    flavour = checks_of(host, state)["flavour"]
    assert not flavour.ok
    assert "works only with the open kernel modules" in flavour.detail
    assert "--kernel-module-type=open" in (flavour.fix or "")


def test_a_library_of_another_version_is_the_nvml_mismatch(places):
    machine, state = places
    checks = checks_of(run_machine(machine, smi=MISMATCH), state)
    version = checks["module-version"]
    assert not version.ok
    assert "NVML version mismatch" in version.detail and NOT_APT in version.detail
    assert version.fix is not None and version.fix.startswith("Reboot (`sudo reboot`)")


def test_a_newer_kernel_without_a_dkms_build_has_no_module_for_the_next_boot(places):
    machine, state = places
    newer = "linux-image-5.15.0-164-generic\tinstall ok installed\t5.15.0-164.174\n"
    host = run_machine(machine)
    (machine / "dpkg-query.txt").write_text((machine / "dpkg-query.txt").read_text() + newer)
    next_boot = checks_of(host, state)["next-boot-modules"]
    assert not next_boot.ok
    assert next_boot.detail.startswith("no nvidia module for 5.15.0-164-generic, which boots next")
    assert f"built the module for the running kernel ({KERNEL}) only" in next_boot.detail
    assert next_boot.fix is not None and "`sudo nvidia-uninstall`" in next_boot.fix
    assert INSTALL_FIRST not in next_boot.fix


def test_a_dkms_build_for_the_next_kernel_is_its_module(places):
    machine, state = places
    newer = "linux-image-5.15.0-164-generic\tinstall ok installed\t5.15.0-164.174\n"
    host = run_machine(
        machine, dkms_status="nvidia/570.133.07, 5.15.0-164-generic, x86_64: installed\n"
    )
    (machine / "dpkg-query.txt").write_text((machine / "dpkg-query.txt").read_text() + newer)
    next_boot = checks_of(host, state)["next-boot-modules"]
    assert next_boot.ok
    assert next_boot.detail.startswith("DKMS built nvidia 570.133.07 for 5.15.0-164-generic")


def test_on_this_machine_a_flavour_nothing_shows_fails(places):
    machine, state = places
    host = run_machine(machine, proc="")
    (machine / "proc-driver-nvidia-version.txt").unlink()
    flavour = checks_of(host, state)["flavour"]
    assert not flavour.ok and not flavour.skipped
    assert flavour.detail.startswith("cannot tell which flavour the loaded module is")


def test_on_a_bundle_a_flavour_nothing_shows_is_not_checkable(places):
    machine, state = places
    host = run_machine(machine, proc="", kind="bundle")
    (machine / "proc-driver-nvidia-version.txt").unlink()
    flavour = checks_of(host, state)["flavour"]
    assert flavour.ok and flavour.skipped
    assert flavour.detail.startswith("not checkable from this bundle")


def test_packages_installed_beside_the_run_traces_are_judged_as_before(places):
    """A package-installed driver with an old installer's binaries left over is apt's."""
    machine, state = places
    host = run_machine(machine)
    listed = (machine / "dpkg-query.txt").read_text()
    (machine / "dpkg-query.txt").write_text(
        listed + "nvidia-utils-550\tinstall ok installed\t550.144.03-0ubuntu0.22.04.1\n"
    )
    version = checks_of(host, state)["module-version"]
    assert not version.ok
    assert "nvidia-utils-550 550.144.03 is installed (NVML version mismatch)" in version.detail


@pytest.mark.parametrize("output", [None, ""], ids=["not-run", "empty"])
def test_no_nvidia_smi_output_with_a_run_driver_says_so_not_install_the_driver(places, output):
    """The .run installer puts nvidia-smi in /usr/bin itself: no output from it, with that
    driver loaded, is nvidia-smi missing or failing, not a driver to install."""
    machine, state = places
    host = run_machine(machine)
    if output is None:
        (machine / "nvidia-smi.txt").unlink()  # no output: the command is not there
    else:
        (machine / "nvidia-smi.txt").write_text(output)
    check = checks_of(host, state)["nvidia-smi"]
    assert not check.ok
    assert check.detail == (
        f"nvidia-smi gave no output, with a driver {NOT_APT}: the installer's /usr/bin/nvidia-smi "
        "is missing or fails to start"
    )
    assert INSTALL_FIRST not in (check.fix or "")
    assert (check.fix or "").startswith("Run `nvidia-smi` and read its error")
    assert "`sudo nvidia-uninstall` (or `sudo nvidia-installer --uninstall`)" in (check.fix or "")
