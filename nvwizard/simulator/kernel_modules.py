"""What the kernel module packages print in their maintainer scripts, and which DKMS module each
builds: Ubuntu's `nvidia-dkms-*` (module `nvidia`, with ubuntu-drivers' hook lines), Debian's
`*-kernel-dkms` of every family (module named as Debian's dkms.conf names it, plain dh_dkms
lines), and the signed-module check of Canonical's `linux-modules-nvidia-*`.

Debian's module names, from its packages' `dkms status` rows and build logs:
`nvidia-kernel-dkms` builds `nvidia-current` (files nvidia-current.ko, nvidia-current-modeset.ko,
-drm, -uvm, -peermem), `nvidia-open-kernel-dkms` builds `nvidia-current-open`,
`nvidia-tesla-535-kernel-dkms` builds `nvidia-tesla-535`, `nvidia-legacy-390xx-kernel-dkms`
`nvidia-legacy-390xx` (no peermem before 470). Bookworm's dkms (3.0.10) signs what it builds
with its own key, /var/lib/dkms/mok.key (made on first use), but the postinst sends
`dkms build`'s output to /dev/null: the "Sign command:" lines never reach apt's log, so the
simulated postinst prints none either. Ubuntu's dkms signs with shim-signed's key
(/var/lib/shim-signed/mok/MOK.der); under Secure Boot its postinst asks
update-secureboot-policy to queue the key's enrolment, which prints "Running in non-interactive
mode, doing nothing." under apt's non-interactive frontend (knowledge/secure_boot.py). Either
way the key is not enrolled, and boot.py rejects the module under Secure Boot
(BootResult.why_no_module names the key to enrol).
"""

from __future__ import annotations

from dataclasses import dataclass

from nvwizard.knowledge.debian import OPEN_MODULES, kernel_dkms_flavour
from nvwizard.knowledge.secure_boot import NONINTERACTIVE_NOTHING
from nvwizard.simulator.script import PACE, Lines, Pause, err, out

UBUNTU_DKMS_PREFIX = "nvidia-dkms-"
DKMS_MODULES = ("nvidia", "nvidia-modeset", "nvidia-drm", "nvidia-uvm", "nvidia-peermem")
_DEBIAN_FILE_SUFFIXES = ("", "-modeset", "-drm", "-uvm", "-peermem")
_FIRST_PEERMEM_BRANCH = 470

# packages that put a kernel module in place: changing one makes a reboot necessary and
# runs the initramfs trigger (Debian's DKMS packages are recognised by name, below)
KERNEL_MODULE_PREFIXES = (
    UBUNTU_DKMS_PREFIX,
    "linux-modules-nvidia-",
    "linux-objects-nvidia-",
    "linux-signatures-nvidia-",
    "nvidia-kernel-",
)


@dataclass(frozen=True)
class DkmsSource:
    """A package that ships the nvidia module's source for DKMS to build."""

    package: str
    module: str  # the DKMS module name: "nvidia", "nvidia-current", "nvidia-tesla-535", ...
    open: bool
    debian: bool

    def ko_files(self, version: str) -> list[str]:
        """The .ko files a build installs, in DKMS's order."""
        if not self.debian:
            return [f"{name}.ko" for name in DKMS_MODULES]
        base = self.module
        branch = int(version.split(".")[0]) if version[:1].isdigit() else _FIRST_PEERMEM_BRANCH
        suffixes = [s for s in _DEBIAN_FILE_SUFFIXES if s != "-peermem"]
        if branch >= _FIRST_PEERMEM_BRANCH:
            suffixes.append("-peermem")
        return [f"{base}{suffix}.ko" for suffix in suffixes]


def dkms_source(package: str) -> DkmsSource | None:
    """The DKMS module `package` builds, or None for a package that builds none."""
    if package.startswith(UBUNTU_DKMS_PREFIX):
        return DkmsSource(package, "nvidia", package.endswith("-open"), debian=False)
    flavour = kernel_dkms_flavour(package)
    if flavour is None:
        return None
    if package == OPEN_MODULES:
        return DkmsSource(package, "nvidia-current-open", True, debian=True)
    # nvidia-kernel-dkms -> "", nvidia-tesla-535-kernel-dkms -> "tesla-535-"
    family = package.removeprefix("nvidia-").removesuffix("kernel-dkms")
    module = "nvidia-" + (family.rstrip("-") or "current")
    return DkmsSource(package, module, flavour == "open", debian=True)


def is_nvidia_dkms_module(module: str) -> bool:
    """Whether a `dkms status` module name is one an NVIDIA DKMS package builds."""
    if module == "nvidia":
        return True
    package = {"nvidia-current": "nvidia-kernel-dkms", "nvidia-current-open": OPEN_MODULES}.get(
        module, f"{module}-kernel-dkms"
    )
    source = dkms_source(package)
    return source is not None and source.module == module


