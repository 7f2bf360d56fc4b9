"""verify's module-version and flavour on a bundle without the machine's package list (no
`dpkg-query.txt`, no `dpkg-l.txt`: nvidia-smi.txt alone, say). "Install the driver first"
would be false there: what is installed is unknown, not absent.

An answering nvidia-smi says the rest: NVML (in the driver's libraries) refuses a kernel
module of another version ("Failed to initialize NVML: Driver/library version mismatch"), so
the version it answers with is the module's and the libraries' alike. Which flavour runs shows
in /proc/driver/nvidia/version or modinfo where the bundle has them; nvidia-smi's table does
not say. What nothing shows is reported as not checkable (skipped), not as a failure.
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
