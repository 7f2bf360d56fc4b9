"""The dummy packages of the apt sandbox, shaped like Ubuntu's NVIDIA packages (noble, amd64).

Graph per driver flavour F ("580-server-open") and its library base B ("580-server"; the
user-space packages are shared between the open and proprietary kernel modules):

    nvidia-driver-F           -> nvidia-utils-B, libnvidia-compute-B, nvidia-kernel-common-B,
                                 nvidia-dkms-F | nvidia-kernel-F
                                 (provides, conflicts with, replaces nvidia-driver-binary)
    nvidia-headless-no-dkms-F -> libnvidia-compute-B, nvidia-kernel-common-B  (no nvidia-smi!)
    nvidia-dkms-F             -> dkms, nvidia-kernel-common-B
    linux-modules-nvidia-F-<kernel>  (signed, precompiled; Provides nvidia-kernel-F)
    linux-modules-nvidia-F-generic   -> linux-modules-nvidia-F-<kernel>
    nvidia-utils-B            ships usr/bin/nvidia-smi

Every branch package provides, conflicts with and replaces its shared virtual name, as
Ubuntu's do, so installing another branch replaces the old one in place (apt removes it).

plus the container toolkit, fabric manager and NSCQ, kernel headers (with the generic
kernel's image and headers metapackages), `dkms`, a base package
that owns /etc and /usr (without it purges warn "directory not empty"), and
`site-gpu-agent`, a site's own tool built against branch 535's libnvidia-compute (neither a
driver package nor one a purge keeps: apt removing it must stop a plan).
The headers come for the sandbox's kernel (`KERNEL`) and for the kernel the tests run on
(`linux-headers-$(uname -r)`, built with the repository each session): a plan made on this
machine with DKMS modules names those, so the real `nvwizard install` resolves in the sandbox.

Behaviour switches baked into every maintainer script (see `POSTINST`):
- `$DPKG_ROOT/sandbox/fail-postinst/<package>` exists: the postinst prints a DKMS-style build
  error and exits 1. `nvidia-dkms-570` ships with that marker set (a broken DKMS build).
- `$DPKG_ROOT/sandbox/block-postinst/<package>` exists: the postinst waits until it is gone
  (used to kill dpkg mid-postinst for real). While it runs, the postinst leaves dpkg's pid in
  `$DPKG_ROOT/sandbox/postinst-running/<package>`.
- `NVWIZARD_SANDBOX_LINE_DELAY` (seconds, default 0): pause between the DKMS build lines that
  `nvidia-dkms-*` postinsts print, to watch live logs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

KERNEL = "6.8.0-45-generic"
# Debian policy for package names: what `linux-headers-<uname -r>` must match to exist.
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")

# Branch -> full Ubuntu version string
VERSIONS = {
    "535": "535.247.01-0ubuntu0.24.04.1",
    "570": "570.172.08-0ubuntu0.24.04.1",
    "580": "580.95.05-0ubuntu0.24.04.2",
}
# Flavours offered by the sandbox repository; "570" is the one whose DKMS build fails.
FLAVOURS = ("535-server", "570", "570-server", "580-server", "580-server-open", "580", "580-open")
FABRIC_BRANCHES = ("535", "570", "580")
FAILING_POSTINST = ("nvidia-dkms-570",)
CONTAINER_PACKAGES = (
    "nvidia-container-toolkit",
    "nvidia-container-toolkit-base",
    "libnvidia-container-tools",
    "libnvidia-container1",
)


@dataclass(frozen=True)
class DummyPackage:
    name: str
    version: str
    depends: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    # Ubuntu's branch packages provide, conflict with and replace one shared virtual name
    # ("nvidia-utils", "nvidia-dkms-kernel"), so installing another branch removes this one.
    conflicts: tuple[str, ...] = ()
    description: str = "dummy package for nvwizard's apt sandbox"
    section: str = "restricted/misc"
    # (path inside the root, content, mode); files under etc/ are conffiles, so a removed
    # package stays in state rc until purged, as real ones do
    files: tuple[tuple[str, str, int], ...] = ()
    dkms_build: bool = False  # postinst prints DKMS build lines


NVIDIA_SMI = """#!/bin/sh
# Fake nvidia-smi shipped by the sandbox's nvidia-utils packages.
echo "NVIDIA-SMI {version}   Driver Version: {version}   CUDA Version: 13.0"
"""

# Every package gets this postinst; {name} and {dkms} are filled in per package.
POSTINST = r"""#!/bin/sh
set -e
if [ -z "$DPKG_ROOT" ] || [ "$DPKG_ROOT" = "/" ]; then
    echo "sandbox package refuses to run outside a sandbox root (DPKG_ROOT unset)" >&2
    exit 1
