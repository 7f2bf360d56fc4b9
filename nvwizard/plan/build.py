"""From a detection report and the user's choices to an ordered plan with exact commands.

The steps, as they apply (issue 3): repair an interrupted dpkg or unhold blocking packages,
preflight, apt-get update, purge an explicit list then autoremove, install (headless or
desktop; Canonical's signed modules for the running kernel, else DKMS plus headers; Debian's
own package names and DKMS always, see plan/debian.py), fabric manager on NVSwitch machines,
optional hold and persistenced, verify, reboot (with consent).
"""

from __future__ import annotations

from nvwizard.errors import RefusedError, UsageError
from nvwizard.knowledge import branches
from nvwizard.knowledge.debian import DebianDriver, parse_debian_driver
from nvwizard.knowledge.packages import (
    DriverPackage,
    kernel_meta_flavours,
    parse_driver_package,
    purge_selection,
)
from nvwizard.plan import models as pm
from nvwizard.plan.debian import debian_install_lists
from nvwizard.plan.models import Choices, KeptPackage, Plan, Step
from nvwizard.report.models import Report

REBOOT_MESSAGE = "nvwizard: rebooting to load the new NVIDIA driver"
REBOOT_ARGV = ["shutdown", "-r", "+1", REBOOT_MESSAGE]
VERIFY_FORMAT = "-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n"


def apt_options(lock_timeout_s: int) -> list[str]:
    """Options for every apt-get that changes the system.

    Conffiles: `--force-confdef --force-confold` keeps a config file the admin changed and
    takes the package's version of untouched ones, the same default as unattended-upgrades:
    a driver change must not silently overwrite local settings on a production machine.
    """
    return [
        "-y",
        "-o",
        f"DPkg::Lock::Timeout={lock_timeout_s}",
        "-o",
        "Dpkg::Options::=--force-confdef",
        "-o",
        "Dpkg::Options::=--force-confold",
        "-o",
        "APT::Status-Fd=3",
    ]


def default_choices(report: Report, driver: str | None = None) -> Choices:
    """The choices every front end starts from (the CLI's defaults, the wizard's first state)."""
    return Choices(
        driver=driver or report.recommended_driver or "",
        purge=True,
        headless=report.headless,
        persistenced=report.headless and report.has_nvidia_gpu,
    )


def parse_any_driver(report: Report, name: str) -> DriverPackage | DebianDriver | None:
    """Ubuntu's nvidia-driver-<branch>[-server][-open], or one of Debian's driver names."""
    driver = parse_driver_package(name)
    if driver is not None:
        return driver
    candidate = report.candidate(name)
    return parse_debian_driver(name, candidate.branch if candidate else None)


def validate_driver(report: Report, name: str) -> tuple[DriverPackage | DebianDriver, list[str]]:
    """The parsed driver and warnings, or a refusal before anything runs."""
    driver = parse_any_driver(report, name)
    if driver is None:
        raise UsageError(
            f"--driver {name!r}: not an NVIDIA driver package name "
            "(expected nvidia-driver-<branch>[-server][-open], e.g. nvidia-driver-580-server-open, "
            "or on Debian nvidia-driver, nvidia-open-kernel-dkms, nvidia-tesla-<branch>-driver)"
        )
    warnings: list[str] = []
    candidate = report.candidate(name)
    if candidate is not None and not candidate.runnable:
        raise RefusedError(
            f"{name} cannot run on this machine: {candidate.reason or 'unsupported'}"
        )
    for gpu in report.gpus:
        label = gpu.name or gpu.pci_address
        if driver.open and gpu.open_kernel == "unsupported":
            raise RefusedError(
                f"{name} cannot run on this machine: {label} ({gpu.architecture}) cannot use "
                "the open kernel modules; choose a variant without -open"
            )
        if not driver.open and gpu.open_kernel == "required":
            raise RefusedError(
                f"{name} cannot run on this machine: {label} ({gpu.architecture}) needs the "
                "open kernel modules; choose an -open variant"
            )
    if candidate is not None and branches.is_end_of_life(candidate.end_of_life):
        warnings.append(
            f"Branch {candidate.branch} is past its end of life ({candidate.end_of_life}): "
            "NVIDIA no longer fixes bugs or security issues in it."
        )
    if not report.has_nvidia_gpu:
        warnings.append(
            f"No NVIDIA GPU was found: installing {name} anyway, as asked (e.g. an image build)."
        )
    elif candidate is None and report.driver_candidates:
        runnable = [c.package for c in report.driver_candidates if c.runnable]
        offered = f"offered: {', '.join(runnable)}" if runnable else "none offered can run here"
        raise UsageError(f"--driver {name}: not offered for this machine ({offered})")
    elif candidate is None:
        warnings.append(
            f"No driver candidates are known for this machine: apt's simulation will show "
            f"whether it offers {name}."
        )
    return driver, warnings


