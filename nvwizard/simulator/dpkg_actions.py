"""What dpkg does, and prints, for each package when apt-get (or `dpkg --configure -a`) runs it:
remove or purge, unpack, configure (with the demo's failure mode), triggers, the error list.

Each function changes the model's packages as dpkg changes its database; the caller saves.
"""

from __future__ import annotations

from collections.abc import Sequence

from nvwizard.simulator.dkms_status import forget_module, record_build
from nvwizard.simulator.gpu_services import FABRIC_MANAGER_UNIT as FABRIC_MANAGER
from nvwizard.simulator.gpu_services import is_active, set_state
from nvwizard.simulator.kernel_modules import (
    dkms_build,
    dkms_removal_lines,
    dkms_source,
    signed_modules,
    touches_kernel_modules,
)
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.packages import Alternatives, Installed
from nvwizard.simulator.progress import Progress
from nvwizard.simulator.script import PACE, Lines, Pause, err, out

# packages that ship conffiles, so a purge prints "Purging configuration files for ..."
CONFFILE_PACKAGES = (
    "nvidia-kernel-common-",
    "nvidia-compute-utils-",
    "nvidia-fabricmanager-",
    "xserver-xorg-video-nvidia-",
    "dkms",
    "nvidia-container-toolkit-base",
)


def remove_package(model: MachineModel, name: str, purge: bool, progress: Progress) -> Lines[None]:
    """Remove (or purge) one package; a removed package with conffiles stays as config-files."""
    package = model.installed[name]
    arch = package.arch
    if package.present:
        yield from progress.emit(name, f"Preparing for removal of {name} ({arch})")
        yield from progress.emit(name, f"Removing {name} ({arch})")
        yield Pause(PACE["remove"])
        yield out(f"Removing {name} ({package.version}) ...")
        source = dkms_source(name)
        if source is not None:
            built = package.status == "i"
            yield from dkms_removal_lines(source, package.version, model.kernel, built)
            forget_module(model, source)
        if name.startswith("nvidia-fabricmanager") and is_active(model.machine, FABRIC_MANAGER):
            # its prerm stops the unit (deb-systemd-invoke stop): the daemon goes with it
            set_state(model.machine, model, FABRIC_MANAGER, active=False)
    else:
        progress.skip(2)
    if purge:
        yield from progress.emit(name, f"Completely removing {name} ({arch})")
        if not package.present or name.startswith(CONFFILE_PACKAGES):
            yield out(f"Purging configuration files for {name} ({package.version}) ...")
        yield from progress.emit(name, f"Completely removed {name} ({arch})")
        del model.installed[name]
    elif name.startswith(CONFFILE_PACKAGES):
        progress.skip(2)
        package.want, package.status = "r", "c"
    else:  # nothing left behind: dpkg forgets the package
        progress.skip(2)
        del model.installed[name]


def unpack_package(model: MachineModel, name: str, progress: Progress) -> Lines[None]:
    """Unpack apt's candidate of `name`: it is then installed but not configured (U)."""
    offer = model.offers[name]
    old = model.installed.get(name)
    upgrading = old is not None and old.present
    deb = f".../{name}_{offer.version}_{offer.arch}.deb"
    yield from progress.emit(name, f"Preparing {name} ({offer.arch})")
    if not upgrading:
        yield out(f"Selecting previously unselected package {name}.")
    yield out(f"Preparing to unpack {deb} ...")
    yield from progress.emit(name, f"Unpacking {name} ({offer.arch})")
    yield Pause(PACE["unpack"])
    if upgrading and old is not None:
        yield out(f"Unpacking {name} ({offer.version}) over ({old.version}) ...")
    else:
        yield out(f"Unpacking {name} ({offer.version}) ...")
    yield from progress.emit(name, f"Installing {name} ({offer.arch})")
    description = offer.description or (old.description if old else "")
    model.installed[name] = Installed(
        name,
        offer.version,
        "h" if old and old.want == "h" else "i",
        "U",
        offer.arch,
        description,
    )


