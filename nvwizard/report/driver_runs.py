"""Whether a driver already runs on the machine: the one rule that the over-SSH and
reboot-required findings (report/findings/system.py: no reboot ahead, or none left to wait for)
and the plans that keep the driver (plan/nothing_to_do.py, plan/keep_driver.py) all ask.

A careful administrator calls a driver running only when everything a reboot would settle is
settled: its module is loaded in the driver's branch and flavour, the installed NVIDIA
libraries (and the driver's own package, when installed) are of the loaded version, nvidia-smi
does not report a mismatch, nouveau is gone, and nothing waits for dpkg or for a reboot the
driver may need (one pending only for a kernel update does not count, nor one the NVIDIA
packages asked for once the loaded module is theirs: a load without a reboot settled it).
"""

from __future__ import annotations

from nvwizard.detect.debversion import really_upstream
from nvwizard.detect.models import DpkgEntry
from nvwizard.knowledge.debian import is_user_space_version_package
from nvwizard.knowledge.packages import (
    branch_of_version,
    is_nvidia_related,
    parse_driver_package,
)
from nvwizard.report.models import Report


def present(entry: DpkgEntry) -> bool:
    """Files of the package are on disk (installed, unpacked or half-configured)."""
    return len(entry.state) >= 2 and entry.state[1] not in "nc"


def upstream_version(version: str | None) -> str | None:
    """ "1:550.163.01-0ubuntu0.22.04.1" -> "550.163.01"; "440.82+really.440.64-0ubuntu6" ->
    "440.64", the release it really carries (what its module and nvidia-smi report)."""
    if not version:
        return None
    return really_upstream(version.split(":", 1)[-1].split("-", 1)[0].strip()) or None


def installed_library_versions(report: Report) -> set[str]:
    """The upstream versions of the installed NVIDIA user-space packages (Ubuntu's
    libnvidia-compute-*/nvidia-utils-*; Debian's libcuda1, nvidia-smi, ...)."""
    versions = set()
    for entry in report.installed_packages:
        user_space = entry.name.startswith(("libnvidia-compute-", "nvidia-utils-"))
        if (user_space or is_user_space_version_package(entry.name)) and present(entry):
            upstream = upstream_version(entry.version)
            if upstream:
                versions.add(upstream)
    return versions


def _branch_and_open(report: Report, driver: str) -> tuple[int, bool] | None:
    candidate = report.candidate(driver)
    if candidate is not None:
        return candidate.branch, candidate.open
    parsed = parse_driver_package(driver)
    return (parsed.branch, parsed.open) if parsed is not None else None


def reboot_pending_for_driver(report: Report) -> bool:
    """A pending reboot the driver may wait for: one an NVIDIA package asked for while the
    loaded driver is not yet the installed one, or one whose cause is not known. One only for
    other packages (the kernel unattended-upgrades installed) leaves the running driver as it
    is: reinstalling the driver would not change that reboot. Nor does one the NVIDIA packages
    asked for once their driver is loaded (`nvwizard activate` loads it without the reboot,
    which leaves /var/run/reboot-required and its .pkgs behind)."""
    waits_for = reboot_still_waits_for(report)
    return waits_for is None or any(is_nvidia_related(name) for name in waits_for)


def reboot_still_waits_for(report: Report) -> list[str] | None:
    """What a pending reboot still has to settle: the packages reboot-required.pkgs names (or
    the newer linux-image), less the NVIDIA ones once the loaded module is the installed
    driver's (a load without a reboot settled them). []: no reboot pending, or nothing left for
    it; None: one is pending and what asked for it is not known, so all of it may be."""
    if not report.reboot_required:
        return []
    causes = report.reboot_required_for
    if not causes:
        return None
    if not _installed_driver_loaded(report):
        return list(causes)
    return [name for name in causes if not is_nvidia_related(name)]


def _installed_driver_loaded(report: Report) -> bool:
    """The loaded module is the installed driver's: the installed NVIDIA libraries and driver
    packages are of its version and nvidia-smi reports no mismatch, so the reboot the NVIDIA
    packages asked for has nothing left to load."""
    loaded = report.loaded_module
    if loaded is None or loaded.version is None or report.nouveau_loaded:
        return False
    libraries = installed_library_versions(report)
    if libraries != {loaded.version}:
        return False
    smi = report.nvidia_smi
    if smi is not None and (
        smi.status == "version-mismatch" or smi.driver_version not in (None, loaded.version)
    ):
        return False
    drivers = [e for e in report.installed_packages if parse_driver_package(e.name) and present(e)]
    return all(upstream_version(e.version) == loaded.version for e in drivers)


def planned_driver_runs(report: Report, driver: str | None) -> bool:
    """The driver package `driver` (nvidia-driver-580-server, nvidia-tesla-535-driver) runs:
    see the module's docstring. False for None or a name that is no driver."""
    wanted = _branch_and_open(report, driver) if driver else None
    loaded = report.loaded_module
    if wanted is None or loaded is None or loaded.version is None:
        return False
    if reboot_pending_for_driver(report) or report.nouveau_loaded:
        return False
    if report.dpkg_interrupted or report.needs_dpkg_repair:
        return False
    branch, open_modules = wanted
    if branch_of_version(loaded.version) != branch:
        return False
    if loaded.flavor not in (None, "open" if open_modules else "proprietary"):
        return False
    smi = report.nvidia_smi
    if smi is not None and (
        smi.status == "version-mismatch" or smi.driver_version not in (None, loaded.version)
    ):
        return False
    if installed_library_versions(report) - {loaded.version}:
        return False  # libraries of another version: NVML's mismatch until a reboot
    own = next((e for e in report.installed_packages if e.name == driver and present(e)), None)
    return own is None or upstream_version(own.version) == loaded.version
