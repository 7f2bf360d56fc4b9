"""Debian's NVIDIA driver packages: what a driver name says and which packages make it up.

Debian (the non-free, contrib and non-free-firmware areas of bookworm and trixie) packages
each driver family from its own source package, with the family in every binary package's
name. What the archives offer (checked against deb.debian.org and security.debian.org, amd64,
December 2026; tests/debian_archive records it and re-checks it against the live archive):

| release | metapackage | version | source package (nvidia-...) |
| --- | --- | --- | --- |
| 12 bookworm | `nvidia-driver` | 535.261.03, bookworm-security 535.309.01 | graphics-drivers |
| 12 bookworm | `nvidia-tesla-535-driver` | 535.216.03 | graphics-drivers-tesla-535 |
| 12 bookworm | `nvidia-tesla-470-driver` | 470.256.02 | graphics-drivers-tesla-470 |
| 12 bookworm | `nvidia-open-kernel-dkms` | 535.261.03 (contrib) | open-gpu-kernel-modules |
| 13 trixie | `nvidia-driver` | 550.163.01 | graphics-drivers |
| 13 trixie | `nvidia-tesla-535-driver` | 535.274.02 | graphics-drivers-tesla-535 |
| 13 trixie | `nvidia-open-kernel-dkms` | 550.163.01 (contrib) | open-gpu-kernel-modules |

bookworm's unnumbered `nvidia-tesla-driver` family (525) is now a set of transitional packages
that depend on the current family (`nvidia-tesla-driver` -> `nvidia-driver`): it is no driver
of its own. Neither release has a legacy family (`nvidia-legacy-390xx-driver` ended with
bullseye), fabric manager, NSCQ or the container toolkit: those come from NVIDIA's repositories.

Within a family `<f>` (empty for current, `tesla-535-` ...) the parts are `nvidia-<f>kernel-dkms`
(the only kernel modules: Debian has no precompiled, signed modules), `nvidia-<f>smi`,
`libcuda1` or `libnvidia-<f>cuda1`, `firmware-nvidia-gsp` or `firmware-nvidia-<f>gsp` (the GSP
firmware, Turing and newer, from branch 525). The open kernel modules of the current branch
are `nvidia-open-kernel-dkms` (src:nvidia-open-gpu-kernel-modules); nvwizard offers them as a
driver candidate of their own name, installed with `nvidia-driver` on a desktop. They depend on
`firmware-nvidia-gsp (= <their version>)`, so they can only be installed beside the current
family at exactly their own version.
`nvidia-persistenced` and the kernel headers are shared by all families. Debian's packages have
no `Modaliases:` header (Debian's `nvidia-detect` carries the device lists instead).

Kernel ABIs (`uname -r`) and the headers metapackage that follows each, so DKMS builds the
module for every new kernel: bookworm `6.1.0-57-amd64` -> `linux-headers-amd64` (also
`-cloud-amd64`, `-rt-amd64`, `-arm64`, `-cloud-arm64`, `-rt-arm64`, `-686-pae`, ...); trixie
`6.12.118+deb13-amd64` (or `+deb13.1-`) -> `linux-headers-amd64`; bookworm's 6.12 kernels from
bookworm-security `6.12.118+deb12-amd64` -> `linux-headers-6.12-amd64`; backports
`6.12.12+bpo-amd64` -> none here (their metapackage comes from <release>-backports only).

Sources: the Packages indices of bookworm, bookworm-updates, bookworm-security, trixie,
trixie-updates and trixie-security (main, contrib, non-free, non-free-firmware; amd64 and
arm64), the package descriptions and the Debian wiki page NvidiaGraphicsDrivers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nvwizard.detect.models import AptPackage

CURRENT_DRIVER = "nvidia-driver"
OPEN_MODULES = "nvidia-open-kernel-dkms"
PERSISTENCED = "nvidia-persistenced"
GSP_FIRST_BRANCH = 525  # the first branch Debian ships a firmware-nvidia-*gsp package for

_FAMILY = r"(?:tesla|legacy)-(?:\d{3}(?:xx)?-)?"  # "tesla-535-", "tesla-", "legacy-390xx-"
_FAMILY_DRIVER_RE = re.compile(r"^nvidia-((?:tesla|legacy)-(?:(\d{3})(?:xx)?-)?)driver$")
_KERNEL_DKMS_RE = re.compile(rf"^nvidia-(?:{_FAMILY})?kernel-dkms$")
# Every package of a family whose version must equal the driver's (one source package).
_FAMILY_PART_RE = re.compile(
    rf"^(?:nvidia-(?:{_FAMILY})?(?:driver|kernel-dkms|smi)|nvidia-open-kernel-dkms"
    rf"|libcuda1|libnvidia-(?:{_FAMILY})?(?:cuda1|cfg1)|firmware-nvidia-(?:{_FAMILY})?gsp)$"
)
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


def is_transitional(package: AptPackage) -> bool:
    """bookworm's `nvidia-tesla-driver` (525) depends on `nvidia-driver`: no driver of its own."""
    own = parse_debian_driver(package.package)
    if own is None:
        return False
    for clause in package.depends:
        name = clause.split("|", 1)[0].strip().split(" ", 1)[0]
        other = parse_debian_driver(name)
        if other is not None and other.name != own.name:
            return True
    return False