def _purge_lists(
    report: Report, choices: Choices, driver: DriverPackage | DebianDriver, installs_fabric: bool
) -> tuple[list[str], list[KeptPackage], list[str]]:
    """(purge list, kept list, warnings) from the installed packages and the choices."""
    installed = [p for p in report.installed_packages if len(p.state) < 2 or p.state[1] != "n"]
    selection = purge_selection(installed)
    warnings: list[str] = []
    purge = [e.name for e in selection.to_purge]
    kept = [KeptPackage(k.package.name, k.reason) for k in selection.kept]
    if not choices.purge:
        kept = [
            KeptPackage(n, "kept: the installed driver stays (--keep-installed)") for n in purge
        ]
        kept += [KeptPackage(k.package.name, k.reason) for k in selection.kept]
        return [], kept, warnings
    # The new fabric manager replaces an old branch's (the versions must match the driver).
    if installs_fabric:
        replaced = {driver.fabricmanager, driver.nscq}
        for item in list(kept):
            if item.name.startswith(("nvidia-fabricmanager-", "libnvidia-nscq-")) and (
                item.name not in replaced and item.name not in choices.keep
            ):
                kept.remove(item)
                purge.append(item.name)
                warnings.append(
                    f"{item.name} is replaced by the new branch's "
                    f"{driver.fabricmanager if 'fabric' in item.name else driver.nscq}."
                )
    for name in choices.also_purge:
        item = next((k for k in kept if k.name == name), None)
        if item is None and name not in purge:
            raise UsageError(f"--also-purge {name}: not an installed package that a purge keeps")
        if item is not None:
            kept.remove(item)
            purge.append(name)
    for name in choices.keep:
        if name not in purge:
            raise UsageError(f"--keep {name}: not in the purge list")
        purge.remove(name)
        kept.append(KeptPackage(name, "kept: unticked by you"))
    return sorted(purge), kept, warnings


def _install_lists(
    report: Report, choices: Choices, driver: DriverPackage
) -> tuple[list[str], str, list[str], str]:
    """(driver packages, modules kind, warnings, why of the install step)."""
    warnings: list[str] = []
    packages = [driver.headless, driver.utils] if choices.headless else [driver.name]
    kernel = report.kernel
    available = set(report.signed_modules_available)
    signed = driver.signed_modules_for_kernel(kernel) if kernel else None
    if signed and signed in available:
        packages.append(signed)
        # The report lists only the meta packages of the series that follows this kernel.
        for flavour in kernel_meta_flavours(kernel, report.os_version):
            meta = driver.signed_modules_meta(flavour)
            if meta in available:
                packages.append(meta)  # follows kernel updates, so the next kernel has modules
                break
        why = (
            f"Canonical's precompiled, signed kernel modules for the running kernel {kernel} "
            "load under Secure Boot with no key enrollment."
        )
        return packages, "signed", warnings, why
    packages.append(driver.dkms)
    if kernel:
        packages.append(f"linux-headers-{kernel}")
    else:
        warnings.append(
            "The running kernel is unknown: add its linux-headers package, DKMS needs it."
        )
    why = (
        f"No signed modules for kernel {kernel or '(unknown)'} exist for this branch, so DKMS "
        "builds the module here; under Secure Boot it must be signed with a Machine Owner Key "
        "enrolled at the next boot on the console or BMC."
    )
    if report.secure_boot == "enabled":
        warnings.append(
            "Secure Boot is on and the module will be built by DKMS: the next boot asks on the "
            "console (or BMC) to enroll a Machine Owner Key. This cannot be done over SSH alone; "
            "without it the driver will not load."
        )
    return packages, "dkms", warnings, why


