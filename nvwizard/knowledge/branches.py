"""NVIDIA driver branches: support designation, end of life and the highest CUDA each supports.

Designations: PB (production branch), LTSB (long-term support branch), NFB (new feature
branch). apt's `Support:` package header, when present, wins over this table (DOMAIN.md: the
host's apt cache is the truth); this table fills in where apt is silent.

Sources:
- [domain] shared/DOMAIN.md "Variants, explained correctly": data-center branch designations
  and end-of-life dates, and the highest CUDA version per branch.
- [cuda-notes] CUDA Toolkit release notes, table "CUDA Toolkit and Corresponding Driver
  Versions": the CUDA versions of the 11.x-era branches that DOMAIN.md does not list.
- [lifecycle] NVIDIA data-center driver documentation: a PB gets fixes for up to one year, an
  LTSB for three. The end of life of the old branches (450-525, which Debian still ships) is
  that span from the branch's first data-center release (e.g. R525: 2022-11 + 1 year).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PB = "PB"
LTSB = "LTSB"
NFB = "NFB"

DESIGNATION_NAMES = {
    PB: "production branch",
    LTSB: "long-term support branch",
    NFB: "new feature branch",
}


@dataclass(frozen=True)
class Branch:
    number: int  # 580
    designation: str | None  # PB, LTSB, NFB, or None when no source says
    end_of_life: str | None  # "2028-06", or None when no source says
    cuda: str | None  # highest CUDA version the branch supports, "13.0"
    source: str


BRANCHES: tuple[Branch, ...] = (
    Branch(450, LTSB, "2023-07", "11.0", "domain (LTSB); cuda-notes (11.0); lifecycle"),
    Branch(460, PB, "2022-01", "11.2", "domain (PB); cuda-notes (11.2); lifecycle"),
    Branch(465, NFB, None, "11.3", "domain (NFB); cuda-notes (11.3)"),
    Branch(470, LTSB, "2024-07", "11.4", "domain; lifecycle"),
    Branch(495, NFB, None, "11.5", "domain (NFB); cuda-notes (11.5)"),
    Branch(510, PB, "2023-01", "11.6", "domain (PB); cuda-notes (11.6); lifecycle"),
    Branch(515, PB, "2023-05", "11.7", "domain (PB); cuda-notes (11.7); lifecycle"),
    Branch(520, NFB, None, "11.8", "domain (NFB); cuda-notes (11.8)"),
    Branch(525, PB, "2023-11", "12.0", "domain; lifecycle"),
    Branch(530, None, None, "12.1", "domain"),
    Branch(535, LTSB, "2026-06", "12.2", "domain"),
    Branch(545, None, None, "12.3", "domain"),
    Branch(550, PB, None, "12.4", "domain"),
    Branch(555, None, None, "12.5", "domain"),
    Branch(560, NFB, None, "12.6", "domain"),
    Branch(565, NFB, None, "12.7", "domain (no CUDA 12.7 toolkit exists)"),
    Branch(570, PB, None, "12.8", "domain"),
    Branch(575, NFB, None, "12.9", "domain"),
    Branch(580, LTSB, "2028-06", "13.0", "domain"),
    Branch(590, None, None, "13.1", "domain"),
    Branch(595, PB, "2027-03", "13.2", "domain"),
    Branch(610, NFB, "2026-08", None, "domain"),
    Branch(620, LTSB, "2029-09", None, "domain"),
)

_BY_NUMBER = {b.number: b for b in BRANCHES}

# CUDA 12.x applications run on any driver from this branch on (minor-version compatibility).
CUDA12_MINOR_COMPAT_FROM = 525  # domain


def branch(number: int) -> Branch | None:
    """The table row for a branch number, or None when no source covers it."""
    return _BY_NUMBER.get(number)


def designation(number: int) -> str | None:
    found = _BY_NUMBER.get(number)
    return found.designation if found else None


def end_of_life(number: int) -> str | None:
    found = _BY_NUMBER.get(number)
    return found.end_of_life if found else None


def highest_cuda(number: int) -> str | None:
    found = _BY_NUMBER.get(number)
    return found.cuda if found else None


def is_end_of_life(end: str | None, today: dt.date | None = None) -> bool:
    """True once the month named by `end` ("2026-06") has passed; False when unknown."""
    if not end:
        return False
    try:
        year, month = (int(part) for part in end.split("-")[:2])
    except ValueError:
        return False
    today = today or dt.date.today()
    return (today.year, today.month) > (year, month)


def normalize_support(value: str | None) -> str | None:
    """apt's `Support:` header as one of PB, LTSB, NFB, or its own text for anything else."""
    if not value:
        return None
    text = value.strip()
    upper = text.upper()
    for known in (LTSB, PB, NFB):
        if upper == known:
            return known
    return text or None
