"""The installed driver as dpkg shows it, for verify's checks: the packages present, the driver
flavour they carry ("580-server-open"; Debian's "tesla-535"), whether the kernel module should be
open or proprietary and why, and the user-space driver's version per package (what nvidia-smi
and CUDA load, which the loaded module must equal).

Read from the host's dpkg sources (`dpkg-query.txt`, else `dpkg-l.txt`); the rest are pure
functions over those entries.
"""

from __future__ import annotations

from nvwizard.detect.dpkg import parse_dpkg_l, parse_dpkg_query
from nvwizard.detect.models import DpkgEntry
from nvwizard.host.base import Host
from nvwizard.knowledge import debian
from nvwizard.knowledge.debian import is_user_space_version_package, kernel_dkms_flavour
from nvwizard.knowledge.packages import parse_driver_package
from nvwizard.report.findings import upstream_version

# The packages whose version is the user-space driver's (what nvidia-smi and CUDA load).
LIBRARY_PREFIXES = ("libnvidia-compute-", "nvidia-utils-")
# Names that carry the driver flavour after the prefix.
FLAVOUR_PREFIXES = (
    "nvidia-driver-",
    "nvidia-headless-no-dkms-",
    "nvidia-headless-",
    "nvidia-dkms-",
)


def is_present(entry: DpkgEntry) -> bool:
    return entry.state in ("ii", "hi")


def package_list(host: Host) -> list[DpkgEntry] | None:
    """Every dpkg entry; None where the host shows no package list (a bundle without one)."""
    text = host.read("dpkg-query.txt")
    if text:
        return parse_dpkg_query(text)
    text = host.read("dpkg-l.txt")
    return parse_dpkg_l(text) if text else None


def all_packages(host: Host) -> list[DpkgEntry]:
    return package_list(host) or []


def installed_flavour(packages: list[DpkgEntry]) -> str | None:
    """The driver flavour the installed packages carry: "580-server-open"."""
    for prefix in FLAVOUR_PREFIXES:
        for entry in packages:
            if is_present(entry) and entry.name.startswith(prefix):
                driver = parse_driver_package("nvidia-driver-" + entry.name.removeprefix(prefix))
                if driver is not None:
                    return driver.flavour
    return None


def installed_debian_flavour(packages: list[DpkgEntry]) -> str | None:
    """Debian's flavour of the installed driver ("tesla-535", "550-open"), for the hints."""
    versions = library_versions(packages).values()
    branch = next((int(v.split(".")[0]) for v in versions if v.split(".")[0].isdigit()), None)
    return debian.installed_flavour((e.name for e in packages if is_present(e)), branch)


def is_open_flavour(flavour: str) -> bool:
    return flavour == "open" or flavour.endswith("-open")


def expected_module_flavour(
    flavour: str | None, chosen: bool, packages: list[DpkgEntry]
) -> tuple[str | None, str]:
    """("open" | "proprietary" | None, where that expectation comes from)."""
    if flavour:
        kind = "open" if is_open_flavour(flavour) else "proprietary"
        return kind, (f"chosen: {flavour}" if chosen else f"the installed {flavour} packages")
    for entry in packages:
        if is_present(entry) and kernel_dkms_flavour(entry.name):
            return kernel_dkms_flavour(entry.name), f"the installed {entry.name}"
    return None, ""


def library_versions(packages: list[DpkgEntry]) -> dict[str, str]:
    versions = {}
    for entry in packages:
        if is_present(entry) and (
            entry.name.startswith(LIBRARY_PREFIXES) or is_user_space_version_package(entry.name)
        ):
            version = upstream_version(entry.version)
            if version:
                versions[entry.name] = version
    return versions