# Findings that change what the plan achieves, shown with it (besides every "block" one).
_PLAN_FINDINGS = ("kernel-older-than-installed",)


def _report_warnings(report: Report, choices: Choices, purge: list[str]) -> list[str]:
    warnings = []
    if purge and report.gpu_processes:
        names = ", ".join(f"{p.name} (pid {p.pid})" for p in report.gpu_processes)
        warnings.append(f"Processes use the GPU and will fail when the driver goes: {names}.")
    holders = {(h.pid, h.name): h for h in report.lock_holders}  # one per process
    for holder in holders.values():
        warnings.append(
            f"The package manager lock is held by {holder.name} (pid {holder.pid}): apt waits "
            f"up to {choices.lock_timeout_s} s for it, then the plan stops."
        )
    if report.nouveau_loaded:
        warnings.append("nouveau is loaded: the NVIDIA driver only works after a reboot.")
    for finding in report.findings:
        if finding.severity == "block" or finding.id in _PLAN_FINDINGS:
            warnings.append(f"{finding.message} {finding.fix}".strip())
    return warnings


def _apt(choices: Choices, command: str, *args: str) -> list[str]:
    return ["apt-get", *apt_options(choices.lock_timeout_s), command, *args]


# -- repair -----------------------------------------------------------------------------------

# Unpacked or half-installed packages may lack their dependencies: `dpkg --configure -a` alone
# cannot finish them, `apt-get -f install` fetches what they need.
_NEEDS_FIX_BROKEN = ("U", "H")


def repair_commands(
    report: Report, lock_timeout_s: int = pm.DEFAULT_LOCK_TIMEOUT_S
) -> list[list[str]]:
    """`dpkg --configure -a`, then `apt-get -f install` when an unfinished package needs it."""
    commands = [["dpkg", "--configure", "-a"]]
    if any(p.state[1:2] in _NEEDS_FIX_BROKEN for p in report.unfinished_packages):
        commands.append(["apt-get", *apt_options(lock_timeout_s), "-f", "install"])
    return commands


def _repair_reasons(report: Report) -> list[str]:
    reasons = []
    if report.dpkg_interrupted:
        reasons.append("a previous dpkg run was interrupted")
    unfinished = report.unfinished_packages
    if unfinished:
        names = ", ".join(f"{p.name} ({p.state})" for p in unfinished)
        reasons.append(f"NVIDIA packages were left unfinished: {names}")
    return reasons


def _repair_step(report: Report, lock_timeout_s: int, blocking_holds: list[str]) -> Step | None:
    """The first step of a driver plan, when dpkg needs a repair or holds block the change."""
    commands: list[list[str]] = []
    reasons = _repair_reasons(report)
    if report.needs_dpkg_repair:
        commands += repair_commands(report, lock_timeout_s)
    if blocking_holds:
        commands.append(["apt-mark", "unhold", *blocking_holds])
        reasons.append(f"held packages would block the change ({', '.join(blocking_holds)})")
    if not commands:
        return None
    return Step(
        "repair",
        "Repair the package manager",
        "Nothing else can change safely first: " + "; ".join(reasons) + ".",
        commands,
        True,
        "Read the log; the machine may need a console session to fix dpkg.",
        pm.REPAIR,
    )


