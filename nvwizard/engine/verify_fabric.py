"""verify on an NVSwitch board (HGX): fabric manager, without which CUDA cannot use the GPUs.

The `fabric-manager` check, only where the report counts NVSwitches: `nvidia-fabricmanager`
and `libnvidia-nscq` installed at exactly the installed driver's version (DOMAIN.md; Ubuntu
names them `-<branch>`, NVIDIA's repository from 590 without the branch), the loaded module at
that version too, and `nvidia-fabricmanager.service` active (gpu-services.txt, as `systemctl`
answers; without it, the daemon among the processes holding /dev/nvidia*).
"""

from __future__ import annotations

import re
import shlex
from functools import cmp_to_key

from nvwizard.detect.debversion import compare_versions
from nvwizard.detect.models import DpkgEntry
from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify_facts import is_present, library_versions
from nvwizard.engine.verify_fixes import Fixes
from nvwizard.host.base import Host
from nvwizard.report.findings import upstream_version
from nvwizard.report.gpu_services import gpu_service_states
from nvwizard.report.models import Report

CHECK = "fabric-manager"
UNIT = "nvidia-fabricmanager.service"
_FABRIC_MANAGER = re.compile(r"^nvidia-fabricmanager(?:-\d{3})?$")
_NSCQ = re.compile(r"^libnvidia-nscq(?:-\d{3})?$")


def fabric_manager_checks(
    host: Host, report: Report, packages: list[DpkgEntry], fixes: Fixes
) -> list[VerifyCheck]:
    """[the fabric-manager check] on an NVSwitch board; [] elsewhere."""
    if not report.nvswitch_count:
        return []
    known = host.read("gpu-services.txt") is not None or host.read("gpu-processes.txt") is not None
    states = gpu_service_states(host, {p.name for p in report.gpu_processes}) if known else None
    active = (
        None if states is None else any(u.name == UNIT and u.active == "active" for u in states)
    )
    return [check_fabric_manager(report, packages, active, fixes)]


def _driver_version(report: Report, packages: list[DpkgEntry]) -> str | None:
    """The installed driver's version: the loaded module's where the libraries agree with it,
    else the newest the libraries carry."""
    versions = set(library_versions(packages).values())
    loaded = report.loaded_module.version if report.loaded_module else None
    if loaded in versions:
        return loaded
    return max(versions, key=cmp_to_key(compare_versions), default=None)


def _installed(packages: list[DpkgEntry], pattern: re.Pattern[str]) -> DpkgEntry | None:
    return next((e for e in packages if is_present(e) and pattern.match(e.name)), None)


def check_fabric_manager(
    report: Report, packages: list[DpkgEntry], active: bool | None, fixes: Fixes
) -> VerifyCheck:
    """`active`: whether nvidia-fabricmanager.service runs (None: nothing says)."""
    driver = _driver_version(report, packages)
    needs = f"this NVSwitch board ({report.nvswitch_count} NVSwitches) needs fabric manager"
    if driver is None:
        return VerifyCheck(
            CHECK, False, f"{needs}, and no driver is installed", fixes.install_first
        )
    branch = driver.split(".", 1)[0]
    wanted = [f"nvidia-fabricmanager-{branch}", f"libnvidia-nscq-{branch}"]
    install = f"`{shlex.join(['sudo', 'apt-get', 'install', *wanted])}`"
    restart = "`sudo systemctl enable --now nvidia-fabricmanager`"
    manager, nscq = _installed(packages, _FABRIC_MANAGER), _installed(packages, _NSCQ)
    for name, entry in (("nvidia-fabricmanager", manager), ("libnvidia-nscq", nscq)):
        if entry is None:
            return VerifyCheck(
                CHECK,
                False,
                f"{name} is not installed: {needs} (CUDA cannot use the GPUs without it)",
                fixes.by_hand(f"{install}, then {restart}."),
            )
        version = upstream_version(entry.version)
        if version != driver:
            return VerifyCheck(
                CHECK,
                False,
                f"{entry.name} {version} is installed, but the driver is {driver}: fabric "
                "manager and NSCQ work only at the driver's exact version",
                fixes.by_hand(f"{install} (apt replaces the other version), then {restart}."),
            )
    assert manager is not None
    loaded = report.loaded_module.version if report.loaded_module else None
    if loaded is not None and loaded != driver:
        return VerifyCheck(
            CHECK,
            False,
            f"{manager.name} {driver} is installed, but module {loaded} is loaded: fabric "
            "manager starts only at the loaded driver's version",
            fixes.reboot,
        )
    if active is None:
        return VerifyCheck(
            CHECK,
            False,
            f"{manager.name} {driver} is installed; nothing says whether {UNIT} runs",
            fixes.by_hand("Run `systemctl status nvidia-fabricmanager`: it must be active."),
        )
    if not active:
        journal = "`sudo journalctl -u nvidia-fabricmanager`"
        return VerifyCheck(
            CHECK,
            False,
            f"{UNIT} is not running: CUDA cannot use the GPUs on this NVSwitch board",
            fixes.by_hand(f"{restart}; if it fails, read {journal}."),
        )
    nscq_name = nscq.name if nscq is not None else "NSCQ"
    return VerifyCheck(
        CHECK, True, f"{manager.name} runs at the driver's version {driver} ({nscq_name} too)"
    )
