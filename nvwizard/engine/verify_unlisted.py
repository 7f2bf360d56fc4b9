"""verify's checks on a bundle that lacks their evidence: module-version and flavour without the
machine's package list (no `dpkg-query.txt`, no `dpkg-l.txt`: nvidia-smi.txt alone, say),
nouveau without `lsmod.txt`, next-boot-modules without the package list or anything naming a
kernel. "Install the driver first" or "cannot tell" would be false failures there: what the
bundle does not hold is unknown, not absent. On this machine (or a demo) a missing command
output may be a real problem, so there these checks still fail (engine/verify.py).

An answering nvidia-smi says the rest: NVML (in the driver's libraries) refuses a kernel
module of another version ("Failed to initialize NVML: Driver/library version mismatch"), so
the version it answers with is the module's and the libraries' alike. Which flavour runs shows
in /proc/driver/nvidia/version or modinfo where the bundle has them; nvidia-smi's table does
not say. What nothing shows is reported as not checkable (skipped), not as a failure: a
skipped check is no failure (verify exits 0 when nothing else fails).
"""

from __future__ import annotations

from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify_fixes import THIS_MACHINE, Fixes
from nvwizard.report.models import Report

NOT_CHECKABLE = "not checkable from this bundle"
NO_LIST = "it has no package list (dpkg-query.txt or dpkg-l.txt)"


def unlisted_module_version(report: Report) -> VerifyCheck:
    smi = report.nvidia_smi
    if smi is not None and smi.status == "ok" and smi.driver_version:
        return VerifyCheck(
            "module-version",
            True,
            f"nvidia-smi answers with driver {smi.driver_version}: the loaded module and the "
            "driver's libraries are that version (a mismatch makes nvidia-smi fail); the "
            "bundle has no package list to name the packages",
        )
    return VerifyCheck(
        "module-version",
        True,
        f"{NOT_CHECKABLE}: {NO_LIST}, and no answering nvidia-smi shows the driver's version",
        skipped=True,
    )


def unlisted_flavour(report: Report, fixes: Fixes = THIS_MACHINE) -> VerifyCheck:
    loaded = report.loaded_module.flavor if report.loaded_module else None
    if loaded is None:
        return VerifyCheck(
            "flavour",
            True,
            f"{NOT_CHECKABLE}: {NO_LIST} to say which flavour is installed, and nothing in it "
            "says which module runs (nvidia-smi does not)",
            skipped=True,
        )
    if loaded == "proprietary" and any(g.open_kernel == "required" for g in report.gpus):
        return VerifyCheck(
            "flavour",
            False,
            "the proprietary module runs, but this GPU works only with the open kernel modules",
            fixes.install_open,
        )
    return VerifyCheck(
        "flavour",
        True,
        f"the {loaded} module runs; the bundle has no package list to say which flavour was "
        "installed",
    )


def unchecked_nouveau() -> VerifyCheck:
    return VerifyCheck(
        "nouveau",
        True,
        f"{NOT_CHECKABLE}: it has no lsmod.txt to say whether nouveau is loaded",
        skipped=True,
    )


def unchecked_next_boot_modules(kernel: str | None, listed: bool) -> VerifyCheck | None:
    """next-boot-modules skipped where the bundle cannot say which kernel boots next or which
    nvidia modules are installed for it (`kernel`: the newest installed linux-image, else the
    running one; `listed`: the bundle has a package list); None where it can."""
    if not listed:
        running = f" (uname-r.txt: {kernel} runs)" if kernel else ""
        why = f"{NO_LIST} to say which kernel boots next and which nvidia modules it has{running}"
    elif kernel is None:
        why = "nothing in it says which kernel boots next (no linux-image package, no uname-r.txt)"
    else:
        return None
    return VerifyCheck("next-boot-modules", True, f"{NOT_CHECKABLE}: {why}", skipped=True)
