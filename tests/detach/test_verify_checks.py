"""The verify checks on hand-made facts: the good state, and each way it can be wrong."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nvwizard.detect.dkms import parse_dkms_status
from nvwizard.detect.models import DpkgEntry, NvidiaSmi
from nvwizard.engine.verify import run_checks
from nvwizard.engine.verify_facts import installed_flavour
from nvwizard.engine.verify_fixes import THIS_MACHINE
from nvwizard.engine.verify_secure_boot import with_key_enrolment
from nvwizard.report.models import LoadedModule, Report

KERNEL = "6.8.0-87-generic"
NEWER = "6.8.0-90-generic"
VERSION = "580.95.05"
DEB = f"{VERSION}-0ubuntu0.24.04.2"


LOCAL = SimpleNamespace(label="this machine", kind="local")  # where verify's fixes are typed


def pkg(name: str, version: str = DEB, state: str = "ii") -> DpkgEntry:
    return DpkgEntry(name=name, version=version, state=state)


def good_packages(kernel: str = KERNEL) -> list[DpkgEntry]:
    return [
        pkg("nvidia-headless-no-dkms-580-server-open"),
        pkg("nvidia-utils-580-server"),
        pkg("libnvidia-compute-580-server"),
        pkg(f"linux-modules-nvidia-580-server-open-{kernel}", f"{VERSION}+{kernel}"),
        pkg(f"linux-image-{kernel}", "6.8.0-87.88"),
        pkg("linux-image-generic", "6.8.0.87.88"),
    ]


def good_report(**changes) -> Report:
    fields = dict(
        os="Ubuntu 24.04.3 LTS",
        os_id="ubuntu",
        os_version="24.04",
        kernel=KERNEL,
        loaded_module=LoadedModule(version=VERSION, flavor="open"),
        nvidia_smi=NvidiaSmi(status="ok", driver_version=VERSION, cuda_version="13.0"),
        nouveau_loaded=False,
    )
    fields.update(changes)
    return Report(**fields)


def by_name(checks):
    return {c.name: c for c in checks}


def test_the_good_state_passes_every_check():
    checks = run_checks(good_report(), good_packages(), "580-server-open", None)
    assert [c.name for c in checks] == [
        "module-loaded",
        "module-version",
        "flavour",
        "nvidia-smi",
        "nouveau",
        "next-boot-modules",
    ]
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert "Canonical-signed" in by_name(checks)["next-boot-modules"].detail


def test_module_not_loaded_under_secure_boot_with_signed_modules_names_no_key():
    """Canonical's signed modules need no key enrolled: a reboot, then modprobe and dmesg."""
    report = good_report(
        loaded_module=None, nvidia_smi=NvidiaSmi(status="no-driver"), secure_boot="enabled"
    )
    packages = good_packages()
    fixes = with_key_enrolment(THIS_MACHINE, LOCAL, report, packages, None)
    checks = by_name(run_checks(report, packages, "580-server-open", None, fixes))
    assert not checks["module-loaded"].ok
    assert checks["module-loaded"].fix == (
        "Reboot (`sudo reboot`), then run `sudo nvwizard verify` again. If it still is not "
        "loaded: `sudo modprobe nvidia` and read `sudo dmesg`."
    )
    assert not checks["module-version"].ok
    assert not checks["flavour"].ok
    assert not checks["nvidia-smi"].ok
    assert checks["nouveau"].ok
    assert not [c for c in checks.values() if "MOK" in (c.fix or "") or "mokutil" in (c.fix or "")]


def dkms_packages() -> list[DpkgEntry]:
    """The good state's driver, with its module built by DKMS instead of Canonical's."""
    signed = f"linux-modules-nvidia-580-server-open-{KERNEL}"
    return [p for p in good_packages() if p.name != signed] + [pkg("nvidia-dkms-580-server-open")]


