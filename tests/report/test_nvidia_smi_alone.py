"""A bundle of nvidia-smi.txt alone (README: "any single file alone is a valid bundle"): its
GPUs are GPUs, and the module it answers through is loaded.

It said "No NVIDIA GPU found ... there is no driver to install" while its JSON had
nvidia_smi ok with 8 GPUs, and `verify` failed module-loaded beside nvidia-smi answering with
driver 535.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify import check_module_loaded, verify
from nvwizard.engine.verify_fixes import INSTALL_FIRST
from nvwizard.host.bundle import BundleHost
from nvwizard.report.build import build_report

HGX = Path(__file__).resolve().parents[2] / "nvwizard" / "demo_machines" / "hgx-h100"


def smi_alone(tmp_path: Path, *others: str) -> BundleHost:
    for name in ("nvidia-smi.txt", *others):
        shutil.copy(HGX / name, tmp_path / name)
    return BundleHost(tmp_path)


def test_the_gpus_nvidia_smi_lists_are_the_machine_s_gpus(tmp_path):
    report = build_report(smi_alone(tmp_path))
    assert report.has_nvidia_gpu
    assert len(report.gpus) == 8
    first = report.gpus[0]
    assert (first.pci_address, first.name, first.device_id) == (
        "0000:18:00.0",
        "NVIDIA H100 80GB HBM3",
        None,
    )


def test_an_answering_nvidia_smi_means_its_module_is_loaded(tmp_path):
    report = build_report(smi_alone(tmp_path))
    assert report.loaded_module is not None
    assert report.loaded_module.version == "535.247.01"
    assert report.loaded_module.flavor is None  # nvidia-smi does not say which
    assert check_module_loaded(report).ok


def test_lsmod_without_nvidia_still_wins_over_nvidia_smi(tmp_path):
    (tmp_path / "lsmod.txt").write_text("Module Size Used by\nnouveau 2355200 0\n")
    report = build_report(smi_alone(tmp_path))
    assert report.loaded_module is None


def test_pci_sources_that_show_the_gpus_are_used_as_before(tmp_path):
    report = build_report(smi_alone(tmp_path, "sysfs-pci.txt", "lspci-nn.txt"))
    assert len(report.gpus) == 8 and all(g.device_id for g in report.gpus)


def test_its_generation_comes_from_the_name_nvidia_smi_prints(tmp_path):
    report = build_report(smi_alone(tmp_path))
    assert {(g.architecture, g.open_kernel) for g in report.gpus} == {("Hopper", "supported")}


def verify_checks(host: BundleHost) -> dict[str, VerifyCheck]:
    return {check.name: check for check in verify(host, record=False).checks}


def test_verify_says_what_nvidia_smi_shows_and_what_the_bundle_cannot(tmp_path):
    checks = verify_checks(smi_alone(tmp_path))
    version = checks["module-version"]
    assert version.ok and not version.skipped
    assert "nvidia-smi answers with driver 535.247.01" in version.detail
    flavour = checks["flavour"]
    assert flavour.ok and flavour.skipped
    assert flavour.detail.startswith("not checkable from this bundle:")
    assert not any(INSTALL_FIRST in (check.fix or "") for check in checks.values())


def test_the_flavour_of_the_module_that_runs_where_the_bundle_shows_it(tmp_path):
    checks = verify_checks(smi_alone(tmp_path, "proc-driver-nvidia-version.txt"))
    flavour = checks["flavour"]
    assert flavour.ok and not flavour.skipped
    assert flavour.detail.startswith("the proprietary module runs")


def test_a_bundle_with_the_package_list_is_judged_by_it(tmp_path):
    (tmp_path / "dpkg-query.txt").write_text("openssh-server\tinstall ok installed\t1:9.6p1\n")
    checks = verify_checks(smi_alone(tmp_path))
    assert not checks["module-version"].ok  # no driver package: install it
    assert checks["module-version"].fix == INSTALL_FIRST
