"""Package-name rules: what a driver package name says, which packages belong to the driver,
and which NVIDIA-named packages a purge must keep.

Sources: Ubuntu's nvidia-graphics-drivers-* and linux-restricted-modules source packages (the
names), ubuntu-drivers-common (how it picks the modules package), and the traps table of
shared/DOMAIN.md (what `apt remove --purge nvidia-*` wrongly takes with it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from nvwizard.detect.models import DpkgEntry

# nvidia-driver-580, -580-open, -580-server, -580-server-open (Ubuntu archive names).
_DRIVER_RE = re.compile(r"^nvidia-driver-(\d{3})(-server)?(-open)?$")


@dataclass(frozen=True)
class DriverPackage:
    name: str  # "nvidia-driver-580-server-open"
    branch: int  # 580
    server: bool
    open: bool

    @property
    def flavour(self) -> str:
        """What follows "nvidia-driver-": "580-server-open"."""
        return self.name.removeprefix("nvidia-driver-")

    @property
    def utils(self) -> str:
        # nvidia-smi lives in nvidia-utils-<branch>[-server]: open and proprietary share it.
        return f"nvidia-utils-{self.branch}{'-server' if self.server else ''}"

    @property
    def headless(self) -> str:
        return f"nvidia-headless-no-dkms-{self.flavour}"

    @property
    def dkms(self) -> str:
        return f"nvidia-dkms-{self.flavour}"

    def signed_modules_meta(self, kernel_flavour: str) -> str:
        """The meta package that follows kernel updates: linux-modules-nvidia-580-open-generic."""
        return f"linux-modules-nvidia-{self.flavour}-{kernel_flavour}"

    def signed_modules_for_kernel(self, kernel_release: str) -> str:
        """The package built for one kernel ABI: linux-modules-nvidia-580-open-6.8.0-87-generic."""
        return f"linux-modules-nvidia-{self.flavour}-{kernel_release}"

    @property
    def fabricmanager(self) -> str:
        return f"nvidia-fabricmanager-{self.branch}"

    @property
    def nscq(self) -> str:
        return f"libnvidia-nscq-{self.branch}"


def parse_driver_package(name: str) -> DriverPackage | None:
    """Read an Ubuntu driver package name; None for anything else."""
    match = _DRIVER_RE.match(name.strip())
    if not match:
        return None
    return DriverPackage(
        name=name.strip(),
        branch=int(match.group(1)),
        server=bool(match.group(2)),
        open=bool(match.group(3)),
    )


# Ubuntu's names before 18.04 (ubuntu-drivers still parses them, as `nvidia-NNN`): nvidia-340,
# nvidia-384, nvidia-346-updates; and nvidia-current[-updates], whose branch only its version
# tells. One package holds the whole driver, kernel module (DKMS) included.
_LEGACY_RE = re.compile(r"^nvidia-(\d{3})(-updates)?$")
_CURRENT_RE = re.compile(r"^nvidia-current(-updates)?$")
_BRANCH_OF_VERSION_RE = re.compile(r"^(?:\d+:)?(\d{3})\.")


@dataclass(frozen=True)
class LegacyDriverPackage:
    name: str  # "nvidia-384-updates"
    branch: int  # 384


def branch_of_version(version: str | None) -> int | None:
    """ "535.216.03-1~deb12u1" -> 535; "1:550.54.15-0ubuntu1" -> 550."""
    if not version:
        return None
    match = _BRANCH_OF_VERSION_RE.match(version.strip())
    return int(match.group(1)) if match else None


def parse_legacy_driver(name: str, version: str | None = None) -> LegacyDriverPackage | None:
    """An old Ubuntu driver name with its branch; nvidia-current needs its apt version."""
    name = name.strip()
    match = _LEGACY_RE.match(name)
    if match:
        return LegacyDriverPackage(name, int(match.group(1)))
    branch = branch_of_version(version)
    if _CURRENT_RE.match(name) and branch is not None:
        return LegacyDriverPackage(name, branch)
    return None


# An Ubuntu kernel release: version, ABI number, flavour ("6.8.0-94-generic",
# "5.15.0-1045-aws", "6.8.0-40-lowlatency-64k").
_UBUNTU_KERNEL_RE = re.compile(r"^\d+\.\d+\.\d+-\d+-(?P<flavour>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)$")


def ubuntu_kernel_flavour(kernel_release: str) -> str | None:
    """The flavour of an Ubuntu kernel release ("generic", "aws"); None for a kernel that is not
    of Ubuntu's form ("6.18.44-fc-v1272", a custom build): no Ubuntu meta package follows it."""
    match = _UBUNTU_KERNEL_RE.match(kernel_release.strip())
    return match.group("flavour") if match else None


