"""The recommendation for a report's facts: recommend.py's rule, given what Secure Boot
allows (the candidates whose Canonical-signed modules apt offers for the running kernel), the
distribution (Debian: the newest build first) and headless or desktop (the user's answer
before what detection saw)."""

from __future__ import annotations

from nvwizard.knowledge.packages import parse_driver_package
from nvwizard.report.models import DriverCandidate
from nvwizard.report.recommend import Recommendation, recommend


def with_signed_modules(
    candidates: list[DriverCandidate], signed_modules: list[str], kernel: str | None
) -> set[str]:
    """The candidates whose signed modules apt offers for the running kernel."""
    if not kernel:
        return set()
    available = set(signed_modules)
    found = set()
    for candidate in candidates:
        driver = parse_driver_package(candidate.package)
        if driver and driver.signed_modules_for_kernel(kernel) in available:
            found.add(candidate.package)
    return found


def recommendation(
    candidates: list[DriverCandidate],
    signed_modules: list[str],
    kernel: str | None,
    secure_boot: str,
    os_id: str | None,
    headless: tuple[bool | None, bool | None],
) -> Recommendation:
    """nvwizard's choice among `candidates`. `headless`: (detection's, the user's answer or
    None); the answer ranks when given, and the reason says it was asked for."""
    detected, answer = headless
    signed = with_signed_modules(candidates, signed_modules, kernel)
    return recommend(
        candidates,
        headless=detected if answer is None else answer,
        answered=answer is not None,
        signed=signed if secure_boot == "enabled" else None,
        newest_build_first=os_id == "debian",
    )
