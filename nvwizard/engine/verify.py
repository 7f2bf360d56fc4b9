"""After the reboot: is the driver that was installed the one that runs?

Checks, each ok or failed with its fix (ids are stable; the wizard's Verify screen and
`nvwizard verify --json` show them):

| id | ok when |
| --- | --- |
| packages-configured | shown only when it fails, first: dpkg left NVIDIA packages unfinished |
|   | or was interrupted (verify_packages.py) |
| module-loaded | the nvidia kernel module is loaded |
| module-version | its version equals the installed libnvidia-compute/nvidia-utils version |
|   | (a bundle without a package list: nvidia-smi's driver version, verify_unlisted.py) |
| flavour | open or proprietary, as chosen (the state file; else the installed packages; |
|   | else not checkable from a bundle without a package list) |
| (both) | a driver NVIDIA's .run installer put there, no driver package: the loaded module's |
|   | version = nvidia-smi's, its flavour from /proc/driver/nvidia/version, said to be not |
|   | managed by apt (verify_run_installed.py) |
| nvidia-smi | `nvidia-smi` answers with its table |
| nouveau | the nouveau module is not loaded |
| next-boot-modules | modules exist for the kernel that boots next (the newest installed |
|   | linux-image): `linux-modules-nvidia-<flavour>-<kernel>`, or a DKMS build for it |
|   | (verify_modules.py) |
|   | (a bundle without the evidence of a check, lsmod.txt for nouveau, a package list or a |
|   | kernel for next-boot-modules: skipped, not checkable from it; verify_unlisted.py) |
| fabric-manager | NVSwitch boards only: fabric manager and NSCQ at the driver's exact version, |
|   | the module at it too, nvidia-fabricmanager.service active (verify_fabric.py) |

Then the developer stack's checks, where it is installed (verify_stack.py): cuda-link,
nvcc-version, cudnn-version, nvidia-ctk, runtime-<name>, and cuda-sample (a vector-add
program compiled with the installed nvcc and run on the GPU).

Facts come from `build_report(host)` and the host's dpkg sources (what the installed packages
say: verify_facts.py); on a real machine the result is recorded in the state file (never for
demo or bundle hosts).
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

from nvwizard.detect.models import DpkgEntry
from nvwizard.engine.attach import NEXT_VERIFY, current_apply
from nvwizard.engine.state import VerifyCheck, VerifyResult, read_state, write_state
from nvwizard.engine.verify_fabric import fabric_manager_checks
from nvwizard.engine.verify_facts import (
    expected_module_flavour,
    installed_debian_flavour,
    installed_flavour,
    library_versions,
    package_list,
)
from nvwizard.engine.verify_fixes import THIS_MACHINE, Fixes, fixes_for
from nvwizard.engine.verify_modules import REPAIR_FIRST, check_next_boot_modules, next_boot_kernel
from nvwizard.engine.verify_packages import check_packages_configured, deferring_to_the_repair
from nvwizard.engine.verify_run_installed import (
    run_flavour,
    run_installed,
    run_module_version,
    run_nvidia_smi,
)
from nvwizard.engine.verify_secure_boot import pointing_to_the_enrolment, with_key_enrolment
from nvwizard.engine.verify_stack import stack_checks
from nvwizard.engine.verify_unlisted import (
    unchecked_next_boot_modules,
    unchecked_nouveau,
    unlisted_flavour,
    unlisted_module_version,
)
from nvwizard.host.base import Host
from nvwizard.host.demo import demo_name
from nvwizard.knowledge import debian
from nvwizard.plan.blockers import machine_blocker_ids
from nvwizard.report.build import build_report
from nvwizard.report.models import Report

# -- the checks ----------------------------------------------------------------------------


def check_module_loaded(
    report: Report, driver_installed: bool = True, fixes: Fixes = THIS_MACHINE
) -> VerifyCheck:
    module = report.loaded_module
    if module is not None and module.version:
        return VerifyCheck("module-loaded", True, f"nvidia {module.version} is loaded")
    if not driver_installed:
        return VerifyCheck(
            "module-loaded", False, "the nvidia kernel module is not loaded", fixes.install_first
        )
    if fixes.key_enrolment or fixes.repair_first:  # the enrolment or repair comes first
        fix = fixes.reboot
    else:
        then = fixes.by_hand(
            "If it still is not loaded: `sudo modprobe nvidia` and read `sudo dmesg`."
        )
        fix = f"{fixes.reboot} {then}"
    return VerifyCheck("module-loaded", False, "the nvidia kernel module is not loaded", fix)


def check_module_version(
    report: Report, packages: list[DpkgEntry], fixes: Fixes = THIS_MACHINE, listed: bool = True
) -> VerifyCheck:
    """`listed`: `packages` is the machine's package list (False: a bundle without one)."""
    libraries = library_versions(packages)
    if not libraries and not listed:
        return unlisted_module_version(report)
    if not libraries:
        names = (  # what carries the driver's version there
            "libcuda1 or nvidia-smi (or a Tesla family's)"
            if report.os_id == "debian"
            else "libnvidia-compute or nvidia-utils"
        )
        return VerifyCheck(
            "module-version", False, f"no {names} package is installed", fixes.install_first
        )
    loaded = report.loaded_module.version if report.loaded_module else None
    installed = sorted(set(libraries.values()))
    if loaded is None:
        return VerifyCheck(
            "module-version",
            False,
            f"installed {', '.join(installed)}, but no module is loaded to compare",
            fixes.reboot,
        )
    wrong = {name: v for name, v in libraries.items() if v != loaded}
    if not wrong:
        return VerifyCheck(
            "module-version", True, f"module {loaded} = installed libraries {installed[0]}"
        )
    named = ", ".join(f"{name} {v}" for name, v in sorted(wrong.items()))
    verb = "are" if len(wrong) > 1 else "is"
    hold = "hold the driver packages (`sudo apt-mark hold ...`)."
    if fixes.demo or fixes.repair_first:
        fix = f"{fixes.reboot} {fixes.by_hand('Where unattended-upgrades did this, ' + hold)}"
    else:
        again = "To stop unattended-upgrades doing this again"
        fix = f"Reboot to load the installed module. {again}, {hold}"
    return VerifyCheck(
        "module-version",
        False,
        f"module {loaded} is loaded but {named} {verb} installed (NVML version mismatch)",
        fix,
    )


