"""What the kernel module packages print in their maintainer scripts: a DKMS build (and its
removal) for `nvidia-dkms-*`, the signed-module check for Canonical's `linux-modules-nvidia-*`."""

from __future__ import annotations

from nvwizard.host.simulated.script import PACE, Lines, Pause, out

DKMS_MODULES = ("nvidia", "nvidia-modeset", "nvidia-drm", "nvidia-uvm", "nvidia-peermem")

# packages that put a kernel module in place: changing one makes a reboot necessary and
# runs the initramfs trigger
KERNEL_MODULE_PREFIXES = (
    "nvidia-dkms-",
    "linux-modules-nvidia-",
    "linux-objects-nvidia-",
    "linux-signatures-nvidia-",
    "nvidia-kernel-",
)


def touches_kernel_modules(names: list[str]) -> bool:
    return any(n.startswith(KERNEL_MODULE_PREFIXES) for n in names)


def dkms_removal_lines() -> Lines[None]:
    """nvidia-dkms-*'s prerm."""
    yield out("INFO:Disable nvidia")
    yield out("DEBUG:Parsing /usr/share/ubuntu-drivers-common/quirks/put_your_quirks_here")
    yield Pause(PACE["dkms-line"])
    yield out("Removing all DKMS Modules")
    yield out("Done.")
    yield out("update-initramfs: deferring update (trigger activated)")


def dkms_build(version: str, kernel: str, fails: bool) -> Lines[bool]:
    """nvidia-dkms-*'s postinst: the module build for the running kernel (or its failure)."""
    upstream = version.split("-")[0]
    yield out("update-initramfs: deferring update (trigger activated)")
    yield out("INFO:Enable nvidia")
    yield out("DEBUG:Parsing /usr/share/ubuntu-drivers-common/quirks/put_your_quirks_here")
    yield Pause(PACE["dkms-line"])
    yield out(f"Loading new nvidia-{upstream} DKMS files...")
    yield out(f"Building for {kernel}")
    yield out("Building for architecture x86_64")
    yield out(f"Building initial module for {kernel}")
    yield Pause(PACE["dkms-build"] * (0.4 if fails else 1.0))
    if fails:
        yield out(
            "ERROR: Cannot create report: [Errno 17] File exists: "
            f"'/var/crash/nvidia-dkms-{upstream.split('.')[0]}.0.crash'"
        )
        yield out(f"Error! Bad return status for module build on kernel: {kernel} (x86_64)")
        yield out(f"Consult /var/lib/dkms/nvidia/{upstream}/build/make.log for more information.")
        return False
    yield out("Done.")
    for module in DKMS_MODULES:
        yield Pause(PACE["dkms-line"])
        yield out("")
        yield out(f"{module}.ko:")
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