def kernel_meta_flavours(kernel_release: str, os_version: str | None) -> list[str]:
    """Kernel meta flavours a signed-modules meta package may follow, HWE first.

    "6.8.0-45-generic" on 22.04 -> ["generic-hwe-22.04", "generic"]; "6.8.0-1015-aws" ->
    ["aws-hwe-..", "aws"]. Ubuntu names each series after the linux meta package it follows.
    None for a kernel not of Ubuntu's form: no flavour is guessed from its name.
    """
    flavour = ubuntu_kernel_flavour(kernel_release)
    if not flavour:
        return []
    return ([f"{flavour}-hwe-{os_version}"] if os_version else []) + [flavour]


# Ubuntu's kernel metapackages (source linux-meta and its cloud/OEM siblings): each
# linux-image-<series> ("generic", "generic-hwe-22.04", "virtual", "aws", "oem-24.04") depends
# on the newest kernel of its series and has a linux-headers-<series> sibling that depends on
# that kernel's headers. linux-image-extra-* add modules to another series and have none;
# linux-image-unsigned-<abi> and linux-image-<abi> are single kernels. A series is named
# after the flavour of its kernels, except the virtual ones, which install generic kernels.
_KERNEL_IMAGE_META_RE = re.compile(
    r"^linux-image-(?!unsigned-|extra-)(?P<series>[a-z][a-z0-9.+-]*)$"
)


def headers_metapackage(image_meta: str) -> str | None:
    """linux-image-generic-hwe-22.04 -> linux-headers-generic-hwe-22.04; None for a package
    that is no kernel metapackage with a headers sibling (linux-image-6.8.0-45-generic)."""
    match = _KERNEL_IMAGE_META_RE.match(image_meta.strip())
    return f"linux-headers-{match.group('series')}" if match else None


def installs_kernels_like(image_meta: str, kernel_release: str) -> bool:
    """Whether this kernel metapackage installs kernels of the flavour of `kernel_release`:
    linux-image-generic-hwe-22.04 and linux-image-virtual for "6.8.0-45-generic"."""
    match = _KERNEL_IMAGE_META_RE.match(image_meta.strip())
    flavour = ubuntu_kernel_flavour(kernel_release)
    if match is None or flavour is None:
        return False
    families = (flavour, "virtual") if flavour == "generic" else (flavour,)
    series = match.group("series")
    return any(series == f or series.startswith(f"{f}-") for f in families)


# Packages with "nvidia" in their name that are not the driver, each with why a purge keeps
# them. Order matters: the first matching prefix gives the reason.
KEPT_PREFIXES: tuple[tuple[str, str], ...] = (
    (
        "nvidia-container-",
        "container runtime support (Docker/Kubernetes GPU access); works with any driver branch",
    ),
    ("libnvidia-container", "container runtime library; works with any driver branch"),
    ("nvidia-docker", "container runtime support; works with any driver branch"),
    (
        "nvidia-fabricmanager-",
        "NVSwitch fabric manager, tied to its driver's branch: on an NVSwitch machine the plan "
        "purges it with that driver and installs the chosen branch's",
    ),
    (
        "libnvidia-nscq-",
        "NVSwitch query library, tied to its driver's branch: on an NVSwitch machine the plan "
        "purges it with that driver and installs the chosen branch's",
    ),
    ("nvidia-cuda-", "CUDA toolkit from the archive, not part of the driver"),
    ("nvidia-cudnn", "cuDNN library, not part of the driver"),
    ("nvidia-profiler", "CUDA profiler, not part of the driver"),
    ("nvidia-visual-profiler", "CUDA profiler, not part of the driver"),
    ("nvidia-opencl-dev", "OpenCL headers, not part of the driver"),
    ("libnvidia-ml-dev", "NVML headers of the archive's CUDA toolkit, not part of the driver"),
)

# What a kept-by-default package needs among the others: NVIDIA's container packaging, the
# same in NVIDIA's repository and Ubuntu's archive. `apt install nvidia-container-toolkit`
# installs the rest as its dependencies, so purging the toolkit leaves them to autoremove.
KEPT_DEPENDS: dict[str, tuple[str, ...]] = {
    "nvidia-container-toolkit": ("nvidia-container-toolkit-base", "libnvidia-container-tools"),
    "libnvidia-container-tools": ("libnvidia-container1",),
    "libnvidia-container-dev": ("libnvidia-container1",),
    "nvidia-container-runtime": ("nvidia-container-toolkit",),
    "nvidia-docker2": ("nvidia-container-toolkit",),
}

