"""Debian's NVIDIA driver packages: what a driver name says and which packages make it up.

Debian (bookworm's non-free and non-free-firmware areas) packages each driver family from its
own source package, with the family in every binary package's name:

| family | metapackage | branch | source package (nvidia-graphics-drivers...) |
| --- | --- | --- | --- |
| current | `nvidia-driver` | its version (535 in bookworm) | ... |
| Tesla, numbered | `nvidia-tesla-535-driver` | in the name | ...-tesla-535 |
| Tesla, unnumbered | `nvidia-tesla-driver` | its version (525) | ...-tesla |
| legacy | `nvidia-legacy-390xx-driver` | in the name | ...-legacy-390xx |

Within a family `<f>` (empty for current, `tesla-535-` ...) the parts are `nvidia-<f>kernel-dkms`
(the only kernel modules: Debian has no precompiled, signed modules), `nvidia-<f>smi`,
`libcuda1` or `libnvidia-<f>cuda1`, `firmware-nvidia-gsp` or `firmware-nvidia-<f>gsp` (the GSP
firmware, Turing and newer, from branch 525). The open kernel modules of the current branch
are `nvidia-open-kernel-dkms` (src:nvidia-open-gpu-kernel-modules); nvwizard offers them as a
driver candidate of their own name, installed with `nvidia-driver` on a desktop.
`nvidia-persistenced` and the kernel headers are shared by all families. Debian's packages have
no `Modaliases:` header (Debian's `nvidia-detect` carries the device lists instead).

Sources: packages.debian.org pages of these packages in bookworm (names, Depends, Provides),
the package descriptions ("Please see the nvidia-tesla-535-kernel-dkms ... packages for
building the kernel module"), and the Debian wiki page NvidiaGraphicsDrivers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CURRENT_DRIVER = "nvidia-driver"
OPEN_MODULES = "nvidia-open-kernel-dkms"
PERSISTENCED = "nvidia-persistenced"
GSP_FIRST_BRANCH = 525  # the first branch Debian ships a firmware-nvidia-*gsp package for

_FAMILY = r"(?:tesla|legacy)-(?:\d{3}(?:xx)?-)?"  # "tesla-535-", "tesla-", "legacy-390xx-"
_FAMILY_DRIVER_RE = re.compile(r"^nvidia-((?:tesla|legacy)-(?:(\d{3})(?:xx)?-)?)driver$")
_KERNEL_DKMS_RE = re.compile(rf"^nvidia-(?:{_FAMILY})?kernel-dkms$")
# The packages that carry the user-space driver's version (what nvidia-smi and CUDA load).
_USER_SPACE_RE = re.compile(rf"^(?:libcuda1|libnvidia-{_FAMILY}cuda1|nvidia-(?:{_FAMILY})?smi)$")


@dataclass(frozen=True)
class DebianDriver:
    name: str  # the candidate's name: "nvidia-driver", "nvidia-tesla-535-driver", ...
    family: str  # "" (current), "tesla-535-", "tesla-", "legacy-390xx-"
    branch: int | None  # None when only the apt version could tell
    open: bool  # the open kernel modules (nvidia-open-kernel-dkms)

    @property
    def server(self) -> bool:
        """Tesla drivers are NVIDIA's data-center branches (Ubuntu's -server)."""
        return self.family.startswith("tesla-")

    @property
    def flavour(self) -> str:
        """A short word for plans and logs: "535", "535-open", "tesla-535"."""
        if self.family:
            return self.family.rstrip("-")
        branch = str(self.branch) if self.branch else "current"
        return f"{branch}-open" if self.open else branch

    @property
    def metapackage(self) -> str:
        """The desktop metapackage (drivers, X driver, GL libraries)."""
        return f"nvidia-{self.family}driver"

    @property
    def kernel_dkms(self) -> str:
        return OPEN_MODULES if self.open else f"nvidia-{self.family}kernel-dkms"

    @property
    def smi(self) -> str:
        return f"nvidia-{self.family}smi"

    @property
    def cuda_library(self) -> str:
        return f"libnvidia-{self.family}cuda1" if self.family else "libcuda1"

    @property
    def cfg_library(self) -> str:
        """What nvidia-persistenced needs; named, so apt does not pull the current family's."""
        return f"libnvidia-{self.family}cfg1"

    @property
    def gsp_firmware(self) -> str:
        return f"firmware-nvidia-{self.family}gsp" if self.family else "firmware-nvidia-gsp"

    @property
    def has_gsp_firmware(self) -> bool:
        return self.branch is not None and self.branch >= GSP_FIRST_BRANCH


def parse_debian_driver(name: str, branch: int | None = None) -> DebianDriver | None:
    """Read a Debian driver candidate name; `branch` comes from apt's version when the name
    has none. None for anything that is not one of Debian's driver names."""
    name = name.strip()
    if name == CURRENT_DRIVER:
        return DebianDriver(name, "", branch, False)
    if name == OPEN_MODULES:
        return DebianDriver(name, "", branch, True)
    match = _FAMILY_DRIVER_RE.match(name)
    if not match:
        return None
    numbered = match.group(2)
    return DebianDriver(name, match.group(1), int(numbered) if numbered else branch, False)


def headers_meta(kernel_release: str) -> str | None:
    """The headers metapackage that follows kernel updates: "6.1.0-40-amd64" ->
    "linux-headers-amd64", "6.1.0-40-cloud-amd64" -> "linux-headers-cloud-amd64"."""
    parts = kernel_release.strip().split("-")
    flavour = "-".join(parts[2:]) if len(parts) > 2 else ""
    return f"linux-headers-{flavour}" if flavour else None


def kernel_dkms_flavour(name: str) -> str | None:
    """ "open" or "proprietary" for any family's DKMS package of the nvidia module
    (nvidia-kernel-dkms, nvidia-tesla-535-kernel-dkms, nvidia-legacy-390xx-kernel-dkms,
    nvidia-open-kernel-dkms), else None."""
    name = name.strip()
    if name == OPEN_MODULES:
        return "open"
    return "proprietary" if _KERNEL_DKMS_RE.match(name) else None


def is_user_space_version_package(name: str) -> bool:
    """libcuda1, libnvidia-<family>cuda1 or nvidia-<family>smi: their version is the driver's."""
    return _USER_SPACE_RE.match(name.strip()) is not None
