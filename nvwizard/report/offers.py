"""What this machine could install: ubuntu-drivers' answers and apt's driver stanzas.

On a live machine these are the slow reads (`apt-cache show`: 0.2-0.8 s), so a report asks
for them only where there is an NVIDIA GPU or driver to choose for (`wants_offers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nvwizard.detect import apt_cache, ubuntu_drivers
from nvwizard.detect.models import AptPackage, DpkgEntry, UbuntuDriversDevice
from nvwizard.host.base import Host
from nvwizard.knowledge.debian import parse_debian_driver
from nvwizard.knowledge.packages import is_driver_package, parse_driver_package
from nvwizard.report.candidates import is_nvidia_device
from nvwizard.report.models import Gpu

# What this machine could install: read only when `wants_offers`.
OFFER_SOURCES = ("ubuntu-drivers-devices.txt", "ubuntu-drivers-list.txt", "apt-cache-show.txt")


@dataclass(frozen=True)
class Offers:
    """What this machine could install: ubuntu-drivers' answers and apt's driver stanzas."""

    ubuntu_drivers_devices: list[UbuntuDriversDevice] = field(default_factory=list)
    ubuntu_drivers_list: list[str] = field(default_factory=list)
    apt_packages: list[AptPackage] = field(default_factory=list)
    apt_listed: bool = False  # apt answered (a bundle may lack apt-cache-show.txt)


def wants_offers(gpus: list[Gpu], packages: list[DpkgEntry]) -> bool:
    """Whether to ask what this machine could install (OFFER_SOURCES): for its NVIDIA GPUs,
    or to judge an installed NVIDIA driver (where its packages come from). Without either
    there is nothing to choose among."""
    return bool(gpus) or any(
        is_driver_package(p.name) and p.state[1:2] not in ("", "n", "c") for p in packages
    )


def read_offers(host: Host) -> Offers:
    host.prefetch(OFFER_SOURCES)  # apt and ubuntu-drivers side by side
    listed = _parsed(host, "ubuntu-drivers-list.txt", ubuntu_drivers.parse_list, [])
    return Offers(
        _parsed(host, "ubuntu-drivers-devices.txt", ubuntu_drivers.parse_devices, []),
        [name for name, _ in listed],
        _parsed(host, "apt-cache-show.txt", apt_cache.parse_apt_cache_show, []),
        apt_listed=host.read("apt-cache-show.txt") is not None,
    )


def apt_drivers(offered: Offers) -> list[str] | None:
    """The driver packages apt offers, by the names `--driver` takes (Ubuntu's and Debian's);
    None where apt was not asked or did not answer."""
    if not offered.apt_listed:
        return None
    names = dict.fromkeys(p.package for p in offered.apt_packages)
    return [n for n in names if parse_driver_package(n) or parse_debian_driver(n)]


def driver_sources(
    ud_devices: list[UbuntuDriversDevice], ud_list: list[str], apt_packages: Sequence[object]
) -> list[str]:
    """Which driver sources were read at all (so "none offered" is told from "no data")."""
    found = []
    if any(is_nvidia_device(d) for d in ud_devices):
        found.append("ubuntu-drivers devices")
    if ud_list:
        found.append("ubuntu-drivers list")
    if apt_packages:
        found.append("apt")
    return found


def _parsed(host: Host, source: str, parser, default):
    text = host.read(source)
    return default if text is None else parser(text)
