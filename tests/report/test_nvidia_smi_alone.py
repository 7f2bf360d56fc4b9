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


# -- what the bundle does not hold: not checkable from it, no failure ---------------------


def test_nouveau_and_next_boot_modules_are_not_checkable_without_their_evidence(tmp_path):
    checks = verify_checks(smi_alone(tmp_path))
    for name, why in (
        ("nouveau", "it has no lsmod.txt to say whether nouveau is loaded"),
        ("next-boot-modules", "it has no package list (dpkg-query.txt or dpkg-l.txt) to say"),
    ):
        check = checks[name]
        assert check.ok and check.skipped and check.fix is None, check
        assert check.detail.startswith(f"not checkable from this bundle: {why}"), check.detail
    assert not [check.name for check in checks.values() if not check.ok]


def test_the_running_kernel_alone_does_not_say_which_kernel_boots_next(tmp_path):
    checks = verify_checks(smi_alone(tmp_path, "uname-r.txt"))
    next_boot = checks["next-boot-modules"]
    assert next_boot.ok and next_boot.skipped
    assert "(uname-r.txt: 6.8.0-94-generic runs)" in next_boot.detail


def test_a_package_list_that_names_no_kernel_is_not_checkable_either(tmp_path):
    (tmp_path / "dpkg-query.txt").write_text(
        "".join(
            f"{name}\tinstall ok installed\t535.247.01-0ubuntu0.24.04.1\n"
            for name in ("nvidia-driver-535-server", "libnvidia-compute-535-server")
        )
    )
    next_boot = verify_checks(smi_alone(tmp_path))["next-boot-modules"]
    assert next_boot.ok and next_boot.skipped
    assert next_boot.detail == (
        "not checkable from this bundle: nothing in it says which kernel boots next (no "
        "linux-image package, no uname-r.txt)"
    )


def test_a_bundle_that_holds_the_evidence_is_judged_by_it(tmp_path):
    (tmp_path / "lsmod.txt").write_text(
        "Module                  Size  Used by\nnvidia              104857600  0\n"
        "nouveau              2424832  0\n"
    )
    checks = verify_checks(smi_alone(tmp_path, "uname-r.txt", "dpkg-query.txt"))
    assert not checks["nouveau"].ok and not checks["nouveau"].skipped
    assert checks["nouveau"].detail == "nouveau is still loaded"
    assert checks["next-boot-modules"].ok and not checks["next-boot-modules"].skipped


def test_on_this_machine_a_missing_output_still_fails(tmp_path):
    """Where lsmod or uname gave nothing on a real machine, something is wrong there."""
    smi_alone(tmp_path)
    this_machine = BundleHost(tmp_path, kind="local", label="this machine")
    checks = {c.name: c for c in verify(this_machine, tmp_path / "state", record=False).checks}
    nouveau, next_boot = checks["nouveau"], checks["next-boot-modules"]
    assert not nouveau.ok and not nouveau.skipped
    assert nouveau.detail == "cannot tell whether nouveau is loaded (no lsmod output)"
    assert nouveau.fix == "Run `lsmod | grep nouveau` on the machine."
    assert not next_boot.ok and not next_boot.skipped
    assert next_boot.detail.startswith("cannot tell which kernel boots next")
