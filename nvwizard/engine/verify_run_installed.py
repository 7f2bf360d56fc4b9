"""verify's module-version, flavour and next-boot-modules for a driver that NVIDIA's .run
installer put on the machine: detection's `run-installer` finding at `block` (its
nvidia-uninstall or nvidia-installer is present, or ubuntu-drivers says `manual_install: True`)
with no driver package installed.

"Install the driver first" would be false there: the driver is installed, only not by apt. The
loaded module says its version and flavour (/proc/driver/nvidia/version); an answering
nvidia-smi says the version of the driver's libraries (NVML refuses a module of another
version); `dkms status` shows whether the installer registered the module with DKMS (`--dkms`),
so that a new kernel gets it too. The checks say plainly that apt does not manage this driver,
with the finding's advice for moving it to apt packages.
"""

from __future__ import annotations

from nvwizard.detect.dkms import parse_dkms_status
from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify_fixes import THIS_MACHINE, Fixes
from nvwizard.engine.verify_unlisted import NOT_CHECKABLE
from nvwizard.report.models import Finding, Report

RUN_INSTALLER = "run-installer"
NOT_APT = "installed by NVIDIA's .run installer, not managed by apt"
RE_RUN_OPEN = (
    "Run NVIDIA's .run installer again with `--kernel-module-type=open` (older installers: "
    "`-m=kernel-open`) and reboot"
)


def run_installed(report: Report) -> Finding | None:
    """Detection's finding that a .run-installed driver is present (None: none is)."""
    return next(
        (f for f in report.findings if f.id == RUN_INSTALLER and f.severity == "block"), None
    )


def to_apt(finding: Finding) -> str:
    """The finding's advice, as the way to have apt manage the driver instead."""
    return f"To have apt manage the driver instead: {finding.fix} Then `sudo nvwizard`."


def run_module_version(
    report: Report, finding: Finding, fixes: Fixes = THIS_MACHINE, bundle: bool = False
) -> VerifyCheck:
    loaded = report.loaded_module.version if report.loaded_module else None
    smi = report.nvidia_smi
    answered = smi.driver_version if smi is not None and smi.status == "ok" else None
    if loaded is None:
        return VerifyCheck(
            "module-version",
            False,
            f"the driver is {NOT_APT}, and no nvidia module is loaded to compare",
            fixes.reboot,
        )
    if smi is None and bundle:
        return VerifyCheck(
            "module-version",
            True,
            f"{NOT_CHECKABLE}: module {loaded} is loaded (the driver is {NOT_APT}), and it has "
            "no nvidia-smi.txt to show the libraries' version",
            skipped=True,
        )
    mismatch = smi is not None and smi.status == "version-mismatch"
    if mismatch or answered not in (None, loaded):
        return VerifyCheck(
            "module-version",
            False,
            f"module {loaded} is loaded, but the driver's libraries are another version (NVML "
            f"version mismatch; the driver is {NOT_APT})",
            fixes.reboot,
        )
    if answered is None:
        return VerifyCheck(
            "module-version",
            False,
            f"module {loaded} is loaded, but nvidia-smi does not answer with the version of the "
            f"driver's libraries (the driver is {NOT_APT})",
            "See nvidia-smi's fix.",
        )
    return VerifyCheck(
        "module-version",
        True,
        f"module {loaded} = the driver nvidia-smi answers with; the driver is {NOT_APT} (no "
        f"package to compare). {to_apt(finding)}",
    )


def run_flavour(report: Report, fixes: Fixes = THIS_MACHINE, bundle: bool = False) -> VerifyCheck:
    module = report.loaded_module
    if module is None:
        return VerifyCheck(
            "flavour",
            False,
            f"the driver is {NOT_APT}, and no nvidia module is loaded to say which flavour runs",
            fixes.reboot,
        )
    if module.flavor is None and bundle:
        return VerifyCheck(
            "flavour",
            True,
            f"{NOT_CHECKABLE}: the driver is {NOT_APT}, and it has no "
            "proc-driver-nvidia-version.txt to say which module runs",
            skipped=True,
        )
    if module.flavor is None:
        return VerifyCheck(
            "flavour",
            False,
            f"cannot tell which flavour the loaded module is (the driver is {NOT_APT}): "
            "/proc/driver/nvidia/version was not read",
            fixes.by_hand(
                "`cat /proc/driver/nvidia/version`: `Open Kernel Module` is the open flavour."
            ),
        )
    if module.flavor == "proprietary" and any(g.open_kernel == "required" for g in report.gpus):
        return VerifyCheck(
            "flavour",
            False,
            f"the proprietary module runs ({NOT_APT}), but this GPU works only with the open "
            "kernel modules",
            fixes.by_hand(
                f"{RE_RUN_OPEN}; or remove it with `sudo nvidia-uninstall` and install "
                "the -open packages (`sudo nvwizard`)."
            ),
        )
    return VerifyCheck(
        "flavour",
        True,
        f"the {module.flavor} module runs (/proc/driver/nvidia/version; the driver is {NOT_APT}, "
        "so no package says which flavour was chosen)",
    )


def run_next_boot_modules(
    report: Report, kernel: str, finding: Finding, dkms_status: str | None
) -> VerifyCheck:
    """`kernel` boots next: the .run installer's module is there for it if DKMS built it, or if
    it is the running kernel whose module is loaded now."""
    built = [
        row
        for row in parse_dkms_status(dkms_status or "")
        if row[0].startswith("nvidia") and row[2] == kernel and row[3] == "installed"
    ]
    if built:
        return VerifyCheck(
            "next-boot-modules",
            True,
            f"DKMS built nvidia {built[0][1]} for {kernel} (the driver is {NOT_APT})",
        )
    if kernel == report.kernel and report.loaded_module is not None:
        return VerifyCheck(
            "next-boot-modules",
            True,
            f"{kernel} runs now with the .run installer's module and boots next too (the "
            f"driver is {NOT_APT}: a new kernel needs the installer run again, unless it "
            "registered the module with DKMS)",
        )
    built_for = f"the running kernel ({report.kernel})" if report.kernel else "one kernel"
    return VerifyCheck(
        "next-boot-modules",
        False,
        f"no nvidia module for {kernel}, which boots next: the driver is {NOT_APT}, and its "
        f"installer built the module for {built_for} only (no DKMS build for {kernel})",
        f"Boot {kernel} and run NVIDIA's .run installer again (with `--dkms`, DKMS rebuilds it "
        f"for each new kernel). {to_apt(finding)}",
    )


def run_nvidia_smi(finding: Finding, fixes: Fixes = THIS_MACHINE) -> VerifyCheck:
    """nvidia-smi gave no output where NVIDIA's .run installer put the driver: that installer
    puts nvidia-smi in /usr/bin itself, so it is missing (removed, or an installation cut
    short) or fails to start; no package would bring it ("Install the driver first" is false
    there, and nvidia-utils-* beside a .run driver conflicts with its files)."""
    return VerifyCheck(
        "nvidia-smi",
        False,
        f"nvidia-smi gave no output, with a driver {NOT_APT}: the installer's "
        "/usr/bin/nvidia-smi is missing or fails to start",
        fixes.by_hand(
            "Run `nvidia-smi` and read its error; if it is missing, run NVIDIA's .run installer "
            "of the loaded version again."
        )
        + f" {to_apt(finding)}",
    )
