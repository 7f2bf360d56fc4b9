"""Driver candidates: the NVIDIA driver packages this machine could install.

Where they come from, best first:
1. `ubuntu-drivers devices`: the drivers it lists for NVIDIA devices (never nouveau or other
   vendors' packages), with its third-party/distro source and its `recommended` mark.
2. `ubuntu-drivers list`, when only that was captured.
3. apt itself, where ubuntu-drivers is missing (minimal and cloud images, Debian): the
   `apt-cache show` stanzas of driver packages whose `Modaliases:` header matches a GPU.
   A stanza without a Modaliases header cannot be ruled out and is offered; the runnable
   check below still guards it.

Debian names its packages differently and has no `-open`/`-server` package suffixes:
- `nvidia-driver` (the current branch, desktop build) -> branch from its version, plain;
- `nvidia-tesla-<br>-driver` and `nvidia-tesla-driver` (NVIDIA's data-center branches; the
  unnumbered one's branch from its version) -> counted as `server`;
- `nvidia-legacy-<br>xx-driver` -> plain, for old GPUs (knowledge/debian.py reads the names);
- `nvidia-open-kernel-dkms` at the same branch as `nvidia-driver` means the open modules are
  possible: it becomes an `open` candidate named `nvidia-open-kernel-dkms` (installed together
  with `nvidia-driver`), so every candidate keeps a unique package name.

Each candidate is enriched from apt's `Support:` header (apt wins) and the branch table, and
marked `runnable=False` with a reason when a GPU cannot run it: open modules on Maxwell,
Pascal or Volta; proprietary modules on Blackwell or Grace Hopper; branches newer than a
legacy GPU's last branch, or older than the first branch of a new GPU's generation (Debian's
legacy-390xx driver on a Turing card).

The sources above list only what fits the GPU, so a Pascal card never sees `-open` and a
Blackwell card never sees a proprietary driver, and the user never learns why. The other
variants of the same branches that apt offers (its `apt-cache show` stanzas, whatever their
Modaliases say) are therefore added too, but only those the knowledge tables rule out, each
with its reason: the wizard shows them disabled and `--driver` refuses them by name. A
package apt does not offer is never invented, and a whole branch the GPU cannot run (595 on
Pascal) is not added: it is no variant of a choice the user has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nvwizard.detect.apt_cache import modalias_matches
from nvwizard.detect.models import AptPackage, UbuntuDriversDevice
from nvwizard.knowledge import branches, debian
from nvwizard.knowledge.architectures import architecture
from nvwizard.knowledge.debian import parse_debian_driver
from nvwizard.knowledge.packages import parse_driver_package
from nvwizard.report.models import DriverCandidate, Gpu

NVIDIA_VENDOR_MODALIAS = "pci:v000010de"

_BRANCH_OF_VERSION_RE = re.compile(r"^(?:\d+:)?(\d{3})\.")
DEBIAN_DRIVER = debian.CURRENT_DRIVER
DEBIAN_OPEN_MODULES = debian.OPEN_MODULES


@dataclass(frozen=True)
class OfferedDriver:
    """A driver package some source offers, before enrichment."""

    package: str
    branch: int
    open: bool
    server: bool
    source: str = "distro"  # "distro" or "third-party"
    ubuntu_drivers_recommended: bool = False


def is_nvidia_device(device: UbuntuDriversDevice) -> bool:
    if device.modalias and device.modalias.lower().startswith(NVIDIA_VENDOR_MODALIAS):
        return True
    return bool(device.vendor and "nvidia" in device.vendor.lower())


def _ubuntu_offer(package: str, **extra) -> OfferedDriver | None:
    parsed = parse_driver_package(package)
    if parsed is None:
        return None
    return OfferedDriver(parsed.name, parsed.branch, parsed.open, parsed.server, **extra)


def from_ubuntu_drivers(devices: Iterable[UbuntuDriversDevice]) -> list[OfferedDriver]:
    """The NVIDIA driver packages `ubuntu-drivers devices` lists, once each."""
    offered: dict[str, OfferedDriver] = {}
    for device in devices:
        if not is_nvidia_device(device):
            continue
        for driver in device.drivers:
            offer = _ubuntu_offer(
                driver.package,
                source=driver.source,
                ubuntu_drivers_recommended=driver.recommended,
            )
            if offer is None:
                continue
            known = offered.get(offer.package)
            if known is None or (
                offer.ubuntu_drivers_recommended and not known.ubuntu_drivers_recommended
            ):
                offered[offer.package] = offer
    return list(offered.values())


def from_package_names(names: Iterable[str]) -> list[OfferedDriver]:
    """Driver packages from a bare list of names (`ubuntu-drivers list`)."""
    offered: dict[str, OfferedDriver] = {}
    for name in names:
        offer = _ubuntu_offer(name)
        if offer is not None:
            offered.setdefault(offer.package, offer)
    return list(offered.values())


def branch_of_version(version: str | None) -> int | None:
    """ "535.216.03-1~deb12u1" -> 535; "1:550.54.15-0ubuntu1" -> 550."""
    if not version:
        return None
    match = _BRANCH_OF_VERSION_RE.match(version.strip())
    return int(match.group(1)) if match else None


def _apt_source(package: AptPackage) -> str:
    origin = (package.origin or "").lower()
    if origin and origin not in ("ubuntu", "debian", "canonical"):
        return "third-party"
    return "distro"


def _matches_a_gpu(package: AptPackage, gpu_modaliases: Sequence[str]) -> bool:
    if not package.modaliases:
        return True
    return any(
        modalias_matches(pattern, modalias)
        for pattern in package.modaliases
        for modalias in gpu_modaliases
    )


def _offer_from_apt(package: AptPackage) -> OfferedDriver | None:
    name = package.package
    source = _apt_source(package)
    ubuntu = _ubuntu_offer(name, source=source)
    if ubuntu is not None:
        return ubuntu
    debian = parse_debian_driver(name, branch_of_version(package.version))
    if debian is None or debian.branch is None:
        return None
    return OfferedDriver(name, debian.branch, debian.open, debian.server, source)


def from_apt(packages: Iterable[AptPackage], gpu_modaliases: Sequence[str]) -> list[OfferedDriver]:
    """Driver packages apt offers whose Modaliases match one of the GPUs."""
    offered: dict[str, OfferedDriver] = {}
    for package in packages:
        if package.package in offered:
            continue  # apt-cache show prints one stanza per available version
        offer = _offer_from_apt(package)
        if offer is None or not _matches_a_gpu(package, gpu_modaliases):
            continue
        offered[offer.package] = offer
    _drop_unpaired_open_modules(offered)
    return list(offered.values())


def _drop_unpaired_open_modules(offered: dict[str, OfferedDriver]) -> None:
    """Debian: the open modules are only a choice when they match nvidia-driver's branch."""
    open_modules = offered.get(DEBIAN_OPEN_MODULES)
    driver = offered.get(DEBIAN_DRIVER)
    if open_modules and (driver is None or driver.branch != open_modules.branch):
        del offered[DEBIAN_OPEN_MODULES]


