"""Before a reboot: does an nvidia module exist for the kernel that boots next?

`nvwizard reboot` and the wizard's Reboot screen ask it before they reboot: where a kernel
update waits (a newer linux-image installed than the one running), the reboot boots that
kernel, and without Canonical's signed `linux-modules-nvidia-<flavour>-<kernel>` or a DKMS
build for it the machine comes back without an NVIDIA driver. The answer is verify's own
next-boot-modules check (verify_modules.py), fix included, in the commands that reach the
host (a demo's are said as a person at a real machine does them).
"""

from __future__ import annotations

from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify_facts import installed_flavour, library_versions, package_list
from nvwizard.engine.verify_fixes import fixes_for
from nvwizard.engine.verify_modules import check_next_boot_modules, next_boot_kernel
from nvwizard.engine.verify_run_installed import run_installed
from nvwizard.host.base import Host
from nvwizard.report.build import build_report


def missing_next_boot_module(host: Host) -> VerifyCheck | None:
    """The failed next-boot-modules check where the kernel that boots next is known and no
    nvidia module exists for it; None where one exists, or which kernel boots next is not
    known (nothing to warn of with certainty)."""
    host = host.fresh()
    packages = package_list(host) or []
    report = build_report(host)
    if not next_boot_kernel(report, packages):
        return None
    run = None if library_versions(packages) else run_installed(report)
    check = check_next_boot_modules(
        report, installed_flavour(packages), packages, host.read("dkms-status.txt"), run
    )
    return None if check.ok else fixes_for(host, None).by_hand_check(check)


def missing_module_words(host: Host) -> str | None:
    """Why the kernel that boots next has no nvidia module, and the fix, as `reboot` and the
    wizard's Reboot screen name it; None: it has one (or which kernel boots next is not
    known)."""
    check = missing_next_boot_module(host)
    if check is None:
        return None
    return f"{check.detail}: the machine would come back without an NVIDIA driver. {check.fix}"
