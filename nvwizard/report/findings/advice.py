"""Findings about the advice itself: dead branches, unknown branches, unknown headless."""

from __future__ import annotations

from nvwizard.knowledge import branches
from nvwizard.knowledge.architectures import architecture
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings.common import by_hand
from nvwizard.report.lifecycle import is_dead, is_newer_than_known
from nvwizard.report.models import Finding, Report


def every_driver_past_end_of_life(report: Report, facts: ExtraFacts) -> Finding | None:
    runnable = [c for c in report.driver_candidates if c.runnable]
    if not runnable or not all(is_dead(c) for c in runnable):
        return None
    chosen = report.candidate(report.recommended_driver or "")
    newest = max(runnable, key=lambda c: c.branch)
    message = (
        f"Every driver offered for this GPU is past its end of life (the newest offered is "
        f"branch {newest.branch}); NVIDIA fixes no bugs or security issues in them."
    )
    legacy = [
        (g, arch)
        for g in report.gpus
        if (arch := architecture(g.architecture))
        and arch.last_branch
        and report.today is not None
        and branches.is_end_of_life(branches.end_of_life(arch.last_branch), report.today)
    ]
    if legacy:
        gpu, arch = legacy[0]
        fix = (
            f"NVIDIA's support for {arch.name} GPUs ended with branch {arch.last_branch}; "
            f"{chosen.package if chosen else 'the driver'} still works, without fixes. Plan "
            "to replace the GPU on a machine that must stay patched."
        )
    else:
        fix = by_hand(
            report,
            "Update the package lists (`sudo apt-get update`) or move to a newer release: a "
            "supported branch should then be offered.",
        )
    return Finding("every-driver-past-end-of-life", "warn", message, fix)


def newer_than_known(report: Report, facts: ExtraFacts) -> Finding | None:
    newer = sorted({c.branch for c in report.driver_candidates if is_newer_than_known(c)})
    if not newer:
        return None
    clauses = [_newer_branch_words(report, number) for number in newer]
    return Finding(
        "newer-than-known",
        "info",
        f"Branch {', '.join(map(str, newer))} is newer than nvwizard's tables (up to "
        f"{branches.NEWEST_KNOWN}): {'; '.join(clauses)}. Its end of life and CUDA version "
        "are unknown.",
        "Nothing to do; a newer nvwizard knows it.",
    )


def _newer_branch_words(report: Report, number: int) -> str:
    """Where the support of a branch newer than the tables comes from: only what is present."""
    offered = [c for c in report.driver_candidates if c.branch == number]
    headers = sorted({c.support for c in offered if c.support_header and c.support})
    marked = any(c.ubuntu_drivers_recommended for c in offered)
    evidence = [f"apt's Support: {'/'.join(headers)} header"] if headers else []
    if marked:
        evidence.append("ubuntu-drivers' recommended mark")
    if evidence:
        return f"branch {number}'s support comes from {' and '.join(evidence)}"
    return (
        f"branch {number} has no Support header and no ubuntu-drivers mark, so it counts as "
        "undesignated: current until a newer production or long-term branch ships"
    )


def headless_unknown(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.gpus or not report.assumes_headless:
        return None
    return Finding(
        "headless-unknown",
        "info",
        "Nothing shows whether this machine runs a desktop (no session scan, no display "
        "manager or desktop package seen): nvwizard assumed a headless server.",
        "Plan with --desktop (in the wizard: untick Headless on Select) if it has a desktop.",
    )