def configure_packages(
    model: MachineModel, names: Sequence[str], progress: Progress, failing_package: str
) -> Lines[list[str]]:
    """Configure in order; returns the packages that failed (postinst or dependencies).

    `failing_package` (NVWIZARD_DEMO_FAIL) has its postinst fail; packages that depend on a
    failed one are left unpacked, as dpkg leaves them."""
    failed: list[str] = []
    for name in names:
        package = model.installed[name]
        blocker = _failed_dependency(model, name, failed)
        if blocker is not None:
            yield from _dependency_problem(name, *blocker)
            package.status = "U"
            failed.append(name)
            yield from progress.error(name, "dependency problems - leaving unconfigured")
            progress.skip(3)
            continue
        yield from progress.emit(name, f"Preparing to configure {name} ({package.arch})")
        yield from progress.emit(name, f"Configuring {name} ({package.arch})")
        yield Pause(PACE["setup"])
        yield out(f"Setting up {name} ({package.version}) ...")
        fails = name == failing_package
        source = dkms_source(name)
        if source is not None:
            secure_boot = model.secure_boot_enabled()
            ok = yield from dkms_build(source, package.version, model.kernel, fails, secure_boot)
            if ok:
                record_build(model, source, package.version, model.kernel)
        elif name.startswith("linux-modules-nvidia-"):
            ok = yield from signed_modules(name, model.kernel, fails)
        else:
            ok = not fails
        if not ok:
            exit_status = 10 if source is not None else 1  # dkms's own status for a failed build
            message = (
                f"installed {name} package post-installation script subprocess returned "
                f"error exit status {exit_status}"
            )
            yield err(f"dpkg: error processing package {name} (--configure):")
            yield err(f" {message}")
            yield from progress.error(name, message)
            package.status = "F"
            failed.append(name)
            progress.skip(1)
            continue
        package.status = "i"
        yield from progress.emit(name, f"Installed {name} ({package.arch})")
    return failed


def _failed_dependency(
    model: MachineModel, name: str, failed: Sequence[str]
) -> tuple[Alternatives, str] | None:
    """(the dependency, its failed alternative) that keeps `name` from being configured."""
    for group in model.dependencies(name):
        configured = {n for n, p in model.installed.items() if p.status == "i"}
        if model.satisfied(group, configured):
            continue
        for alt in group:
            if alt in failed:
                return group, alt
    return None


def _dependency_problem(name: str, group: Alternatives, missing: str) -> Lines[None]:
    yield err(f"dpkg: dependency problems prevent configuration of {name}:")
    yield err(f" {name} depends on {' | '.join(group)}; however:")
    yield err(f"  Package {missing} is not configured yet.")
    yield err("")
    yield err(f"dpkg: error processing package {name} (--configure):")
    yield err(" dependency problems - leaving unconfigured")


def run_triggers(model: MachineModel, changed: list[str], configured: Sequence[str]) -> Lines[None]:
    """The triggers dpkg runs at the end: libc's ldconfig; initramfs after a module change."""
    if not (changed or configured):
        return
    libc = model.installed.get("libc-bin") or model.installed.get("libc6")
    if libc is not None:
        yield Pause(PACE["trigger"] / 4)
        yield out(f"Processing triggers for libc-bin ({libc.version}) ...")
    initramfs = model.installed.get("initramfs-tools")
    if initramfs is not None and touches_kernel_modules(changed):
        yield out(f"Processing triggers for initramfs-tools ({initramfs.version}) ...")
        yield Pause(PACE["trigger"])
        yield out(f"update-initramfs: Generating /boot/initrd.img-{model.kernel}")


def errors_summary(failed: Sequence[str]) -> Lines[None]:
    """dpkg's closing list of failures, printed after the triggers ran."""
    if failed:
        yield err("Errors were encountered while processing:")
        for name in failed:
            yield err(f" {name}")