fi
ctl="$DPKG_ROOT/sandbox"
[ "$1" = configure ] || exit 0
echo "$PPID" > "$ctl/postinst-running/{name}"
while [ -e "$ctl/block-postinst/{name}" ]; do sleep 0.05; done
if [ {dkms} = yes ]; then
    delay="${{NVWIZARD_SANDBOX_LINE_DELAY:-0}}"
    for line in \
        "Loading new nvidia-{flavour}-{upstream} DKMS files..." \
        "Building for {kernel}" \
        "Building initial module for {kernel}" \
        "Sign command: /usr/bin/kmodsign" \
        "Signing key: /var/lib/shim-signed/mok/MOK.priv"
    do
        echo "$line"
        [ "$delay" = 0 ] || sleep "$delay"
    done
fi
if [ -e "$ctl/fail-postinst/{name}" ]; then
    echo "Error! Bad return status for module build on kernel: {kernel} (x86_64)"
    echo "Consult /var/lib/dkms/nvidia/{upstream}/build/make.log for more information."
    rm -f "$ctl/postinst-running/{name}"
    exit 1
fi
if [ {dkms} = yes ]; then
    echo ""
    echo "Running module version sanity check."
    echo " - Original module"
    echo "   - No original module exists within this kernel"
    echo " - Installation"
    echo "   - Installing to /lib/modules/{kernel}/updates/dkms/"
    echo "depmod...."
fi
rm -f "$ctl/postinst-running/{name}"
exit 0
"""


def _driver_packages(flavour: str) -> list[DummyPackage]:
    branch = flavour.split("-")[0]
    base = flavour.removesuffix("-open")
    version = VERSIONS[branch]
    modules = f"linux-modules-nvidia-{flavour}-{KERNEL}"
    return [
        DummyPackage(
            f"nvidia-driver-{flavour}",
            version,
            depends=(
                f"nvidia-utils-{base}",
                f"libnvidia-compute-{base}",
                f"nvidia-kernel-common-{base}",
                f"nvidia-dkms-{flavour} | nvidia-kernel-{flavour}",
            ),
            provides=("nvidia-driver-binary",),
            conflicts=("nvidia-driver-binary",),
            description=f"NVIDIA driver metapackage ({flavour})",
        ),
        DummyPackage(
            f"nvidia-headless-no-dkms-{flavour}",
            version,
            depends=(f"libnvidia-compute-{base}", f"nvidia-kernel-common-{base}"),
            description=f"NVIDIA headless metapackage - no DKMS ({flavour})",
        ),
        DummyPackage(
            f"nvidia-dkms-{flavour}",
            version,
            depends=("dkms", f"nvidia-kernel-common-{base}"),
            provides=(f"nvidia-kernel-{flavour}", "nvidia-dkms-kernel"),
            conflicts=("nvidia-dkms-kernel",),
            description=f"NVIDIA DKMS package ({flavour})",
            dkms_build=True,
        ),
        DummyPackage(
            modules,
            f"{version.split('-')[0]}+6.8.0-45.45",
            provides=(f"nvidia-kernel-{flavour}",),
            description=f"Linux kernel nvidia modules for version {KERNEL} (signed)",
            section="restricted/kernel",
        ),
        DummyPackage(
            f"linux-modules-nvidia-{flavour}-generic",
            "6.8.0-45.45",
            depends=(modules,),
            description="Extra drivers for nvidia for the generic kernel (metapackage)",
            section="restricted/kernel",
        ),
    ]


def _library_packages(base: str) -> list[DummyPackage]:
    version = VERSIONS[base.split("-")[0]]
    upstream = version.split("-")[0]
    return [
        DummyPackage(
            f"nvidia-utils-{base}",
            version,
            provides=("nvidia-utils",),
            conflicts=("nvidia-utils",),
            description=f"NVIDIA driver support binaries ({base})",
            files=(("usr/bin/nvidia-smi", NVIDIA_SMI.format(version=upstream), 0o755),),
        ),
        DummyPackage(
            f"libnvidia-compute-{base}",
            version,
            provides=("libnvidia-compute",),
            conflicts=("libnvidia-compute",),
            description=f"NVIDIA libcompute ({base})",
        ),
        DummyPackage(
            f"nvidia-kernel-common-{base}",
            version,
            provides=("nvidia-kernel-common",),
            conflicts=("nvidia-kernel-common",),
            description=f"Shared files used with the kernel module ({base})",
            files=(
                (
                    "etc/modprobe.d/nvidia-graphics-drivers-kms.conf",
                    "options nvidia-drm modeset=1\n",
                    0o644,
                ),
            ),
        ),
    ]


def _fabric_packages(branch: str) -> list[DummyPackage]:
    """Fabric manager and NSCQ depend on their branch's nvidia-kernel-common, as Ubuntu's do
    (Launchpad bug 2129682), so a purge of that branch's driver takes them along."""
    version = VERSIONS[branch]
    upstream = version.split("-")[0]
    driver = (f"nvidia-kernel-common-{branch}-server (>= {upstream})",)
    return [
        DummyPackage(
            f"nvidia-fabricmanager-{branch}",
            f"{upstream}-1",
            depends=driver,
            description=f"Fabric Manager for NVSwitch based systems ({branch})",
        ),
        DummyPackage(
            f"libnvidia-nscq-{branch}",
            f"{upstream}-1",
            depends=driver,
            description=f"NVSwitch Configuration and Query library ({branch})",
        ),
    ]