# Kernel ABIs, as `uname -r` prints them (flavours: amd64, cloud-amd64, rt-amd64, arm64,
# 686-pae, ...; the flavour never has a dot or a plus).
_FLAVOUR = r"(?P<flavour>[0-9a-z]+(?:-[0-9a-z]+)*)"
_ABI_BEFORE_TRIXIE_RE = re.compile(  # 6.1.0-57-amd64; bullseye-backports 6.1.0-0.deb11.17-amd64
    rf"^(?P<series>\d+\.\d+)\.0-(?:0\.deb\d+\.)?\d+-{_FLAVOUR}$"
)
_ABI_FROM_TRIXIE_RE = re.compile(  # 6.12.118+deb13-amd64, 6.12.115+deb13.1-cloud-amd64
    rf"^(?P<series>\d+\.\d+)\.\d+\+deb(?P<release>\d+)(?:\.\d+)?-{_FLAVOUR}$"
)
_ABI_BACKPORTS_RE = re.compile(rf"^\d+\.\d+\.\d+\+bpo-{_FLAVOUR}$")  # 6.12.12+bpo-amd64


@dataclass(frozen=True)
class DebianRelease:
    """What one Debian release's archive offers (amd64), for when apt cannot tell."""

    version: str  # "12"
    codename: str  # "bookworm"
    kernel_series: str  # the kernel series the release itself ships ("6.1")
    drivers: tuple[tuple[str, int], ...]  # driver candidate names and their branches
    amd64_only: tuple[str, ...] = ()  # of those, the ones its arm64 archive lacks

    def drivers_for(self, kernel_release: str | None) -> list[tuple[str, int]]:
        """The drivers for the architecture of this kernel (`uname -r`; amd64 when unknown)."""
        arm64 = (kernel_flavour(kernel_release or "") or "").endswith("arm64")
        return [(n, b) for n, b in self.drivers if not (arm64 and n in self.amd64_only)]


RELEASES: dict[str, DebianRelease] = {
    r.version: r
    for r in (
        DebianRelease(
            "12",
            "bookworm",
            "6.1",
            (
                (CURRENT_DRIVER, 535),
                (OPEN_MODULES, 535),
                ("nvidia-tesla-535-driver", 535),
                ("nvidia-tesla-470-driver", 470),
            ),
            amd64_only=("nvidia-tesla-535-driver",),  # bookworm's arm64 index has no 535 Tesla
        ),
        DebianRelease(
            "13",
            "trixie",
            "6.12",
            ((CURRENT_DRIVER, 550), (OPEN_MODULES, 550), ("nvidia-tesla-535-driver", 535)),
        ),
    )
}
# The areas Debian's NVIDIA packages live in, besides main (non-free-firmware from bookworm on).
NVIDIA_COMPONENTS = ("contrib", "non-free", "non-free-firmware")


