"""The simulated machine's kernel modules and GPU services: modprobe, modprobe -r, rmmod, lsmod,
systemctl stop/start/is-active, with kmod's and systemd's own messages, and the loaded driver
kept truthfully in every file a re-detect reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nvwizard.detect.lsmod import parse_lsmod
from nvwizard.detect.misc import parse_gpu_processes, parse_unit_states
from nvwizard.detect.proc_version import parse_modinfo, parse_proc_driver_version
from nvwizard.host.demo import find_demo
from nvwizard.simulator import bundle_host

QUICK = {"NVWIZARD_DEMO_SPEED": "0"}
APT = ["apt-get", "-y", "-o", "DPkg::Lock::Timeout=300"]


@pytest.fixture(autouse=True)
def _no_injected_failure(monkeypatch):
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def demo_copy(tmp_path: Path, name: str, **files: str):
    """A bundle host on a copy of demo `name`, with `files` replaced ("gpu_processes_txt")."""
    folder = tmp_path / name
    shutil.copytree(find_demo(name).path, folder)
    for key, text in files.items():
        (folder / key.replace("_txt", ".txt").replace("_", "-")).write_text(text)
    return bundle_host(folder)


def run(host, *argv: str, **env: str) -> tuple[int, list[str], list[str]]:
    command = host.start(list(argv), {**QUICK, **env})
    lines = list(command.lines())
    code = command.wait()
    out = [line.text for line in lines if line.stream == "stdout"]
    err = [line.text for line in lines if line.stream == "stderr"]
    return code, out, err


def loaded(host) -> list[str]:
    return [m.name for m in parse_lsmod(host.read("lsmod.txt") or "")]


def nvidia_version(host) -> str | None:
    found = parse_proc_driver_version(host.read("proc-driver-nvidia-version.txt") or "")
    return found.version if found else None


# -- unloading --------------------------------------------------------------------------------


def test_modprobe_r_of_a_module_in_use_says_so_and_unloads_nothing(tmp_path):
    host = demo_copy(tmp_path, "hgx-h100")  # a training job holds the GPUs (and nvidia_uvm)
    before = host.read("lsmod.txt")
    code, out, err = run(host, "modprobe", "-r", "nvidia_uvm")
    assert (code, out, err) == (1, [], ["modprobe: FATAL: Module nvidia_uvm is in use."])
    assert host.read("lsmod.txt") == before


def test_rmmod_names_the_modules_using_it(tmp_path):
    host = demo_copy(tmp_path, "hgx-h100", gpu_processes_txt="")
    code, _, err = run(host, "rmmod", "nvidia")
    assert code == 1
    assert err == ["rmmod: ERROR: Module nvidia is in use by: nvidia_uvm nvidia_modeset"]
    assert run(host, "rmmod", "nvidia_peermem")[2] == [
        "rmmod: ERROR: Module nvidia_peermem is not currently loaded"
    ]


def test_modprobe_r_of_a_module_not_loaded_succeeds_silently(tmp_path):
    host = demo_copy(tmp_path, "hgx-h100", gpu_processes_txt="")
    assert run(host, "modprobe", "-r", "nvidia_peermem") == (0, [], [])


def test_unloading_in_order_takes_the_driver_out_of_every_file(tmp_path):
    host = demo_copy(tmp_path, "hgx-h100", gpu_processes_txt="")
    assert nvidia_version(host) == "535.247.01"
    for module in ("nvidia_uvm", "nvidia_drm", "nvidia_modeset", "nvidia_peermem", "nvidia"):
        assert run(host, "modprobe", "-r", module)[0] == 0, module
    assert not [m for m in loaded(host) if m.startswith("nvidia")]
    assert "ast" in loaded(host)  # the console's driver stays
    assert nvidia_version(host) is None
    assert "driver=nvidia" not in host.read("sysfs-pci.txt")
    assert "couldn't communicate with the NVIDIA driver" in host.read("nvidia-smi.txt")


def test_modprobe_r_also_unloads_what_only_the_module_used(tmp_path):
    """kmod's modprobe -r takes along the dependencies nothing uses any more."""
    host = demo_copy(tmp_path, "hgx-h100", gpu_processes_txt="")
    run(host, "modprobe", "-r", "nvidia_uvm")
    assert run(host, "modprobe", "-r", "nvidia_drm")[0] == 0
    # nvidia_drm used nvidia_modeset, which used nvidia: with nvidia_uvm gone, nothing is left
    assert not [m for m in loaded(host) if m.startswith("nvidia")]


def test_injected_unload_failure(tmp_path):
    host = demo_copy(tmp_path, "hgx-h100", gpu_processes_txt="")
    fail = {"NVWIZARD_DEMO_FAIL": "unload:nvidia"}
    for module in ("nvidia_uvm", "nvidia_drm", "nvidia_modeset"):
        assert run(host, "rmmod", module, **fail)[0] == 0
    code, _, err = run(host, "modprobe", "-r", "nvidia", **fail)
    assert (code, err) == (1, ["modprobe: FATAL: Module nvidia is in use."])
    assert loaded(host)[0] == "nvidia"
    assert nvidia_version(host) == "535.247.01"  # the old driver keeps running