@pytest.mark.parametrize(
    ("os_id", "certificate"),
    [("ubuntu", "/var/lib/shim-signed/mok/MOK.der"), ("debian", "/var/lib/dkms/mok.pub")],
)
def test_a_dkms_module_rejected_by_secure_boot_is_fixed_by_enrolling_its_key(os_id, certificate):
    """A reboot alone does not load it (the install could not queue the enrolment): the fix
    is the import, the reboot and MOK Manager, and the checks that fail because the module is
    not loaded point there instead of saying "reboot" again."""
    report = good_report(
        os_id=os_id,
        loaded_module=None,
        nvidia_smi=NvidiaSmi(status="no-driver"),
        secure_boot="enabled",
    )
    packages = dkms_packages()
    fixes = with_key_enrolment(THIS_MACHINE, LOCAL, report, packages, None)
    checks = by_name(run_checks(report, packages, "580-server-open", None, fixes))
    assert checks["module-loaded"].fix == (
        "Secure Boot rejects the module DKMS built until its key is enrolled (`sudo modprobe "
        'nvidia` then says "Key was rejected by service"): run `sudo mokutil --import '
        f"{certificate}` in a terminal (it asks twice for a one-time password), reboot (`sudo "
        "reboot`) and, on the console or BMC: MOK Manager (press a key within 10 seconds) -> "
        "Enroll MOK -> Continue -> Yes -> the password; then run `sudo nvwizard verify` again."
    )
    for name in ("module-version", "flavour", "nvidia-smi"):
        assert checks[name].fix == (
            "Secure Boot rejects the module until its key is enrolled: see module-loaded's fix."
        ), name
    # Secure Boot off: the plain reboot
    off = good_report(loaded_module=None, nvidia_smi=NvidiaSmi(status="no-driver"))
    fixes = with_key_enrolment(THIS_MACHINE, LOCAL, off, packages, None)
    assert fixes == THIS_MACHINE


def test_version_mismatch_after_an_unattended_upgrade():
    packages = [
        p
        if not p.name.startswith(("libnvidia", "nvidia-utils"))
        else pkg(p.name, "580.105.08-0ubuntu1")
        for p in good_packages()
    ]
    report = good_report(
        nvidia_smi=NvidiaSmi(
            status="version-mismatch",
            message="Failed to initialize NVML: Driver/library version mismatch",
        )
    )
    checks = by_name(run_checks(report, packages, "580-server-open", None))
    version = checks["module-version"]
    assert not version.ok
    assert "580.95.05" in version.detail and "580.105.08" in version.detail
    assert "Reboot" in version.fix
    assert not checks["nvidia-smi"].ok
    assert "version mismatch" in checks["nvidia-smi"].detail


def test_the_wrong_flavour_runs():
    report = good_report(loaded_module=LoadedModule(version=VERSION, flavor="proprietary"))
    check = by_name(run_checks(report, good_packages(), "580-server-open", None))["flavour"]
    assert not check.ok
    assert (
        "proprietary module runs, but open was expected (chosen: 580-server-open)" in check.detail
    )


def test_flavour_comes_from_the_packages_without_a_state_file():
    assert installed_flavour(good_packages()) == "580-server-open"
    report = good_report(loaded_module=LoadedModule(version=VERSION, flavor="proprietary"))
    assert not by_name(run_checks(report, good_packages(), None, None))["flavour"].ok


def test_nouveau_still_loaded_or_unknown():
    checks = by_name(run_checks(good_report(nouveau_loaded=True), good_packages(), None, None))
    assert not checks["nouveau"].ok
    assert "update-initramfs" in checks["nouveau"].fix
    unknown = by_name(run_checks(good_report(nouveau_loaded=None), good_packages(), None, None))
    assert not unknown["nouveau"].ok


def test_a_newer_kernel_without_signed_modules_fails():
    packages = good_packages() + [pkg(f"linux-image-{NEWER}", "6.8.0-90.91")]
    check = by_name(run_checks(good_report(), packages, "580-server-open", None))[
        "next-boot-modules"
    ]
    assert not check.ok
    assert NEWER in check.detail
    assert f"linux-modules-nvidia-580-server-open-{NEWER}" in check.fix
    assert check.fix.startswith("`apt-cache policy")  # apt was asked about the running kernel


