"""Driver candidates: the NVIDIA driver packages this machine could install.

Where they come from, best first:
1. `ubuntu-drivers devices`: the drivers it lists for NVIDIA devices (never nouveau or other
   vendors' packages), with its third-party/distro source and its `recommended` mark.
2. `ubuntu-drivers list`, when only that was captured.
3. apt itself, where ubuntu-drivers is missing (minimal and cloud images, Debian): the
   `apt-cache show` stanzas of driver packages whose `Modaliases:` header matches a GPU.
   A stanza without a Modaliases header cannot be ruled out and is offered; the runnable
   check below still guards it.

Ubuntu's names before 18.04 (`nvidia-340`, `nvidia-384-updates`, `nvidia-current`) count too,
with their branch (ubuntu-drivers parses them as `nvidia-NNN`): proprietary desktop drivers.
A name a source lists that nvwizard cannot read is reported (`not_understood`), not dropped.

Debian names its packages differently and has no `-open`/`-server` package suffixes:
- `nvidia-driver` (the current branch, desktop build) -> branch from its version, plain;
- `nvidia-tesla-<br>-driver` and `nvidia-tesla-driver` (NVIDIA's data-center branches; the
  unnumbered one's branch from its version) -> counted as `server`;
- `nvidia-legacy-<br>xx-driver` -> plain, for old GPUs (knowledge/debian.py reads the names);
- a transitional package (bookworm's `nvidia-tesla-driver` depends on `nvidia-driver`) -> none;
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

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nvwizard.detect.apt_cache import modalias_matches
from nvwizard.detect.models import AptPackage, UbuntuDriversDevice
from nvwizard.knowledge import branches, debian
from nvwizard.knowledge.architectures import architecture
from nvwizard.knowledge.debian import is_transitional, parse_debian_driver
from nvwizard.knowledge.packages import (
    branch_of_version,
    parse_driver_package,
    parse_legacy_driver,
)
from nvwizard.report.lifecycle import with_lifecycle
from nvwizard.report.models import DriverCandidate, Gpu

NVIDIA_VENDOR_MODALIAS = "pci:v000010de"

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
    legacy_name: bool = False  # nvidia-340, nvidia-384-updates, nvidia-current
    listed: bool = True  # False: a variant apt has that the source left out (impossible here)


def is_nvidia_device(device: UbuntuDriversDevice) -> bool:
    if device.modalias and device.modalias.lower().startswith(NVIDIA_VENDOR_MODALIAS):
        return True
    return bool(device.vendor and "nvidia" in device.vendor.lower())


def _ubuntu_offer(package: str, version: str | None = None, **extra) -> OfferedDriver | None:
    parsed = parse_driver_package(package)
    if parsed is not None:
        return OfferedDriver(parsed.name, parsed.branch, parsed.open, parsed.server, **extra)
    legacy = parse_legacy_driver(package, version)
    if legacy is not None:
        return OfferedDriver(legacy.name, legacy.branch, False, False, legacy_name=True, **extra)
    return None


def from_ubuntu_drivers(
    devices: Iterable[UbuntuDriversDevice], versions: dict[str, str] | None = None
) -> list[OfferedDriver]:
    """The NVIDIA driver packages `ubuntu-drivers devices` lists, once each.

    `versions`: apt's version of each package where known (nvidia-current's branch).
    """
    versions = versions or {}
    offered: dict[str, OfferedDriver] = {}
    for device in devices:
        if not is_nvidia_device(device):
            continue
        for driver in device.drivers:
            offer = _ubuntu_offer(
                driver.package,
                versions.get(driver.package),
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


def from_package_names(
    names: Iterable[str], versions: dict[str, str] | None = None
) -> list[OfferedDriver]:
    """Driver packages from a bare list of names (`ubuntu-drivers list`)."""
    versions = versions or {}
    offered: dict[str, OfferedDriver] = {}
    for name in names:
        offer = _ubuntu_offer(name, versions.get(name))
        if offer is not None:
            offered.setdefault(offer.package, offer)
    return list(offered.values())


# Packages ubuntu-drivers lists for NVIDIA devices that are no NVIDIA driver choice.
_NOT_DRIVERS = ("xserver-xorg-video-nouveau",)


def not_understood(
    devices: Iterable[UbuntuDriversDevice],
    names: Iterable[str] = (),
    versions: dict[str, str] | None = None,
) -> list[str]:
    """Names ubuntu-drivers listed for NVIDIA devices that nvwizard cannot read as a driver."""
    listed = [d.package for dev in devices if is_nvidia_device(dev) for d in dev.drivers]
    found = []
    for name in [*listed, *names]:
        if name in _NOT_DRIVERS or name in found:
            continue
        if _ubuntu_offer(name, (versions or {}).get(name)) is None:
            found.append(name)
    return found


def _apt_source(package: AptPackage) -> str:
    origin = (package.origin or "").lower()
    if origin and origin not in ("ubuntu", "debian", "canonical"):
        return "third-party"
    return "distro"


def _matches_a_gpu(package: AptPackage, gpu_modaliases: Sequence[str]) -> bool:
    # No header, or GPUs known only by name (plain lspci): nothing rules the package out.
    if not package.modaliases or not gpu_modaliases:
        return True
    return any(
        modalias_matches(pattern, modalias)
        for pattern in package.modaliases
        for modalias in gpu_modaliases
    )


def _offer_from_apt(package: AptPackage) -> OfferedDriver | None:
    name = package.package
    source = _apt_source(package)
    ubuntu = _ubuntu_offer(name, package.version, source=source)
    if ubuntu is not None:
        return ubuntu
    debian = parse_debian_driver(name, branch_of_version(package.version))
    if debian is None or debian.branch is None or is_transitional(package):
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
            found[offer.package] = OfferedDriver(
                offer.package, offer.branch, offer.open, offer.server, offer.source, listed=False
            )
    if DEBIAN_OPEN_MODULES in found:
        paired = {**known, **found}
        _drop_unpaired_open_modules(paired)
        if DEBIAN_OPEN_MODULES not in paired:
            del found[DEBIAN_OPEN_MODULES]
    return list(found.values())


def _header(package: AptPackage, name: str) -> str | None:
    """An apt header by name, case-insensitively; None when the stanza has none."""
    wanted = name.lower()
    for key, value in package.extra.items():
        if key.lower() == wanted:
            return value.strip()
    return None


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
        if gpu.last_branch and offer.branch > gpu.last_branch:
            return f"{gpu.architecture} support ended with branch {gpu.last_branch}"
        if gpu.first_branch and offer.branch < gpu.first_branch:
            arch = architecture(gpu.architecture)
            if arch and arch.first_branch == gpu.first_branch:
                return f"{gpu.architecture} support begins with branch {gpu.first_branch}"
            return f"the {label} needs branch {gpu.first_branch} or newer"
    return None


def enrich(
    offer: OfferedDriver,
    gpus: Sequence[Gpu],
    apt_index: dict[str, AptPackage],
) -> DriverCandidate:
    """One candidate with support, end of life, CUDA and whether this machine can run it."""
    stanza = apt_index.get(offer.package)
    table = branches.branch(offer.branch)
    header = stanza.support.strip() if stanza and stanza.support else None
    support = branches.normalize_support(header)
    if support is None and table is not None:
        support = table.designation
    reason = not_runnable_reason(offer, gpus)
    target = transitional_target(stanza) if stanza else None
    if reason is None and target is not None:
        # Ubuntu turned nvidia-driver-470 into a transitional package to 535 in 2026, which no
        # Kepler GPU can run (linuxmint/mintdrivers issue 111): judge what really installs.
        installed = _ubuntu_offer(target)
        why = not_runnable_reason(installed, gpus) if installed else None
        if why is not None:
            reason = f"it is a transitional package that installs {target}, and {why}"
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
        transitional_to=target,
        support_header=header,
        prefer_variant=_header(stanza, "Prefer-Variant") if stanza else None,
        apt_headers=stanza is not None,
        listed=offer.listed,
        legacy_name=offer.legacy_name,
        version=stanza.version if stanza else None,
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
    today: dt.date,
) -> list[DriverCandidate]:
    """Every driver candidate for these GPUs, newest branch first; empty without a GPU.

    Within a branch: plain, -open, -server, -server-open (Debian: by name). The variants the
    GPUs cannot run are among them, with `runnable=False` and the reason. Each carries its
    lifecycle on `today` (report/lifecycle.py).
    """
    if not gpus:
        return []
    index = apt_index(apt_packages)
    versions = {name: p.version for name, p in index.items() if p.version}
    offered = from_ubuntu_drivers(ubuntu_drivers_devices, versions)
    if not offered:
        offered = from_package_names(ubuntu_drivers_list, versions)
    if not offered:
        offered = from_apt(apt_packages, gpu_modaliases)
    offered = offered + unrunnable_variants(offered, apt_packages, gpus)
    candidates = sorted((enrich(o, gpus, index) for o in offered), key=_order)
    return with_lifecycle(candidates, today)