def build_repair_plan(report: Report, lock_timeout_s: int = pm.DEFAULT_LOCK_TIMEOUT_S) -> Plan:
    """A repair-only plan: finish what dpkg left unfinished, then check every state.

    Runs `dpkg --configure -a` even when the report saw nothing unfinished (it is harmless
    then, and the report may predate the failure that asked for the repair).
    """
    reasons = _repair_reasons(report) or ["the last apply may have left packages unfinished"]
    steps = [
        Step(
            "repair",
            "Repair the package manager",
            "Finish what dpkg left undone: " + "; ".join(reasons) + ".",
            repair_commands(report, lock_timeout_s),
            True,
            "Read the log for the package that still fails (often a DKMS build); fix its "
            "cause, then repair again.",
            pm.REPAIR,
        )
    ]
    wanted = sorted(p.name for p in report.unfinished_packages if p.state[:1] in ("i", "h"))
    if wanted:
        steps.append(
            Step(
                "verify",
                "Check the repaired packages",
                "Every package the repair finished must now be fully installed (dpkg state ii).",
                [["dpkg-query", "-W", VERIFY_FORMAT, *wanted]],
                False,
                "Read the log for the package that is still unfinished.",
                pm.VERIFY,
            )
        )
    steps.append(
        Step(
            "audit",
            "Check that dpkg is healthy",
            "`dpkg --audit` prints nothing once no package is left unfinished.",
            [["dpkg", "--audit"]],
            False,
            "Run `dpkg --audit` and repair the packages it lists by hand.",
            pm.PREFLIGHT,
        )
    )
    return Plan(
        steps=steps,
        choices=Choices(driver="", purge=False, lock_timeout_s=lock_timeout_s),
        host_label=report.source,
        driver="",
        flavour="",
        branch=None,
        modules="",
    )