def touches_kernel_modules(names: list[str]) -> bool:
    return any(n.startswith(KERNEL_MODULE_PREFIXES) or dkms_source(n) for n in names)


def upstream_version(version: str) -> str:
    """ "1:595.58.03-0ubuntu0.22.04.1" -> "595.58.03"."""
    return version.split(":", 1)[-1].split("-", 1)[0]


# -- removal (prerm) --------------------------------------------------------------------------


def dkms_removal_lines(source: DkmsSource, version: str, kernel: str, built: bool) -> Lines[None]:
    """The DKMS package's prerm. `built`: the module was installed for `kernel`."""
    if not source.debian:
        yield out("INFO:Disable nvidia")
        yield out("DEBUG:Parsing /usr/share/ubuntu-drivers-common/quirks/put_your_quirks_here")
        yield Pause(PACE["dkms-line"])
        yield out("Removing all DKMS Modules")
        yield out("Done.")
        yield out("update-initramfs: deferring update (trigger activated)")
        return
    # dh_dkms: `dkms remove -m <module> -v <version> --all`, as dkms 3.0 prints it
    upstream = upstream_version(version)
    if built:
        yield out(f"Module {source.module}-{upstream} for kernel {kernel} (x86_64).")
        yield out("Before uninstall, this module version was ACTIVE on this kernel.")
        for ko in source.ko_files(upstream):
            yield Pause(PACE["dkms-line"])
            yield out("")
            yield out(f"{ko}:")
            yield out(" - Uninstallation")
            yield out(f"   - Deleting from: /lib/modules/{kernel}/updates/dkms/")
            yield out(" - Original module")
            yield out("   - No original module was found for this module on this kernel.")
            yield out("   - Use the dkms install command to reinstall any previous module version.")
        yield out("depmod....")
    yield out(f"Deleting module {source.module}-{upstream} completely from the DKMS tree.")


# -- build (postinst) -------------------------------------------------------------------------


def dkms_build(
    source: DkmsSource, version: str, kernel: str, fails: bool, secure_boot: bool = False
) -> Lines[bool]:
    """The DKMS package's postinst: the module build for the running kernel (or its failure).
    Under Secure Boot, Ubuntu's postinst then asks update-secureboot-policy to queue the key's
    enrolment, which apt's non-interactive frontend turns into nothing (its stderr line)."""
    upstream = upstream_version(version)
    if source.debian:
        yield out(f"Loading new {source.module}-{upstream} DKMS files...")
        yield out(f"Building for {kernel}")
    else:
        yield out("update-initramfs: deferring update (trigger activated)")
        yield out("INFO:Enable nvidia")
        yield out("DEBUG:Parsing /usr/share/ubuntu-drivers-common/quirks/put_your_quirks_here")
        yield Pause(PACE["dkms-line"])
        yield out(f"Loading new {source.module}-{upstream} DKMS files...")
        yield out(f"Building for {kernel}")
        yield out("Building for architecture x86_64")
    yield out(f"Building initial module for {kernel}")
    yield Pause(PACE["dkms-build"] * (0.4 if fails else 1.0))
    if fails:
        if not source.debian:  # Ubuntu's apport hook files a crash report
            yield out(
                "ERROR: Cannot create report: [Errno 17] File exists: "
                f"'/var/crash/nvidia-dkms-{upstream.split('.')[0]}.0.crash'"
            )
        yield out(f"Error! Bad return status for module build on kernel: {kernel} (x86_64)")
        yield out(
            f"Consult /var/lib/dkms/{source.module}/{upstream}/build/make.log for more information."
        )
        return False
    if secure_boot and not source.debian:
        yield err(NONINTERACTIVE_NOTHING)
    yield out("Done.")
    for ko in source.ko_files(upstream):
        yield Pause(PACE["dkms-line"])
        yield out("")
        yield out(f"{ko}:")
        yield out("Running module version sanity check.")
        yield out(" - Original module")
        yield out("   - No original module exists within this kernel")
        yield out(" - Installation")
        yield out(f"   - Installing to /lib/modules/{kernel}/updates/dkms/")
    yield out("")
    yield out("depmod...")
    return True


def signed_modules(package: str, kernel: str, fails: bool) -> Lines[bool]:
    """linux-modules-nvidia-*'s postinst: the signed .ko files checked against the kernel."""
    if not package.endswith(kernel):
        return not fails  # the meta package has no files of its own
    yield out(f"linux-image-nvidia-{kernel}: constructing .ko files")
    for module in sorted(DKMS_MODULES):
        yield Pause(PACE["signed-module"])
        if fails:
            yield out(f"{module}.ko: FAILED (signature mismatch)")
            return False
        yield out(f"{module}.ko: OK")
    return True