def test_missing_modules_fix_names_only_packages_apt_offers():
    """Before, the fix named linux-modules-nvidia-<flavour>-<kernel> whether apt offered it or
    not (gtx1080-secureboot: apt has none for 580-server on 5.15.0-163, which is why the plan
    used DKMS)."""
    base = [p for p in good_packages() if not p.name.startswith("linux-modules-nvidia")]
    signed = f"linux-modules-nvidia-580-server-open-{KERNEL}"
    offered = good_report(signed_modules_available=[signed], driver_sources=["apt"])
    fix = by_name(run_checks(offered, base, "580-server-open", None))["next-boot-modules"].fix
    assert fix == f"`sudo apt-get install {signed}` (Canonical-signed)."
    none = good_report(signed_modules_available=[], driver_sources=["apt"])
    fix = by_name(run_checks(none, base, "580-server-open", None))["next-boot-modules"].fix
    assert "linux-modules-nvidia" not in fix
    assert f"`sudo apt-get install nvidia-dkms-580-server-open linux-headers-{KERNEL}`" in fix
    # a newer kernel boots next: apt was asked about the running one only
    newer = base + [pkg(f"linux-image-{NEWER}", "6.8.0-90.91")]
    fix = by_name(run_checks(none, newer, "580-server-open", None))["next-boot-modules"].fix
    assert fix.startswith(f"`apt-cache policy linux-modules-nvidia-580-server-open-{NEWER}`")


def test_a_half_configured_dkms_package_is_the_first_thing_to_repair():
    """nvidia-dkms-580-server iF after a failed DKMS build: verify's first check says to finish
    it (dpkg --configure -a), and next-boot-modules points there instead of naming packages."""
    base = [p for p in good_packages() if not p.name.startswith("linux-modules-nvidia")]
    broken = pkg("nvidia-dkms-580-server-open", state="iF")
    report = good_report(
        loaded_module=None, installed_packages=[broken], signed_modules_available=[]
    )
    checks = run_checks(report, [*base, broken], "580-server-open", None)
    first = checks[0]
    assert first.name == "packages-configured" and not first.ok
    assert first.detail == (
        "dpkg left NVIDIA packages unfinished: nvidia-dkms-580-server-open (iF)"
    )
    assert first.fix.startswith("Run `sudo dpkg --configure -a` and read its output")
    next_boot = by_name(checks)["next-boot-modules"]
    assert "nvidia-dkms-580-server-open is half-configured (iF)" in next_boot.detail
    assert next_boot.fix.startswith("Repair it first (see packages-configured's fix)")
    healthy = run_checks(good_report(), good_packages(), "580-server-open", None)
    assert "packages-configured" not in by_name(healthy)


REPAIR_FIRST_FIX = "Repair the packages first (see packages-configured's fix)"


def test_with_packages_half_configured_no_check_advises_a_reboot_or_activate():
    """After a failed DKMS build the module, version, flavour, nvidia-smi and nouveau checks
    said "Reboot (`sudo reboot`) ..." or "... `sudo nvwizard activate` ...": no reboot loads a
    module that was never built. They defer to packages-configured's repair instead."""
    base = [p for p in good_packages() if not p.name.startswith("linux-modules-nvidia")]
    broken = pkg("nvidia-dkms-580-server-open", state="iF")
    report = good_report(
        loaded_module=None,
        nvidia_smi=NvidiaSmi(status="no-driver"),
        nouveau_loaded=True,
        installed_packages=[broken],
        signed_modules_available=[],
    )
    checks = by_name(run_checks(report, [*base, broken], "580-server-open", None))
    deferring = ["module-loaded", "module-version", "flavour", "nvidia-smi", "nouveau"]
    for name in deferring:
        check = checks[name]
        assert not check.ok and check.fix is not None, check
        assert REPAIR_FIRST_FIX in check.fix, check
        assert "sudo reboot" not in check.fix and "activate" not in check.fix, check
    assert checks["packages-configured"].fix.startswith("Run `sudo dpkg --configure -a`")
    # the same machine with its packages configured: the reboot, as before
    fine = good_report(
        loaded_module=None, nvidia_smi=NvidiaSmi(status="no-driver"), nouveau_loaded=True
    )
    healthy = by_name(run_checks(fine, good_packages(), "580-server-open", None))
    assert healthy["module-loaded"].fix.startswith("Reboot (`sudo reboot`)")
    assert REPAIR_FIRST_FIX not in (healthy["nouveau"].fix or "")