def test_unloading_nouveau_unbinds_the_gpu(tmp_path):
    host = demo_copy(tmp_path, "rtx3090-fresh")
    assert run(host, "modprobe", "-r", "nouveau")[0] == 0
    assert "nouveau" not in loaded(host)
    assert "ttm" not in loaded(host)  # only nouveau used it
    assert "driver=nouveau" not in host.read("sysfs-pci.txt")
    assert "Kernel driver in use: nouveau" not in host.read("lspci-nn.txt")


def test_nouveau_holding_the_console_cannot_be_unloaded(tmp_path):
    host = demo_copy(tmp_path, "gtx1080-secureboot")
    assert run(host, "modprobe", "-r", "nouveau")[2] == [
        "modprobe: FATAL: Module nouveau is in use."
    ]


# -- loading ----------------------------------------------------------------------------------


def install(host, *packages: str) -> None:
    code, out, err = run(host, *APT, "install", *packages)
    assert code == 0, out[-5:] + err


def test_the_module_on_disk_changes_with_an_install_while_the_old_one_stays_loaded(tmp_path):
    host = demo_copy(tmp_path, "rtx3090-fresh")
    assert host.read("modinfo-nvidia.txt") is None
    install(
        host,
        "nvidia-headless-no-dkms-580-server-open",
        "linux-modules-nvidia-580-server-open-5.15.0-163-generic",
    )
    info = parse_modinfo(host.read("modinfo-nvidia.txt"))
    assert info["version"].startswith("580.")
    assert "Canonical" in info["signer"]
    assert nvidia_version(host) is None  # nothing loaded until modprobe or a reboot


def test_load_with_nouveau_bound_is_no_such_device_then_loads_once_it_is_gone(tmp_path):
    host = demo_copy(tmp_path, "rtx3090-fresh")
    install(
        host,
        "nvidia-headless-no-dkms-580-server-open",
        "nvidia-utils-580-server",
        "linux-modules-nvidia-580-server-open-5.15.0-163-generic",
    )
    assert run(host, "modprobe", "nvidia")[2] == [
        "modprobe: ERROR: could not insert 'nvidia': No such device"
    ]
    run(host, "modprobe", "-r", "nouveau")
    assert run(host, "modprobe", "nvidia_uvm") == (0, [], [])  # nvidia first, as modprobe does
    assert loaded(host)[:2] == ["nvidia_uvm", "nvidia"]
    assert nvidia_version(host).startswith("580.")
    assert "driver=nvidia" in host.read("sysfs-pci.txt")
    assert "GeForce RTX 3090" in host.read("nvidia-smi.txt")
    assert run(host, "modprobe", "nvidia") == (0, [], [])  # loaded already: nothing to say


def test_dkms_module_under_secure_boot_is_rejected(tmp_path):
    host = demo_copy(tmp_path, "gtx1080-secureboot")
    install(host, "nvidia-driver-580", "linux-headers-5.15.0-163-generic")
    assert parse_modinfo(host.read("modinfo-nvidia.txt"))["filename"].startswith(
        "/lib/modules/5.15.0-163-generic/updates/dkms/"
    )
    run(host, "rmmod", "nouveau")  # pretend the console let go: the key is still refused
    code, _, err = run(host, "modprobe", "nvidia")
    assert (code, err) == (
        1,
        ["modprobe: ERROR: could not insert 'nvidia': Key was rejected by service"],
    )


def test_no_module_for_the_running_kernel(tmp_path):
    host = demo_copy(tmp_path, "rtx3090-fresh")
    code, _, err = run(host, "modprobe", "nvidia")
    assert code == 1
    assert err == [
        "modprobe: FATAL: Module nvidia not found in directory /lib/modules/5.15.0-163-generic"
    ]


def test_helper_modules_of_another_version_than_the_loaded_nvidia_are_refused(tmp_path):
    """The new nvidia_uvm on top of the old nvidia: NVRM's API mismatch."""
    host = demo_copy(tmp_path, "hgx-h100", gpu_processes_txt="")
    install(
        host,
        "nvidia-headless-no-dkms-580-server",
        "linux-modules-nvidia-580-server-6.8.0-94-generic",
    )
    run(host, "rmmod", "nvidia_uvm")
    assert run(host, "modprobe", "nvidia_uvm")[2] == [
        "modprobe: ERROR: could not insert 'nvidia_uvm': Invalid argument"
    ]


def test_injected_load_failure(tmp_path):
    host = demo_copy(tmp_path, "rtx3090-fresh")
    install(
        host,
        "nvidia-headless-no-dkms-580-server-open",
        "linux-modules-nvidia-580-server-open-5.15.0-163-generic",
    )
    run(host, "modprobe", "-r", "nouveau")
    code, _, err = run(host, "modprobe", "nvidia", NVWIZARD_DEMO_FAIL="load:nvidia")
    assert (code, err) == (1, ["modprobe: ERROR: could not insert 'nvidia': No such device"])
    assert nvidia_version(host) is None


