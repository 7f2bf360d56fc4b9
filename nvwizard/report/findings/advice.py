"""Findings about the advice itself: dead branches, unknown branches, unknown headless."""

from __future__ import annotations

from nvwizard.knowledge import branches, cuda, debian
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
        fix = _no_supported_branch_fix(report, chosen.package if chosen else "the driver")
    return Finding("every-driver-past-end-of-life", "warn", message, fix)


def _nvidia_repository_words(report: Report) -> str:
    """NVIDIA's CUDA repository for this release carries NVIDIA's supported branches, as
    NVIDIA's own packages, which nvwizard does not install."""
    release = cuda.repository_release(report.os_id, report.os_version)
    where = f" for {release[0]}" if release else ""
    return (
        f"install a supported branch from NVIDIA's CUDA repository{where} (NVIDIA's own "
        "`cuda-drivers` packages, which nvwizard does not install: purge the distribution's "
        "driver first, one source per host)"
    )


def _no_supported_branch_fix(report: Report, chosen: str) -> str:
    """What to do when the archive offers only dead branches, as true for this distribution;
    on a demo, what only a person at a real machine does is said as that."""
    keep = f"keep {chosen} (it works, without NVIDIA's fixes)"
    if report.os_id == "debian":
        offered = sorted({c.branch for c in report.driver_candidates if c.runnable}, reverse=True)
        known = debian.release(report.os_version)
        name = f"Debian {known.codename}" if known else "This Debian release"
        options = by_hand(
            report,
            f"The options: {keep}, updating the package lists (`sudo apt-get update`) now and "
            f"then to see whether Debian moved it; or {_nvidia_repository_words(report)}.",
        )
        return (
            f"{name} offers only branches past NVIDIA's end of life "
            f"({', '.join(map(str, offered))}){_newer_debian_words(report)}. Debian's updates "
            "ship what NVIDIA releases: nothing more for a branch past its end of life; a newer "
            f"branch comes only if Debian moves the release's driver to one. {options}"
        )
    if report.os_id == "ubuntu":
        return "Ubuntu adds new branches to the releases it supports. " + by_hand(
            report,
            "Update the package lists (`sudo apt-get update`) and detect again. If none comes, "
            f"a newer Ubuntu release offers newer branches; or {_nvidia_repository_words(report)}"
            f"; or {keep}.",
        )
    return by_hand(
        report,
        "Update the package lists (`sudo apt-get update`) and detect again; if no supported "
        f"branch comes, {_nvidia_repository_words(report)}, or {keep}.",
    )


def _newer_debian_words(report: Report) -> str:
    """ ", and so does trixie, the newest Debian release (550, 535)": whether a newer Debian
    release offers a supported branch (knowledge/debian.py's table, on the report's day)."""
    current = debian.release(report.os_version)
    if current is None or report.today is None:
        return ""
    today = report.today
    newer = sorted(
        (r for r in debian.RELEASES.values() if int(r.version) > int(current.version)),
        key=lambda r: int(r.version),
    )
    if not newer:
        return ", and it is the newest Debian release"
    for release in newer:
        ends = {b: branches.end_of_life(b) for _, b in release.drivers}
        live = sorted(b for b, end in ends.items() if not branches.is_end_of_life(end, today))
        if live:
            return (
                f"; Debian {release.version} ({release.codename}) offers branch "
                f"{', '.join(map(str, live))}, which NVIDIA supports"
            )
    last = newer[-1]
    offered = sorted({b for _, b in last.drivers}, reverse=True)
    return (
        f", and so does {last.codename}, the newest Debian release "
        f"({', '.join(map(str, offered))}): moving to it does not help"
    )


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
        facts.words.desktop_fix,
    )