def _other_packages() -> list[DummyPackage]:
    toolkit = "1.17.8-1"
    return [
        DummyPackage(
            "sandbox-base",
            "1.0",
            description="owns /etc and /usr in the sandbox root",
            files=(("etc/sandbox-release", "sandbox\n", 0o644),),
        ),
        DummyPackage(
            "dkms",
            "3.0.11-1ubuntu13",
            description="Dynamic Kernel Module System",
            # a conffile, as Ubuntu's: removed without --purge, dkms stays in state rc
            files=(("etc/dkms/framework.conf", "# dkms framework\n", 0o644),),
        ),
        DummyPackage(
            f"linux-headers-{KERNEL}",
            "6.8.0-45.45",
            description=f"Linux kernel headers for version {KERNEL}",
            section="devel",
        ),
        # the kernel metapackage and its headers sibling, which a plan with DKMS installs so
        # that each new kernel comes with its headers (linux-meta's names and graph)
        DummyPackage(
            "linux-image-generic",
            "6.8.0.45.45",
            description="Generic Linux kernel image",
            section="kernel",
        ),
        DummyPackage(
            "linux-headers-generic",
            "6.8.0.45.45",
            depends=(f"linux-headers-{KERNEL}",),
            description="Generic Linux kernel headers",
            section="kernel",
        ),
        DummyPackage(
            "nvidia-container-toolkit",
            toolkit,
            depends=(f"nvidia-container-toolkit-base (= {toolkit})", "libnvidia-container-tools"),
            description="NVIDIA Container toolkit",
        ),
        DummyPackage(
            "nvidia-container-toolkit-base", toolkit, description="NVIDIA Container Toolkit Base"
        ),
        DummyPackage(
            "libnvidia-container-tools",
            toolkit,
            depends=("libnvidia-container1",),
            description="NVIDIA container runtime library (command-line tools)",
        ),
        DummyPackage(
            "libnvidia-container1", toolkit, description="NVIDIA container runtime library"
        ),
        DummyPackage(
            "site-gpu-agent",
            "2.1-1",
            depends=("libnvidia-compute-535-server",),
            description="a site's GPU monitoring agent, built against branch 535's NVML",
            section="misc",
        ),
    ]


def running_kernel() -> str:
    """`uname -r` of the machine the tests run on (plans for this machine name its headers)."""
    return os.uname().release


def running_kernel_headers_name() -> str | None:
    """`linux-headers-<uname -r>`, or None when that is no valid package name (odd kernels)."""
    name = f"linux-headers-{running_kernel()}"
    return name if PACKAGE_NAME.match(name) else None


def _running_kernel_headers() -> list[DummyPackage]:
    """So the real local plan (DKMS needs the running kernel's headers) resolves here."""
    name = running_kernel_headers_name()
    if name is None or running_kernel() == KERNEL:
        return []
    upstream = re.match(r"\d+(\.\d+)*", running_kernel())
    return [
        DummyPackage(
            name,
            f"{upstream.group() if upstream else '0'}-1",
            description=f"Linux kernel headers for version {running_kernel()} (the running one)",
            section="devel",
        )
    ]


def all_packages() -> list[DummyPackage]:
    packages = _other_packages() + _running_kernel_headers()
    for flavour in FLAVOURS:
        packages += _driver_packages(flavour)
    for base in sorted({f.removesuffix("-open") for f in FLAVOURS}):
        packages += _library_packages(base)
    for branch in FABRIC_BRANCHES:
        packages += _fabric_packages(branch)
    return packages


def postinst_for(package: DummyPackage) -> str:
    flavour = package.name.removeprefix("nvidia-dkms-")
    version = package.version.split("-")[0]
    return POSTINST.format(
        name=package.name,
        dkms="yes" if package.dkms_build else "no",
        flavour=flavour,
        upstream=version,
        kernel=KERNEL,
    )