# -- GPU services -----------------------------------------------------------------------------


def test_stopping_a_gpu_service_ends_its_daemon_and_lowers_nvidia_use_count(tmp_path):
    host = demo_copy(tmp_path, "hgx-h100")
    assert run(host, "systemctl", "is-active", "nvidia-persistenced", "nvidia-fabricmanager")[
        :2
    ] == (
        0,
        ["active", "active"],
    )
    count_before = {m.name: m.count for m in parse_lsmod(host.read("lsmod.txt"))}["nvidia"]
    assert run(host, "systemctl", "stop", "nvidia-persistenced.service")[0] == 0
    assert run(host, "systemctl", "is-active", "nvidia-persistenced")[:2] == (3, ["inactive"])
    names = {p.name for p in parse_gpu_processes(host.read("gpu-processes.txt"))}
    assert "nvidia-persiste" not in names and "python3" in names
    states = {u.name: u.active for u in parse_unit_states(host.read("gpu-services.txt"))}
    assert states["nvidia-persistenced.service"] == "inactive"
    count_after = {m.name: m.count for m in parse_lsmod(host.read("lsmod.txt"))}["nvidia"]
    assert count_after < count_before


def test_a_gpu_service_cannot_start_without_the_driver(tmp_path):
    host = demo_copy(tmp_path, "hgx-h100", gpu_processes_txt="")
    run(host, "systemctl", "stop", "nvidia-persistenced")
    for module in ("nvidia_uvm", "nvidia_drm", "nvidia_modeset", "nvidia"):
        run(host, "modprobe", "-r", module)
    code, _, err = run(host, "systemctl", "start", "nvidia-persistenced")
    assert code == 1
    assert err[0] == (
        "Job for nvidia-persistenced.service failed because the control process exited with "
        "error code."
    )


def test_starting_a_gpu_service_brings_its_daemon(tmp_path):
    host = demo_copy(tmp_path, "hgx-h100", gpu_processes_txt="")
    run(host, "systemctl", "stop", "nvidia-fabricmanager")
    assert run(host, "systemctl", "start", "nvidia-fabricmanager")[0] == 0
    assert [p.name for p in parse_gpu_processes(host.read("gpu-processes.txt"))] == [
        "nv-fabricmanage"
    ]


def test_fabric_manager_fails_to_start_and_boot_at_another_version_than_the_driver(tmp_path):
    host = demo_copy(tmp_path, "hgx-h100")
    for name in ("dpkg-query.txt", "dpkg-l.txt"):
        lines = host.read(name).splitlines(keepends=True)
        host.simulator.write(
            name,
            "".join(
                line.replace("535.247.01-", "535.230.02-") if "fabricmanager" in line else line
                for line in lines
            ),
        )
    run(host, "systemctl", "stop", "nvidia-fabricmanager")
    code, _, err = run(host, "systemctl", "start", "nvidia-fabricmanager")
    assert code == 1 and err[0].startswith("Job for nvidia-fabricmanager.service failed")
    host.simulator.boot()  # the driver 535.247.01 loads; fabric manager 535.230.02 does not run
    states = {u.name: u.active for u in parse_unit_states(host.read("gpu-services.txt"))}
    assert states["nvidia-fabricmanager.service"] == "failed"
    assert states["nvidia-persistenced.service"] == "active"
    assert "nv-fabricmanage" not in {
        p.name for p in parse_gpu_processes(host.read("gpu-processes.txt"))
    }


def test_enabling_a_gpu_service_is_recorded(tmp_path):
    host = demo_copy(tmp_path, "rtx3090-fresh")
    install(host, "nvidia-headless-no-dkms-580-server-open", "nvidia-utils-580-server")
    assert run(host, "systemctl", "enable", "nvidia-persistenced.service")[0] == 0
    [unit] = parse_unit_states(host.read("gpu-services.txt"))
    assert (unit.name, unit.active, unit.enabled) == (
        "nvidia-persistenced.service",
        "inactive",
        "enabled",
    )


def test_purging_fabric_manager_stops_it(tmp_path):
    """Its prerm stops the unit: the daemon goes with the package (before, it ran on with its
    package gone, so the demo showed fabric manager running beside the old driver after the
    install had replaced it with the new branch's)."""
    host = demo_copy(tmp_path, "hgx-h100")
    assert run(host, "apt-mark", "unhold", "nvidia-fabricmanager-535")[0] == 0  # held there
    code, out, err = run(host, "apt-get", "-y", "purge", "nvidia-fabricmanager-535")
    assert code == 0, out + err
    assert run(host, "systemctl", "is-active", "nvidia-fabricmanager")[1] == ["inactive"]
    names = {p.name for p in parse_gpu_processes(host.read("gpu-processes.txt"))}
    assert "nv-fabricmanage" not in names and "nvidia-persiste" in names