def unrunnable_variants(
    offered: Sequence[OfferedDriver],
    packages: Iterable[AptPackage],
    gpus: Sequence[Gpu],
) -> list[OfferedDriver]:
    """The other variants of the offered branches that apt offers and these GPUs cannot run.

    `-open` on a Pascal card, `nvidia-driver-580` on a Blackwell card: apt has them (its
    Modaliases simply do not list the GPU), so the user may ask for them and deserves the
    reason, not silence. Runnable packages the sources left out stay out: ubuntu-drivers'
    choice of what fits is not second-guessed.
    """
    branches_offered = {o.branch for o in offered}
    known = {o.package: o for o in offered}
    found: dict[str, OfferedDriver] = {}
    for package in packages:
        if package.package in known or package.package in found:
            continue
        offer = _offer_from_apt(package)
        if offer is None or offer.branch not in branches_offered:
            continue
        if not_runnable_reason(offer, gpus) is not None:
            found[offer.package] = offer
    if DEBIAN_OPEN_MODULES in found:
        paired = {**known, **found}
        _drop_unpaired_open_modules(paired)
        if DEBIAN_OPEN_MODULES not in paired:
            del found[DEBIAN_OPEN_MODULES]
    return list(found.values())


def _header(package: AptPackage, name: str) -> str | None:
    wanted = name.lower()
    for key, value in package.extra.items():
        if key.lower() == wanted:
            return value.strip()
    return None


