"""Which driver to recommend: ubuntu-drivers' ranking (DOMAIN.md), made safe.

The rules, in the order they decide:
1. Never a variant this GPU cannot run (`runnable=False`).
2. Under Secure Boot, when some drivers have signed precompiled modules for the running
   kernel, only those (no DKMS module needing a MOK enrolled at the console).
3. The branch: a current PB or LTSB branch beats an NFB or undesignated one (that is why 595 PB
   wins over 610 NFB), and any branch past its end of life comes last; then the higher branch.
4. The variant within that branch. From branch 560 the open modules are preferred, unless the
   package header says `Prefer-Variant: Closed`:
     desktop, open preferred:   -open > plain > -server-open > -server
     server,  open preferred:   -server-open > -server > -open > plain
     desktop, closed preferred: plain > -server > -open > -server-open
     server,  closed preferred: -server > plain > -server-open > -open
   A headless machine uses the server ranking (ubuntu-drivers' `--gpgpu`); a machine with a
   desktop uses the desktop ranking.

Deciding the branch before the variant is our reading of "ties break on Support, then the
higher branch". The Secure Boot filter and the end-of-life demotion are nvwizard's additions:
ubuntu-drivers knows neither.
When ubuntu-drivers marked a driver `recommended`, the reason says whether we agree and why not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from nvwizard.knowledge import branches
from nvwizard.report.models import DriverCandidate

OPEN_PREFERRED_FROM = 560

# (headless, open preferred) -> the (server, open) variants, best first
_RANKINGS: dict[tuple[bool, bool], tuple[tuple[bool, bool], ...]] = {
    (False, True): ((False, True), (False, False), (True, True), (True, False)),
    (True, True): ((True, True), (True, False), (False, True), (False, False)),
    (False, False): ((False, False), (True, False), (False, True), (True, True)),
    (True, False): ((True, False), (False, False), (True, True), (False, True)),
}


@dataclass(frozen=True)
class Recommendation:
    package: str | None
    reason: str  # a short paragraph: why this one (or why none)
    ubuntu_drivers_choice: str | None = None
    follows_ubuntu_drivers: bool | None = None  # None when ubuntu-drivers recommended nothing


def prefers_open(branch: int, closed_preferred: Collection[int] = ()) -> bool:
    return branch >= OPEN_PREFERRED_FROM and branch not in closed_preferred


def variant_rank(
    candidate: DriverCandidate, headless: bool, closed_preferred: Collection[int] = ()
) -> int:
    order = _RANKINGS[(headless, prefers_open(candidate.branch, closed_preferred))]
    return order.index((candidate.server, candidate.open))


def support_rank(candidate: DriverCandidate, today: dt.date | None = None) -> int:
    """2: a current PB/LTSB branch; 1: NFB or undesignated; 0: past its end of life."""
    if branches.is_end_of_life(candidate.end_of_life, today):
        return 0
    return 2 if candidate.support in (branches.PB, branches.LTSB) else 1


def rank_key(
    candidate: DriverCandidate,
    headless: bool,
    closed_preferred: Collection[int] = (),
    today: dt.date | None = None,
) -> tuple[int, int, int]:
    """Sort key, best first."""
    return (
        -support_rank(candidate, today),
        -candidate.branch,
        variant_rank(candidate, headless, closed_preferred),
    )


def _variant_words(candidate: DriverCandidate) -> str:
    if candidate.server:
        tesla = candidate.package.startswith("nvidia-tesla-")  # Debian's data-center drivers
        kind = "data-center (Tesla)" if tesla else "data-center (-server)"
    else:
        kind = "desktop"
    modules = "open" if candidate.open else "proprietary"
    return f"the {kind} build with the {modules} kernel modules"


def _branch_words(candidate: DriverCandidate, today: dt.date | None) -> str:
    words = f"branch {candidate.branch}"
    if candidate.support:
        name = branches.DESIGNATION_NAMES.get(candidate.support, candidate.support)
        words += f" is a {name} ({candidate.support})"
    else:
        words += " has no known support designation"
    if branches.is_end_of_life(candidate.end_of_life, today):
        words += f" past its end of life ({candidate.end_of_life})"
    return words


def _why(
    best: DriverCandidate,
    headless: bool,
    closed_preferred: Collection[int],
    today: dt.date | None,
) -> str:
    ranking = "server ranking (headless machine)" if headless else "desktop ranking"
    if prefers_open(best.branch, closed_preferred):
        preference = "open modules preferred from branch 560"
    elif best.branch in closed_preferred:
        preference = "the package asks for the closed variant (Prefer-Variant: Closed)"
    else:
        preference = "no open preference before branch 560"
    return (
        f"{best.package}: {_branch_words(best, today)}, the best among the drivers this GPU "
        f"can run; {_variant_words(best)} comes first in the {ranking}, {preference}."
    )


def _compare_with_ubuntu_drivers(
    best: DriverCandidate,
    theirs: DriverCandidate,
    headless: bool,
    today: dt.date | None,
    signed: Collection[str] | None,
) -> str:
    if theirs.package == best.package:
        return f"ubuntu-drivers recommends the same driver ({theirs.package})."
    if not theirs.runnable:
        return f"ubuntu-drivers recommends {theirs.package}, but {theirs.reason}."
    if signed is not None and theirs.package not in signed and best.package in signed:
        return (
            f"ubuntu-drivers recommends {theirs.package}, which has no signed modules for this "
            "kernel: under Secure Boot it would need a DKMS build and a MOK enrollment."
        )
    if theirs.branch == best.branch and headless:
        return (
            f"ubuntu-drivers recommends {theirs.package} (its desktop ranking); nvwizard uses "
            "the server ranking, as `ubuntu-drivers install --gpgpu` does, because this machine "
            "is headless."
        )
    if theirs.branch == best.branch:
        return (
            f"ubuntu-drivers recommends {theirs.package} (its server ranking); nvwizard uses the "
            "desktop ranking because this machine runs a desktop."
        )
    if branches.is_end_of_life(theirs.end_of_life, today):
        return (
            f"ubuntu-drivers recommends {theirs.package}, whose branch reached its end of life "
            f"({theirs.end_of_life}); nvwizard prefers a supported branch."
        )
    return (
        f"ubuntu-drivers recommends {theirs.package}; nvwizard ranks branch {best.branch} "
        f"({best.support or 'no designation'}) above branch {theirs.branch} "
        f"({theirs.support or 'no designation'})."
    )


def recommend(
    candidates: Sequence[DriverCandidate],
    *,
    headless: bool,
    closed_preferred: Collection[int] = (),
    signed: Collection[str] | None = None,
    today: dt.date | None = None,
) -> Recommendation:
    """The driver to propose, with the reason, or None when no candidate can run here.

    `signed`: under Secure Boot, the candidates whose signed modules exist for the running
    kernel (None when Secure Boot is off or unknown). When some do, only those are ranked.
    """
    theirs = next((c for c in candidates if c.ubuntu_drivers_recommended), None)
    runnable = [c for c in candidates if c.runnable]
    if not runnable:
        reason = (
            "No driver package offered here can run on this GPU."
            if candidates
            else "No NVIDIA driver package is offered for this machine."
        )
        return Recommendation(None, reason, theirs.package if theirs else None, None)
    signed_note = ""
    if signed is not None:
        loadable = [c for c in runnable if c.package in signed]
        if loadable and len(loadable) < len(runnable):
            runnable = loadable
            signed_note = (
                " Secure Boot is on: only drivers with signed precompiled modules for this "
                "kernel were considered, so no key has to be enrolled at the console."
            )
    best = min(runnable, key=lambda c: rank_key(c, headless, closed_preferred, today))
    reason = _why(best, headless, closed_preferred, today) + signed_note
    if best.transitional_to:
        reason += f" It is a transitional package that installs {best.transitional_to}."
    if theirs is None:
        return Recommendation(best.package, reason)
    reason += " " + _compare_with_ubuntu_drivers(best, theirs, headless, today, signed)
    return Recommendation(best.package, reason, theirs.package, theirs.package == best.package)


def mark_recommended(
    candidates: Sequence[DriverCandidate], package: str | None
) -> list[DriverCandidate]:
    """The candidates with `recommended` set on exactly the chosen one."""
    return [replace(c, recommended=c.package == package) for c in candidates]