def test_dkms_modules_for_the_next_kernel():
    base = [p for p in good_packages() if not p.name.startswith("linux-modules-nvidia")]
    packages = base + [pkg("nvidia-dkms-580-server-open")]
    status = f"nvidia/{VERSION}, {KERNEL}, x86_64: installed\n"
    assert by_name(run_checks(good_report(), packages, None, status))["next-boot-modules"].ok
    not_built = by_name(
        run_checks(
            good_report(),
            packages + [pkg(f"linux-headers-{KERNEL}")],
            None,
            "nvidia/580.95.05, 6.8.0-45-generic, x86_64: installed\n",
        )
    )
    assert not not_built["next-boot-modules"].ok
    assert "dkms autoinstall" in not_built["next-boot-modules"].fix
    no_headers = by_name(run_checks(good_report(), packages, None, None))["next-boot-modules"]
    assert not no_headers.ok
    assert f"linux-headers-{KERNEL}" in no_headers.fix


def test_nothing_installed():
    report = good_report(loaded_module=None, nvidia_smi=None, nouveau_loaded=True)
    packages = [pkg(f"linux-image-{KERNEL}", "6.8.0-87.88")]
    checks = run_checks(report, packages, None, None)
    assert not any(c.ok for c in checks)
    assert all(c.fix for c in checks)


@pytest.mark.parametrize(
    "line, row",
    [
        (
            "nvidia/580.95.05, 6.8.0-87-generic, x86_64: installed",
            ("nvidia", "580.95.05", "6.8.0-87-generic", "installed"),
        ),
        (
            "nvidia, 470.82.00, 5.4.0-91-generic, x86_64: installed",
            ("nvidia", "470.82.00", "5.4.0-91-generic", "installed"),
        ),
        (
            "nvidia/535.183.01, 6.5.0-14-generic, x86_64: installed "
            "(WARNING! Diff between built and installed module!)",
            ("nvidia", "535.183.01", "6.5.0-14-generic", "installed"),
        ),
        ("nvidia/580.95.05: added", None),
    ],
)
def test_dkms_status_layouts(line, row):
    assert parse_dkms_status(line) == ([row] if row else [])


# -- Debian: every family's DKMS package and user-space packages ------------------------------

DEBIAN_KERNEL = "6.1.0-40-amd64"
TESLA = "535.247.01"


def debian_tesla_packages(dkms: str = "nvidia-tesla-535-kernel-dkms") -> list[DpkgEntry]:
    deb = f"{TESLA}-1~deb12u1"
    return [
        pkg(dkms, deb),
        pkg("nvidia-tesla-535-smi", deb),
        pkg("libnvidia-tesla-535-cuda1", deb),
        pkg(f"linux-image-{DEBIAN_KERNEL}", "6.1.153-1"),
        pkg(f"linux-headers-{DEBIAN_KERNEL}", "6.1.153-1"),
    ]


def debian_report(flavor: str = "proprietary") -> Report:
    return good_report(
        os="Debian GNU/Linux 12 (bookworm)",
        os_id="debian",
        os_version="12",
        kernel=DEBIAN_KERNEL,
        loaded_module=LoadedModule(version=TESLA, flavor=flavor),
        nvidia_smi=NvidiaSmi(status="ok", driver_version=TESLA, cuda_version="12.2"),
    )


def test_debian_tesla_dkms_driver_passes_every_check():
    status = f"nvidia-tesla-535/{TESLA}, {DEBIAN_KERNEL}, x86_64: installed\n"
    checks = by_name(run_checks(debian_report(), debian_tesla_packages(), None, status))
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    assert "nvidia-tesla-535-kernel-dkms" in checks["flavour"].detail
    assert checks["module-version"].ok and TESLA in checks["module-version"].detail


def test_debian_tesla_dkms_package_not_built_for_the_next_kernel_fails():
    checks = by_name(run_checks(debian_report(), debian_tesla_packages(), None, ""))
    assert not checks["next-boot-modules"].ok
    assert "dkms autoinstall" in checks["next-boot-modules"].fix