def build_plan(report: Report, choices: Choices) -> Plan:
    """The ordered steps for these choices; raises UsageError/RefusedError for a bad driver."""
    driver, warnings = validate_driver(report, choices.driver)
    debian = isinstance(driver, DebianDriver)
    installs_fabric = report.nvswitch_count > 0 and not debian
    purge, kept, purge_warnings = _purge_lists(report, choices, driver, installs_fabric)
    if debian:
        packages, install_warnings, install_why = debian_install_lists(report, choices, driver)
        modules = "dkms"
        if report.nvswitch_count:
            install_warnings.append(
                "This NVSwitch machine needs NVIDIA fabric manager, which Debian does not "
                "package: install it from NVIDIA's repository at the driver's exact version."
            )
    else:
        packages, modules, install_warnings, install_why = _install_lists(report, choices, driver)
    fabric = [driver.fabricmanager, driver.nscq] if installs_fabric else []
    warnings += purge_warnings + install_warnings + _report_warnings(report, choices, purge)
    if installs_fabric and not driver.server:
        warnings.append(
            f"This NVSwitch machine needs fabric manager, which NVIDIA supports with the "
            f"-server (data-center) drivers; {driver.name} is a desktop driver."
        )
    steps: list[Step] = []
    lock_note = f"waits up to {choices.lock_timeout_s} s for another package manager's lock"

    blocking_holds = sorted(set(report.held_packages) & set(purge + packages + fabric))
    repair = _repair_step(report, choices.lock_timeout_s, blocking_holds)
    if repair is not None:
        steps.append(repair)
    steps.append(
        Step(
            "preflight",
            "Check that dpkg is healthy",
            "`dpkg --audit` lists packages a previous run left unfinished; apt refuses to work "
            "until they are repaired.",
            [["dpkg", "--audit"]],
            False,
            "Run `dpkg --configure -a`, then apply again.",
            pm.PREFLIGHT,
        )
    )
    steps.append(
        Step(
            "update",
            "Refresh the package lists",
            f"The install must use the versions apt offers today (it {lock_note}).",
            [["apt-get", "-o", f"DPkg::Lock::Timeout={choices.lock_timeout_s}", "update"]],
            True,
            "Check the network and the apt sources, then apply again.",
            pm.UPDATE,
        )
    )
    if purge:
        steps.append(
            Step(
                "purge",
                f"Purge the {len(purge)} installed NVIDIA driver packages",
                "Two drivers must never be mixed: the old one goes completely, by exact name; "
                "the container toolkit and other kept packages stay.",
                [_apt(choices, "purge", *purge)],
                True,
                "Nothing new is installed yet: read the log, fix the cause, apply again.",
                pm.PURGE,
            )
        )
        steps.append(
            Step(
                "autoremove",
                "Remove what only the old driver needed",
                "Libraries pulled in for the old driver would otherwise stay behind.",
                [_apt(choices, "autoremove", "--purge")],
                True,
                "Harmless to leave: apply again or run `apt-get autoremove --purge` later.",
                pm.AUTOREMOVE,
            )
        )
    install_args = (["--no-install-recommends"] if choices.headless else []) + packages + fabric
    what = "the headless compute stack" if choices.headless else "the desktop driver"
    steps.append(
        Step(
            "install",
            f"Install {driver.name} ({what})",
            install_why,
            [_apt(choices, "install", *install_args)],
            True,
            "Read the log for the failing package; `dpkg --configure -a` finishes a half "
            "configured one once the cause is fixed.",
            pm.INSTALL,
        )
    )
    if fabric:
        steps.append(
            Step(
                "fabric-manager",
                "Enable fabric manager",
                f"NVSwitch boards need {driver.fabricmanager} running at the driver's version "
                "before CUDA can use the GPUs.",
                [["systemctl", "enable", "nvidia-fabricmanager.service"]],
                True,
                "Run `systemctl enable nvidia-fabricmanager` after the reboot.",
                pm.FABRIC_MANAGER,
            )
        )
    driver_packages = packages + fabric
    if choices.hold:
        steps.append(
            Step(
                "hold",
                "Hold the driver packages",
                "Unattended upgrades then cannot replace the libraries under the loaded module "
                "(the NVML version mismatch).",
                [["apt-mark", "hold", *driver_packages]],
                True,
                "Run `apt-mark hold` on the packages later; the driver works without it.",
                pm.HOLD,
            )
        )
    if choices.persistenced:
        steps.append(
            Step(
                "persistenced",
                "Enable nvidia-persistenced",
                "Keeps the GPUs initialised between jobs on a server, so each job starts fast.",
                [["systemctl", "enable", "nvidia-persistenced.service"]],
                True,
                "Run `systemctl enable nvidia-persistenced` later; the driver works without it.",
                pm.PERSISTENCED,
            )
        )
    steps.append(
        Step(
            "verify",
            "Check the installed packages",
            "Every planned package must be fully installed (dpkg state ii) before a reboot.",
            [["dpkg-query", "-W", VERIFY_FORMAT, *driver_packages]],
            False,
            "Run `dpkg --configure -a`; read the log for the failing package.",
            pm.VERIFY,
        )
    )
    if choices.reboot:
        steps.append(
            Step(
                "reboot",
                "Schedule the reboot in one minute",
                "The new kernel module is only used after a reboot; the minute lets this "
                "session end cleanly (`shutdown -c` cancels it).",
                [REBOOT_ARGV],
                True,
                "Reboot by hand: `sudo reboot`.",
                pm.REBOOT,
            )
        )
    return Plan(
        steps=steps,
        choices=choices,
        host_label=report.source,
        driver=driver.name,
        flavour=driver.flavour,
        branch=driver.branch,
        modules=modules,
        warnings=warnings,
        purge_list=purge,
        kept_list=kept,
        install_list=driver_packages,
    )