# Driver packages whose names lack "nvidia" (Debian's names and NVIDIA's CUDA repository).
_DRIVER_NAMES_WITHOUT_NVIDIA = ("libcuda1", "libnvcuvid1", "libnvoptix1", "cuda-drivers")


def keep_reason(name: str) -> str | None:
    """Why a purge keeps this package by default, or None when it belongs to the driver."""
    for prefix, reason in KEPT_PREFIXES:
        if name.startswith(prefix):
            return reason
    return None


def is_driver_package(name: str) -> bool:
    """Part of an installed NVIDIA driver: what a complete purge removes (kept ones excluded)."""
    if keep_reason(name) is not None:
        return False
    return "nvidia" in name or name.startswith(_DRIVER_NAMES_WITHOUT_NVIDIA)


# A kernel release inside a package name: 6.8.0-94-generic (Ubuntu), 6.12.118+deb13-amd64.
_KERNEL_RELEASE_IN_NAME_RE = re.compile(r"-\d+\.\d+\.\d+[-+]")


def follows_the_kernel(name: str) -> bool:
    """A package the plan installs that must move with kernel updates, so never held: the
    headers DKMS builds against (their metapackage pulls each new kernel's, and Ubuntu's
    linux-generic depends on linux-headers-generic at its exact version) and the metapackage
    of Canonical's signed modules (linux-modules-nvidia-580-open-generic pulls each new
    kernel's modules). Held, the next kernel boots without the driver, or never comes."""
    if name.startswith("linux-headers-"):
        return True
    return (
        name.startswith("linux-modules-nvidia-") and _KERNEL_RELEASE_IN_NAME_RE.search(name) is None
    )


def holdable(packages: Iterable[str]) -> list[str]:
    """The packages an `apt-mark hold` may take: all but those that follow the kernel."""
    return [name for name in packages if not follows_the_kernel(name)]


def is_nvidia_related(name: str) -> bool:
    """Worth listing in an inventory: the driver, kept NVIDIA packages and CUDA packages."""
    return (
        "nvidia" in name
        or name.startswith(_DRIVER_NAMES_WITHOUT_NVIDIA)
        or name.startswith(("cuda-", "libcudnn", "libnccl"))
    )


@dataclass(frozen=True)
class KeptPackage:
    """An installed NVIDIA package a purge leaves alone, and why (plans carry these too)."""

    name: str
    reason: str


@dataclass(frozen=True)
class PurgeSelection:
    to_purge: list[DpkgEntry]  # exact names, sorted; never a pattern
    kept: list[KeptPackage]  # NVIDIA-named packages left alone unless the user opts in


def purge_selection(installed: Iterable[DpkgEntry]) -> PurgeSelection:
    """Split installed packages into the driver (to purge) and what a purge must keep.

    Packages in any dpkg state count, `rc` (config files left) included: purging clears them.
    Packages with no relation to NVIDIA are in neither list.
    """
    to_purge: list[DpkgEntry] = []
    kept: list[KeptPackage] = []
    for entry in sorted(installed, key=lambda e: e.name):
        reason = keep_reason(entry.name)
        if reason is not None:
            kept.append(KeptPackage(entry.name, reason))
        elif is_driver_package(entry.name):
            to_purge.append(entry)
    return PurgeSelection(to_purge=to_purge, kept=kept)


def left_to_autoremove(purged: Iterable[str], kept: Iterable[str]) -> list[str]:
    """The `kept` packages that only `purged` ones need (KEPT_DEPENDS, through each other):
    nothing purges them by name, yet `apt-get autoremove` takes each one apt installed as a
    dependency, so they are not kept. A kept package nothing installed needs is not among
    them: its fate does not depend on the purge."""
    gone, staying = set(purged), set(kept)
    needed_by: dict[str, set[str]] = {}  # kept package -> the installed packages that need it
    for needer, needs in KEPT_DEPENDS.items():
        if needer in gone or needer in staying:
            for name in needs:
                if name in staying:
                    needed_by.setdefault(name, set()).add(needer)
    orphans: set[str] = set()
    while more := {
        name
        for name, needers in needed_by.items()
        if name not in orphans and needers <= gone | orphans
    }:
        orphans |= more
    return sorted(orphans)