def release(version: str | None) -> DebianRelease | None:
    """The release by VERSION_ID ("12"); None for one nvwizard does not know."""
    return RELEASES.get((version or "").split(".", 1)[0])


def kernel_flavour(kernel_release: str) -> str | None:
    """The flavour of a Debian kernel ABI ("cloud-amd64"), None for any other kernel."""
    kernel_release = kernel_release.strip()
    for pattern in (_ABI_BEFORE_TRIXIE_RE, _ABI_FROM_TRIXIE_RE, _ABI_BACKPORTS_RE):
        match = pattern.match(kernel_release)
        if match:
            return match.group("flavour")
    return None


def is_backports_kernel(kernel_release: str) -> bool:
    return _ABI_BACKPORTS_RE.match(kernel_release.strip()) is not None


def headers_meta(kernel_release: str) -> str | None:
    """The headers metapackage that follows this kernel's updates, so DKMS builds the module
    for each new kernel: "6.1.0-57-amd64" -> "linux-headers-amd64", "6.12.118+deb13-cloud-amd64"
    -> "linux-headers-cloud-amd64", bookworm's "6.12.118+deb12-amd64" -> "linux-headers-6.12-amd64".
    None for a backports kernel (its metapackage is only in <release>-backports) and for any
    kernel that is not Debian's."""
    kernel_release = kernel_release.strip()
    match = _ABI_BEFORE_TRIXIE_RE.match(kernel_release)
    if match:
        return f"linux-headers-{match.group('flavour')}"
    match = _ABI_FROM_TRIXIE_RE.match(kernel_release)
    if match:
        own = RELEASES.get(match.group("release"))
        series = match.group("series")
        if own is None or own.kernel_series == series:
            return f"linux-headers-{match.group('flavour')}"
        return f"linux-headers-{series}-{match.group('flavour')}"  # another series' kernels
    return None


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


def is_family_part(name: str) -> bool:
    """A driver family's metapackage, kernel modules, nvidia-smi, CUDA or cfg library or GSP
    firmware: the packages a plan names, whose versions must agree."""
    return _FAMILY_PART_RE.match(name.strip()) is not None


def smi_package(flavour: str) -> str:
    """The package with nvidia-smi for a Debian plan's flavour: "535", "550-open", "current"
    -> "nvidia-smi"; "tesla-535" -> "nvidia-tesla-535-smi"."""
    if flavour.startswith(("tesla", "legacy")):
        return f"nvidia-{flavour}-smi"
    return "nvidia-smi"


def kernel_dkms_package(flavour: str) -> str:
    """The kernel modules of a Debian plan's flavour: "550-open" -> nvidia-open-kernel-dkms,
    "tesla-535" -> nvidia-tesla-535-kernel-dkms, "535" -> nvidia-kernel-dkms."""
    if flavour.endswith("-open") or flavour == "open":
        return OPEN_MODULES
    if flavour.startswith(("tesla", "legacy")):
        return f"nvidia-{flavour}-kernel-dkms"
    return "nvidia-kernel-dkms"


def installed_flavour(names: Iterable[str], branch: int | None = None) -> str | None:
    """The flavour of the Debian driver whose kernel-dkms package is among `names`
    ("tesla-535", "550", "550-open"), the way plans name it; None when there is none."""
    for name in sorted(names):
        flavour = kernel_dkms_flavour(name)
        if flavour is None:
            continue
        if name == OPEN_MODULES:
            return DebianDriver(name, "", branch, True).flavour
        family = name.removeprefix("nvidia-").removesuffix("kernel-dkms")
        return DebianDriver(name, family, branch, False).flavour
    return None