def check_flavour(
    report: Report,
    flavour: str | None,
    packages: list[DpkgEntry],
    chosen: bool = False,
    fixes: Fixes = THIS_MACHINE,
    listed: bool = True,
) -> VerifyCheck:
    expected, source = expected_module_flavour(flavour, chosen, packages)
    loaded = report.loaded_module.flavor if report.loaded_module else None
    if expected is None and not listed:
        return unlisted_flavour(report, fixes)
    if expected is None:
        return VerifyCheck(
            "flavour",
            False,
            "no driver flavour was chosen or is installed",
            fixes.install_first,
        )
    if loaded is None:
        return VerifyCheck(
            "flavour",
            False,
            f"expected the {expected} module ({source}); no loaded module says which it is",
            fixes.reboot,
        )
    # the module that runs is not the installed driver's: the old one, until the reboot
    running = report.loaded_module.version if report.loaded_module else None
    libraries = set(library_versions(packages).values())
    waiting = bool(libraries) and running not in libraries
    if loaded == "proprietary" and any(g.open_kernel == "required" for g in report.gpus):
        return VerifyCheck(
            "flavour",
            False,
            f"the proprietary module runs ({source}), but this GPU works only with the open "
            "kernel modules",
            fixes.reboot if waiting else fixes.install_open,
        )
    if loaded == expected:
        return VerifyCheck("flavour", True, f"the {loaded} module runs, as expected ({source})")
    return VerifyCheck(
        "flavour",
        False,
        f"the {loaded} module runs, but {expected} was expected ({source})",
        fixes.reboot
        if waiting
        else fixes.by_hand(
            "A module of the other flavour is still installed or in the initramfs: check "
            "`dpkg -l | grep -e nvidia-dkms -e linux-modules-nvidia`, purge the wrong one, run "
            "`sudo update-initramfs -u` and reboot."
        ),
    )