def closed_preferred_branches(packages: Iterable[AptPackage]) -> set[int]:
    """Branches whose driver package says `Prefer-Variant: Closed` (no open preference)."""
    found: set[int] = set()
    for package in packages:
        value = _header(package, "Prefer-Variant")
        parsed = parse_driver_package(package.package)
        if parsed and value and value.lower() == "closed":
            found.add(parsed.branch)
    return found


def transitional_target(package: AptPackage) -> str | None:
    """The driver an end-of-life transitional package really installs, or None."""
    own = parse_driver_package(package.package)
    if own is None:
        return None
    for clause in package.depends:
        for alternative in clause.split("|"):
            name = alternative.strip().split(" ", 1)[0].split(":", 1)[0]
            target = parse_driver_package(name)
            if target and target.branch != own.branch:
                return target.name
    return None


def not_runnable_reason(offer: OfferedDriver, gpus: Sequence[Gpu]) -> str | None:
    """Why one of these GPUs cannot run this driver, or None when all can."""
    for gpu in gpus:
        label = f"{gpu.name or gpu.device_id} ({gpu.architecture})"
        if offer.open and gpu.open_kernel == "unsupported":
            return (
                f"the open kernel modules need the GSP of Turing or newer; the {label} "
                "cannot run them"
            )
        if not offer.open and gpu.open_kernel == "required":
            return f"the {label} needs the open kernel modules (an -open variant)"
        arch = architecture(gpu.architecture)
        if arch and arch.last_branch and offer.branch > arch.last_branch:
            return f"{gpu.architecture} support ended with branch {arch.last_branch}"
        if arch and arch.first_branch and offer.branch < arch.first_branch:
            return f"{gpu.architecture} support begins with branch {arch.first_branch}"
    return None


def enrich(
    offer: OfferedDriver,
    gpus: Sequence[Gpu],
    apt_index: dict[str, AptPackage],
) -> DriverCandidate:
    """One candidate with support, end of life, CUDA and whether this machine can run it."""
    stanza = apt_index.get(offer.package)
    table = branches.branch(offer.branch)
    support = branches.normalize_support(stanza.support if stanza else None)
    if support is None and table is not None:
        support = table.designation
    reason = not_runnable_reason(offer, gpus)
    return DriverCandidate(
        package=offer.package,
        branch=offer.branch,
        open=offer.open,
        server=offer.server,
        recommended=False,
        source=offer.source,
        support=support,
        end_of_life=table.end_of_life if table else None,
        cuda=table.cuda if table else None,
        runnable=reason is None,
        reason=reason,
        ubuntu_drivers_recommended=offer.ubuntu_drivers_recommended,
        transitional_to=transitional_target(stanza) if stanza else None,
    )


def apt_index(packages: Iterable[AptPackage]) -> dict[str, AptPackage]:
    """Package name -> its first stanza (apt-cache show prints the candidate version first)."""
    index: dict[str, AptPackage] = {}
    for package in packages:
        index.setdefault(package.package, package)
    return index


def _order(candidate: DriverCandidate) -> tuple:
    return (-candidate.branch, candidate.server, candidate.open, candidate.package)


def build_candidates(
    gpus: Sequence[Gpu],
    *,
    ubuntu_drivers_devices: Sequence[UbuntuDriversDevice] = (),
    ubuntu_drivers_list: Sequence[str] = (),
    apt_packages: Sequence[AptPackage] = (),
    gpu_modaliases: Sequence[str] = (),
) -> list[DriverCandidate]:
    """Every driver candidate for these GPUs, newest branch first; empty without a GPU.

    Within a branch: plain, -open, -server, -server-open (Debian: by name). The variants the
    GPUs cannot run are among them, with `runnable=False` and the reason.
    """
    if not gpus:
        return []
    offered = from_ubuntu_drivers(ubuntu_drivers_devices)
    if not offered:
        offered = from_package_names(ubuntu_drivers_list)
    if not offered:
        offered = from_apt(apt_packages, gpu_modaliases)
    offered = offered + unrunnable_variants(offered, apt_packages, gpus)
    index = apt_index(apt_packages)
    return sorted((enrich(o, gpus, index) for o in offered), key=_order)