@pytest.mark.parametrize(
    "dkms, flavor, ok",
    [
        ("nvidia-legacy-390xx-kernel-dkms", "proprietary", True),
        ("nvidia-tesla-kernel-dkms", "open", False),
        ("nvidia-open-kernel-dkms", "open", True),
        ("nvidia-open-kernel-dkms", "proprietary", False),
    ],
)
def test_debian_flavour_comes_from_any_familys_dkms_package(dkms, flavor, ok):
    checks = by_name(run_checks(debian_report(flavor), debian_tesla_packages(dkms), None, None))
    assert checks["flavour"].ok is ok
    assert dkms in checks["flavour"].detail


@pytest.mark.parametrize(
    ("packages", "chosen", "hint"),
    [
        # a desktop install before nvwizard named nvidia-smi: the metapackage pulls none
        ([pkg("nvidia-kernel-dkms", "550.163.01-2"), pkg("libcuda1", "550.163.01-2")], None,
         "sudo apt-get install nvidia-smi"),
        (debian_tesla_packages()[:1], None, "sudo apt-get install nvidia-tesla-535-smi"),
        ([], "550-open", "sudo apt-get install nvidia-smi"),
        ([], "tesla-535", "sudo apt-get install nvidia-tesla-535-smi"),
    ],
)  # fmt: skip
def test_debian_nvidia_smi_hint_names_debians_package(packages, chosen, hint):
    report = debian_report()
    report.nvidia_smi = None
    checks = by_name(run_checks(report, packages, chosen, None))
    assert not checks["nvidia-smi"].ok
    assert hint in checks["nvidia-smi"].fix and "nvidia-utils" not in checks["nvidia-smi"].fix


def test_debian_missing_module_hint_names_debians_dkms_package():
    report = debian_report()
    checks = by_name(run_checks(report, [pkg(f"linux-image-{DEBIAN_KERNEL}")], "tesla-535", None))
    fix = checks["next-boot-modules"].fix
    assert f"apt-get install nvidia-tesla-535-kernel-dkms linux-headers-{DEBIAN_KERNEL}" in fix
    assert "linux-modules-nvidia" not in fix


def test_the_other_flavour_of_the_old_driver_waits_for_the_reboot_not_a_purge():
    """Right after an install (no reboot yet) the old driver's module runs: the flavour check
    said "a module of the other flavour is still installed ... purge the wrong one, run
    update-initramfs", though the reboot alone loads the chosen one."""
    from nvwizard.engine.verify_fixes import REBOOT_FIX

    old = good_report(loaded_module=LoadedModule(version="535.247.01", flavor="proprietary"))
    check = by_name(run_checks(old, good_packages(), "580-server-open", None))["flavour"]
    assert not check.ok and check.fix == REBOOT_FIX
    # the installed driver's own module, of the other flavour: that one is a real mix-up
    same = good_report(loaded_module=LoadedModule(version=VERSION, flavor="proprietary"))
    check = by_name(run_checks(same, good_packages(), "580-server-open", None))["flavour"]
    assert "update-initramfs" in check.fix


def test_a_demos_fixes_name_its_own_commands_and_say_the_rest_is_for_a_real_machine():
    from nvwizard.engine.verify_fixes import demo_fixes

    fixes = demo_fixes("hgx-h100", "nvidia-driver-580-server-open", "/s/h.json", False)
    report = good_report(
        loaded_module=None,
        nvidia_smi=NvidiaSmi(status="no-driver"),
        secure_boot="enabled",
        nouveau_loaded=True,
    )
    packages = good_packages(NEWER)[:-2] + good_packages()[-2:]  # no modules for the kernel
    checks = [c for c in run_checks(report, packages, "580-server-open", None, fixes) if not c.ok]
    assert {c.name for c in checks} >= {"module-loaded", "nouveau", "next-boot-modules"}
    for check in checks:
        here = check.fix.split("On a real machine: ", 1)[0]
        assert "sudo" not in here and "apt-get" not in here, check
        assert "nvwizard" in here or check.fix.startswith("On a real machine: "), check
    loaded = by_name(checks)["module-loaded"].fix
    assert loaded.startswith("Reboot the demo: `nvwizard reboot --demo hgx-h100` reboots it")
    assert "On a real machine: if it still is not loaded: `sudo modprobe nvidia`" in loaded
