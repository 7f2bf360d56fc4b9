"""Reports built on outputs users posted publicly: the advice on the facts those outputs give.

Sources: tests/detect/samples/*/SOURCES.md.
"""

from __future__ import annotations

from pathlib import Path

from nvwizard.engine.verify import check_module_version
from nvwizard.host.bundle import BundleHost
from nvwizard.report.build import build_report

SAMPLES = Path(__file__).resolve().parents[1] / "detect" / "samples"


def bundle(tmp_path: Path, files: dict[str, str]) -> BundleHost:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return BundleHost(tmp_path)


def test_a_branch_290_nvidia_smi_alone_shows_its_gpu(tmp_path):
    # ArchWiki's driver 290.10 table numbers its rows "0.": the GPU it lists is the machine's,
    # not "No NVIDIA GPU found ... there is no driver to install"
    text = (SAMPLES / "nvidia-smi" / "r290-geforce8500-nb-rows.txt").read_text()
    report = build_report(bundle(tmp_path, {"nvidia-smi.txt": text}))
    assert report.has_nvidia_gpu
    assert [(g.pci_address, g.name) for g in report.gpus] == [("0000:01:00.0", "GeForce 8500 GT")]
    assert report.loaded_module is not None and report.loaded_module.version == "290.10"


# https://github.com/NVIDIA/nvidia-docker/issues/1311: focal's 440 packages are versioned
# 440.82+really.440.64, and the module they install says 440.64
PROC_440_64 = (
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  440.64  Fri Feb 21 01:17:26 UTC 2020\n"
    "GCC version:  gcc version 9.3.0 (Ubuntu 9.3.0-10ubuntu2)\n"
)
TU102 = "01:00.0 VGA compatible controller [0300]: NVIDIA Corporation TU102 [10de:1e07] (rev a1)\n"


def test_a_rolled_back_driver_is_no_version_mismatch(tmp_path):
    files = {
        "dpkg-l.txt": (SAMPLES / "dpkg" / "dpkg-l-focal-440-really-cut.txt").read_text(),
        "proc-driver-nvidia-version.txt": PROC_440_64,
        "lspci-nn.txt": TU102,
    }
    report = build_report(bundle(tmp_path, files))
    assert report.loaded_module is not None and report.loaded_module.version == "440.64"
    assert "nvml-mismatch" not in {f.id for f in report.findings}
    version = check_module_version(report, list(report.installed_packages))
    assert version.ok, version.detail


def _devices(tmp_path: Path, name: str):
    text = (SAMPLES / "ubuntu-drivers" / name).read_text()
    return build_report(bundle(tmp_path, {"ubuntu-drivers-devices.txt": text}))


def test_fermi_gets_390_where_ubuntu_drivers_recommends_435(tmp_path):
    # canonical/nvidia-graphics-drivers#36: 435 and 430 cannot drive a Fermi GPU
    report = _devices(tmp_path, "devices-fermi-nvs5200m-recommends-435.txt")
    [gpu] = report.gpus
    assert (gpu.pci_address, gpu.architecture) == ("0000:01:00.0", "Fermi")
    assert report.recommended_driver == "nvidia-driver-390"
    assert report.ubuntu_drivers_recommended == "nvidia-driver-435"
    runnable = {c.package for c in report.driver_candidates if c.runnable}
    assert "nvidia-driver-435" not in runnable and "nvidia-driver-430" not in runnable


def test_blackwell_laptop_gets_an_open_variant_where_ubuntu_drivers_picks_proprietary(tmp_path):
    # NVIDIA/open-gpu-kernel-modules#872: 10de:2c58 runs only the open kernel modules
    report = _devices(tmp_path, "devices-rtx5090-laptop-recommends-proprietary.txt")
    assert [g.open_kernel for g in report.gpus] == ["required"]
    assert report.ubuntu_drivers_recommended == "nvidia-driver-570"
    assert report.recommended_driver is not None and report.recommended_driver.endswith("-open")


def test_kepler_gets_a_470_driver_from_a_third_party_listing(tmp_path):
    # pop-os/nvidia-graphics-drivers-470#18: 470 is Kepler's last branch
    report = _devices(tmp_path, "devices-gk107-third-party-470.txt")
    assert [g.architecture for g in report.gpus] == ["Kepler"]
    assert report.recommended_driver is not None
    assert report.recommended_driver.startswith("nvidia-driver-470")