def check_nvidia_smi(
    report: Report, flavour: str | None, fixes: Fixes = THIS_MACHINE
) -> VerifyCheck:
    smi = report.nvidia_smi
    if smi is not None and smi.status == "ok":
        version = f" (driver {smi.driver_version})" if smi.driver_version else ""
        return VerifyCheck("nvidia-smi", True, f"nvidia-smi answers{version}")
    if smi is None:
        if not flavour:
            return VerifyCheck(
                "nvidia-smi", False, "nvidia-smi is not installed", fixes.install_first
            )
        utils = f"nvidia-utils-{flavour.removesuffix('-open')}"
        if report.os_id == "debian":
            utils = debian.smi_package(flavour)  # nvidia-smi, nvidia-tesla-535-smi
        return VerifyCheck(
            "nvidia-smi",
            False,
            "nvidia-smi gave no output (not installed?)",
            fixes.by_hand(
                f"`{shlex.join(['sudo', 'apt-get', 'install', utils])}` "
                "(headless installs need it explicitly)."
            ),
        )
    message = smi.message or smi.status
    loaded = report.loaded_module.version if report.loaded_module else None
    if smi.status == "version-mismatch" or (smi.status == "no-driver" and flavour and not loaded):
        # between an install and its reboot (or load): no nvidia module, or an older one
        detail = f"the installed driver is not loaded yet: nvidia-smi fails ({message})"
        return VerifyCheck("nvidia-smi", False, detail, fixes.load_installed)
    if smi.status == "no-devices":
        fix = fixes.by_hand("Check `lspci -nn | grep -i nvidia` and `sudo dmesg | grep -i nvidia`.")
    else:
        dmesg = fixes.by_hand("If it still fails, read `sudo dmesg | grep -i nvidia`.")
        fix = f"{fixes.reboot} {dmesg}"
    return VerifyCheck("nvidia-smi", False, f"nvidia-smi fails: {message}", fix)


def check_nouveau(
    report: Report, driver_installed: bool = True, fixes: Fixes = THIS_MACHINE, bundle: bool = False
) -> VerifyCheck:
    """`bundle`: a captured bundle, where no lsmod output means it holds none (not checkable);
    on this machine (or a demo) it means lsmod could not be read, which must be looked at."""
    if report.nouveau_loaded is False:
        return VerifyCheck("nouveau", True, "nouveau is not loaded")
    if report.nouveau_loaded is None and bundle:
        return unchecked_nouveau()
    if report.nouveau_loaded is None:
        return VerifyCheck(
            "nouveau",
            False,
            "cannot tell whether nouveau is loaded (no lsmod output)",
            fixes.by_hand("Run `lsmod | grep nouveau` on the machine."),
        )
    blacklist = "The driver packages blacklist nouveau from the next boot"
    if fixes.demo and not driver_installed:
        fix = f"{blacklist}. {fixes.install_first}"
    else:
        fix = fixes.reboot_instead(
            f"{blacklist}: run `sudo update-initramfs -u` and reboot.", f"{blacklist}."
        )
    return VerifyCheck("nouveau", False, "nouveau is still loaded", fix)


def run_checks(
    report: Report,
    packages: list[DpkgEntry],
    chosen_flavour: str | None,
    dkms_status: str | None,
    fixes: Fixes = THIS_MACHINE,
    listed: bool = True,
    bundle: bool = False,
) -> list[VerifyCheck]:
    """`listed`: `packages` is the machine's package list (False: a bundle without one);
    `bundle`: the facts come from a captured bundle (what it lacks is not checkable)."""
    flavour = chosen_flavour or installed_flavour(packages)
    installed = bool(library_versions(packages))
    run = None if installed else run_installed(report)  # no package, NVIDIA's .run driver
    repair = check_packages_configured(report, fixes)
    fixes = deferring_to_the_repair(fixes, report)
    kernel = next_boot_kernel(report, packages)
    not_checkable = unchecked_next_boot_modules(kernel, listed) if bundle else None
    checks = [
        check_module_loaded(report, installed or run is not None, fixes),
        run_module_version(report, run, fixes, bundle)
        if run
        else check_module_version(report, packages, fixes, listed),
        run_flavour(report, fixes, bundle)
        if run and not chosen_flavour
        else check_flavour(report, flavour, packages, bool(chosen_flavour), fixes, listed),
        run_nvidia_smi(run, fixes)
        if run and _no_smi_output(report)
        else check_nvidia_smi(report, flavour or installed_debian_flavour(packages), fixes),
        check_nouveau(report, installed or run is not None, fixes, bundle),
        not_checkable
        or _by_hand_unless_repair(
            check_next_boot_modules(report, flavour, packages, dkms_status, run), fixes
        ),
    ]
    if repair is not None:  # the first thing to do: nothing else helps before it
        checks.insert(0, repair)
    return pointing_to_the_enrolment(checks, fixes)


