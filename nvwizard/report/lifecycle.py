"""Whether NVIDIA still supports a candidate's branch on a given day.

- `supported`: a production (PB), long-term (LTSB) or legacy branch before its end of life;
  also a branch newer than nvwizard's table whose apt `Support:` header says PB or LTSB, or
  that ubuntu-drivers marked recommended (trusted: nothing newer is known to contradict it).
- `current`: a new feature branch (NFB) or a branch with no designation, while no newer PB or
  LTSB branch exists: usable, but short-lived.
- `superseded`: such a branch once a newer PB or LTSB branch is offered here or has been
  released (NVIDIA gives NFBs no end-of-life date: they end when the next branch ships).
- `ended`: past its published end of life.
`superseded` and `ended` are "dead": nvwizard never recommends them while anything else runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from nvwizard.knowledge import branches
from nvwizard.report.models import DriverCandidate

SUPPORTED = "supported"
CURRENT = "current"
SUPERSEDED = "superseded"
ENDED = "ended"
DEAD = (SUPERSEDED, ENDED)


def is_newer_than_known(candidate: DriverCandidate) -> bool:
    return candidate.branch > branches.NEWEST_KNOWN


def _long_lived(candidate: DriverCandidate) -> bool:
    if candidate.support in branches.LONG_LIVED or candidate.support == branches.LEGACY:
        return True
    return is_newer_than_known(candidate) and candidate.ubuntu_drivers_recommended


def lifecycle(
    candidate: DriverCandidate, offered: Sequence[DriverCandidate], today: dt.date
) -> tuple[str, int | None]:
    """(status, the branch that superseded it or None) for one candidate among those offered."""
    if branches.is_end_of_life(candidate.end_of_life, today):
        return ENDED, None
    if _long_lived(candidate):
        return SUPPORTED, None
    newer_offered = sorted(
        c.branch
        for c in offered
        if c.runnable and c.branch > candidate.branch and c.support in branches.LONG_LIVED
    )
    if newer_offered:
        return SUPERSEDED, newer_offered[0]
    released = branches.newer_long_lived_release(candidate.branch, today)
    if released is not None:
        return SUPERSEDED, released.number
    return CURRENT, None


def with_lifecycle(candidates: Sequence[DriverCandidate], today: dt.date) -> list[DriverCandidate]:
    """The candidates with `lifecycle` and `superseded_by` filled in for `today`."""
    result = []
    for candidate in candidates:
        status, newer = lifecycle(candidate, candidates, today)
        result.append(replace(candidate, lifecycle=status, superseded_by=newer))
    return result


def is_dead(candidate: DriverCandidate) -> bool:
    return candidate.lifecycle in DEAD


def end_of_life_cell(candidate: DriverCandidate) -> str:
    """The EOL column of `detect`'s table and the wizard's Select table: the date, and the
    lifecycle where the branch is dead (as `--json`'s `lifecycle` says), so a past date never
    reads as current: "2028-06", "ended 2026-08", "superseded", "-"."""
    date = candidate.end_of_life
    if candidate.lifecycle == ENDED:
        return f"ended {date}" if date else ENDED
    if candidate.lifecycle == SUPERSEDED:
        return SUPERSEDED
    return date or "-"


def lifecycle_words(candidate: DriverCandidate) -> str:
    """ "branch 595 is a production branch (PB), supported until 2027-03" and the like."""
    words = f"branch {candidate.branch}"
    if candidate.support:
        name = branches.DESIGNATION_NAMES.get(candidate.support, candidate.support)
        words += f" is a {name} ({candidate.support})"
    else:
        words += " has no published designation"
    if candidate.lifecycle == ENDED:
        return words + f", past its end of life ({candidate.end_of_life})"
    if candidate.lifecycle == SUPERSEDED:
        return words + (
            f", superseded by branch {candidate.superseded_by} (an NFB or undesignated branch "
            "ends when a newer production or long-term branch ships)"
        )
    if candidate.lifecycle == CURRENT:
        return words + ", current until a newer production or long-term branch ships"
    if candidate.end_of_life:
        return words + f", supported until {candidate.end_of_life}"
    if is_newer_than_known(candidate):
        return words + ", newer than nvwizard's tables (trusted from apt and ubuntu-drivers)"
    return words
