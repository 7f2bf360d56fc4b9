"""verify's next-boot-modules check: an nvidia module exists for the kernel that boots next
(the newest installed linux-image), Canonical's signed one or a DKMS build.

Its fix names only packages apt offers: Canonical's signed modules for that kernel where apt
offers them (`Report.signed_modules_available`, asked for the running kernel), else the DKMS
package and the kernel's headers (what the plan installs then). A DKMS package that dpkg left
unfinished built nothing: the fix points to packages-configured's repair (verify_packages.py).
A driver NVIDIA's .run installer put there is judged by its DKMS build or the running kernel
(verify_run_installed.py).
"""

from __future__ import annotations

import shlex

from nvwizard.detect.dkms import parse_dkms_status
from nvwizard.detect.dpkg import unfinished_meaning
from nvwizard.detect.models import DpkgEntry
from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify_facts import is_present
from nvwizard.engine.verify_fixes import INSTALL_FIRST
from nvwizard.engine.verify_packages import PACKAGES_CONFIGURED
from nvwizard.engine.verify_run_installed import run_next_boot_modules
from nvwizard.knowledge import debian
from nvwizard.knowledge.debian import kernel_dkms_flavour
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings import newest_installed_kernel
from nvwizard.report.models import Finding, Report

NEXT_BOOT_MODULES = "next-boot-modules"
REPAIR_FIRST = (
    f"Repair it first (see {PACKAGES_CONFIGURED}'s fix): DKMS builds the module when the "
    "package is configured."
)


def _is_dkms(name: str) -> bool:
    return name.startswith("nvidia-dkms-") or kernel_dkms_flavour(name) is not None


def next_boot_kernel(report: Report, packages: list[DpkgEntry]) -> str | None:
    """The newest installed linux-image's kernel, else the running one (None: neither shows)."""
    return newest_installed_kernel(ExtraFacts(all_packages=packages)) or report.kernel


def check_next_boot_modules(
    report: Report,
    flavour: str | None,
    packages: list[DpkgEntry],
    dkms_status: str | None,
    run_installed: Finding | None = None,
) -> VerifyCheck:
    """`run_installed`: detection's finding of a .run-installed driver, where no driver
    package is installed (None: no such driver)."""
    kernel = next_boot_kernel(report, packages)
    if not kernel:
        return VerifyCheck(
            NEXT_BOOT_MODULES,
            False,
            "cannot tell which kernel boots next (no linux-image package, no uname)",
            "Run `dpkg -l 'linux-image-*'` and check that nvidia modules exist for the newest.",
        )
    present = {e.name: e for e in packages if is_present(e)}
    if flavour:
        signed = f"linux-modules-nvidia-{flavour}-{kernel}"
        if signed in present:
            return VerifyCheck(NEXT_BOOT_MODULES, True, f"{signed} (Canonical-signed) is installed")
    unfinished = [e for e in packages if _is_dkms(e.name) and unfinished_meaning(e.state)]
    if unfinished:
        entry = unfinished[0]
        return VerifyCheck(
            NEXT_BOOT_MODULES,
            False,
            f"{entry.name} is {unfinished_meaning(entry.state)} ({entry.state}): DKMS has not "
            f"built the nvidia module for {kernel}, which boots next",
            REPAIR_FIRST,
        )
    dkms_packages = [n for n in present if _is_dkms(n)]
    if dkms_packages:
        return _dkms_check(kernel, dkms_packages[0], present, dkms_status)
    if not flavour and run_installed is not None:
        return run_next_boot_modules(report, kernel, run_installed, dkms_status)
    if not flavour:
        return VerifyCheck(
            NEXT_BOOT_MODULES,
            False,
            f"no nvidia module for {kernel}, which boots next",
            INSTALL_FIRST,
        )
    return VerifyCheck(
        NEXT_BOOT_MODULES,
        False,
        f"no nvidia module for {kernel}, which boots next",
        _modules_fix(report, flavour, kernel),
    )


def _dkms_check(
    kernel: str, dkms: str, present: dict[str, DpkgEntry], dkms_status: str | None
) -> VerifyCheck:
    """A DKMS package is installed: whether DKMS built the module for `kernel`."""
    built = [
        row
        for row in parse_dkms_status(dkms_status or "")
        if row[0].startswith("nvidia") and row[2] == kernel and row[3] == "installed"
    ]
    if built:
        return VerifyCheck(NEXT_BOOT_MODULES, True, f"DKMS built nvidia {built[0][1]} for {kernel}")
    headers = f"linux-headers-{kernel}"
    if dkms_status is None and headers in present:
        return VerifyCheck(
            NEXT_BOOT_MODULES,
            True,
            f"{dkms} and {headers} are installed: DKMS builds it for {kernel}",
        )
    if headers not in present:
        return VerifyCheck(
            NEXT_BOOT_MODULES,
            False,
            f"{dkms} is installed but {headers} is not: DKMS cannot build the module for "
            f"{kernel}, which boots next",
            f"`{shlex.join(['sudo', 'apt-get', 'install', headers])}` (DKMS then builds the "
            "module).",
        )
    return VerifyCheck(
        NEXT_BOOT_MODULES,
        False,
        f"DKMS has not built the nvidia module for {kernel}, which boots next",
        f"`{shlex.join(['sudo', 'dkms', 'autoinstall', '-k', kernel])}` and read its output.",
    )


def _modules_fix(report: Report, flavour: str, kernel: str) -> str:
    """What installs a module for `kernel`, naming only what apt offers: Canonical's signed
    modules where apt offers them for it, else the DKMS package and the kernel's headers."""
    headers = f"linux-headers-{kernel}"
    if report.os_id == "debian":
        install = shlex.join(["sudo", "apt-get", "install", debian.kernel_dkms_package(flavour)])
        return f"`{install} {headers}` (DKMS builds the module)."
    signed = f"linux-modules-nvidia-{flavour}-{kernel}"
    dkms = shlex.join(["sudo", "apt-get", "install", f"nvidia-dkms-{flavour}", headers])
    if signed in report.signed_modules_available:
        return f"`{shlex.join(['sudo', 'apt-get', 'install', signed])}` (Canonical-signed)."
    asked = kernel == report.kernel and "apt" in report.driver_sources
    if asked:
        return (
            f"`{dkms}` (apt offers no Canonical-signed modules of {flavour} for {kernel}: DKMS "
            "builds the module)."
        )
    policy = shlex.join(["apt-cache", "policy", signed])
    return (
        f"`{policy}` shows whether apt offers Canonical's signed modules for {kernel}: then "
        f"`sudo apt-get install {signed}`; else `{dkms}` (DKMS builds the module)."
    )
