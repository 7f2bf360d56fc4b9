"""Secure Boot and a DKMS-built module, fitted to a report: whether it is a demo machine (whose
simulator enrols no key), which driver's signed modules would load instead, and the words
(knowledge/secure_boot.py) for this machine."""

from __future__ import annotations

from nvwizard.knowledge import secure_boot as sb
from nvwizard.knowledge.packages import parse_driver_package
from nvwizard.report.lifecycle import SUPERSEDED, is_dead
from nvwizard.report.models import DriverCandidate, Report


def on_a_demo(report: Report) -> bool:
    return report.demo is not None


def signed_alternative(report: Report, like: str | None = None) -> DriverCandidate | None:
    """A driver this GPU can run whose Canonical-signed modules apt offers for the running
    kernel: supported branches first, then the variant of `like` (server or desktop), then
    the report's order. None when there is none (always on Debian)."""
    kernel = report.kernel
    available = set(report.signed_modules_available)
    wanted = parse_driver_package(like or report.recommended_driver or "")
    found = []
    for order, candidate in enumerate(report.driver_candidates):
        driver = parse_driver_package(candidate.package)
        if not (kernel and driver and candidate.runnable):
            continue
        if driver.signed_modules_for_kernel(kernel) in available:
            other_kind = wanted is not None and driver.server != wanted.server
            found.append((is_dead(candidate), other_kind, order, candidate))
    return min(found, key=lambda f: f[:3])[3] if found else None


def how_it_ended(candidate: DriverCandidate) -> str | None:
    """ "branch 570 ended 2026-02" for a dead branch; None while it is supported."""
    if not is_dead(candidate):
        return None
    if candidate.lifecycle == SUPERSEDED:
        return f"branch {candidate.branch} superseded by branch {candidate.superseded_by}"
    ended = f" {candidate.end_of_life}" if candidate.end_of_life else ""
    return f"branch {candidate.branch} ended{ended}"


def dkms_plan_warning(report: Report, driver: str | None = None, reboots: bool = False) -> str:
    """The plan's warning: Secure Boot is on and the module will be built by DKMS (`driver`:
    the plan's; `reboots`: the plan ends with a reboot). Blockers and the playbook's message
    are this text."""
    demo = on_a_demo(report)
    alternative = signed_alternative(report, driver) if demo else None
    if alternative is None:
        return sb.plan_warning(report.os_id, demo, None, reboots)
    return sb.plan_warning(
        report.os_id, demo, alternative.package, reboots, how_it_ended(alternative)
    )