def _no_smi_output(report: Report) -> bool:
    smi = report.nvidia_smi
    return smi is None or (smi.status == "error" and not smi.message)


def _by_hand_unless_repair(check: VerifyCheck, fixes: Fixes) -> VerifyCheck:
    """next-boot-modules' fix as a person at the machine applies it, unless it points to
    packages-configured's repair (said for the machine already)."""
    return check if check.fix == REPAIR_FIRST else fixes.by_hand_check(check)


# -- entry points --------------------------------------------------------------------------


def has_a_gpu_to_verify(report: Report) -> bool:
    """An NVIDIA GPU on the bus, or a driver that shows one (a bundle may lack lspci)."""
    smi = report.nvidia_smi
    return bool(report.has_nvidia_gpu or report.loaded_module or (smi and smi.gpus))


def nothing_to_verify(report: Report, label: str) -> str | None:
    """The one line that replaces the checks on a machine without an NVIDIA GPU (each of
    them would fail for that one reason), or None when there is a GPU to verify."""
    if has_a_gpu_to_verify(report):
        return None
    return f"No NVIDIA GPU found on {label}: there is no NVIDIA driver to verify."


def verify(
    host: Host,
    state_dir: Path | None = None,
    record: bool = True,
    in_wizard: bool = False,
) -> VerifyResult:
    """Check the machine; on a real host, record the result in the state file (on a demo
    too, when the state file's last apply was on that demo). On a demo machine the fixes are
    said in its own commands (`in_wizard`: with the wizard's keys).

    StateFileError (one line, before any check) when that file is damaged."""
    last = read_state(state_dir).apply if host.is_real or _a_demo(host) else None
    if last is not None and not host.is_real and demo_name(last.host) != demo_name(host.label):
        last = None  # the state file's apply was on another machine
    report = build_report(host)
    chosen = last.flavour if last is not None and last.outcome == "done" else None
    driver, accepted = (last.driver, last.blockers) if last is not None else (None, ())
    listed = package_list(host)
    packages = listed or []
    fixes = fixes_for(host, driver, in_wizard, [*accepted, *machine_blocker_ids(report)])
    fixes = with_key_enrolment(fixes, host, report, packages, driver, in_wizard)
    fixes = deferring_to_the_repair(fixes, report)
    dkms_status = host.read("dkms-status.txt")
    bundle = host.kind == "bundle"
    checks = run_checks(report, packages, chosen, dkms_status, fixes, listed is not None, bundle)
    checks += fabric_manager_checks(host, report, packages, fixes)
    result = VerifyResult(checks=checks + stack_checks(host, report, fixes), host=host.label)
    if record and (host.is_real or last is not None):
        record_result(result, state_dir)
    return result


def _a_demo(host: Host) -> bool:
    """A demo machine: its result goes in the state file when the last apply recorded there
    was on it (a demo kept in NVWIZARD_STATE_DIR), so `status` knows it was verified."""
    return demo_name(host.label) is not None


def check_now(host: Host, flavour: str | None = None, driver: str | None = None) -> VerifyResult:
    """The checks on the machine as it is now (after loading a driver without a reboot);
    `flavour`, `driver`: the one just installed. Records nothing."""
    host = host.fresh()
    report = build_report(host)
    listed = package_list(host)
    packages = listed or []
    fixes = fixes_for(host, driver, accept=machine_blocker_ids(report))
    fixes = with_key_enrolment(fixes, host, report, packages, driver)
    fixes = deferring_to_the_repair(fixes, report)
    dkms_status = host.read("dkms-status.txt")
    bundle = host.kind == "bundle"
    checks = run_checks(report, packages, flavour, dkms_status, fixes, listed is not None, bundle)
    checks += fabric_manager_checks(host, report, packages, fixes)
    return VerifyResult(checks=checks, host=host.label)


def record_result(result: VerifyResult, state_dir: Path | None = None) -> None:
    state = read_state(state_dir)
    write_state(replace(state, verify=result, verify_pending=not result.ok), state_dir)


def verification_pending(host: Host, state_dir: Path | None = None) -> bool:
    """True when the next `nvwizard` on this machine should open the Verify screen."""
    if not host.is_real:
        return False
    return current_apply(state_dir).next_step == NEXT_VERIFY
