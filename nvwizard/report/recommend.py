"""Which driver to recommend: nvwizard's own rule, and ubuntu-drivers' pick beside it.

nvwizard's rule, in the order it decides:
1. Only a driver every GPU here can run (`runnable`): never -open before Turing, never the
   proprietary modules on Blackwell or Grace Hopper, never a branch outside the generation's
   or the product's first..last branch.
2. Only a branch NVIDIA still supports on the report's day (report/lifecycle.py): a PB, LTSB or
   legacy branch before its end of life, or an NFB or undesignated branch while no newer PB or
   LTSB branch exists. When every runnable branch is dead, the PB or LTSB branch supported most
   recently (ubuntu-drivers' own pick among equals), or the highest branch when none of them
   is PB or LTSB, said plainly, with a finding.
3. Under Secure Boot, when some of those have Canonical's signed modules for the running
   kernel, only those (no DKMS module needing a MOK enrolled at the console).
4. A supported PB/LTSB branch before a current NFB or undesignated one; then the higher branch.
5. The variant within the branch: the server ranking on a headless machine (or when nothing
   shows whether it has a desktop), the desktop ranking on a desktop; the user's answer
   (--headless/--desktop, the wizard's Headless box) before what detection saw:
     desktop, open preferred:   -open > plain > -server-open > -server
     server,  open preferred:   -server-open > -server > -open > plain
     desktop, otherwise:        plain > -server > -open > -server-open
     server,  otherwise:        -server > plain > -server-open > -open
   The open modules are preferred when the package says `Prefer-Variant: Open`, from branch
   560 on (NVIDIA's default since 560) unless it says `Prefer-Variant: Closed`.
   On Debian (`newest_build_first`) the newest build of the branch comes before the variant:
   bookworm's nvidia-driver 535.309.01 (moved by Debian's security updates) before
   nvidia-tesla-535-driver 535.216.03, whatever the ranking; equal versions leave it to the
   variant. Ubuntu's variants of a branch move together, and the -server ones are what fabric
   manager follows: the ranking alone decides there.
ubuntu-drivers ranks differently (report/ubuntu_drivers_rank.py reproduces it): variant
first, then its apt Support header, then the name; no end-of-life dates, no Secure Boot. The
reason text gives nvwizard's choice and, separately, ubuntu-drivers' pick and why; of the
variant it says only what decided it (`_variant_notes`): a kind of kernel module the GPU
cannot run, the build the ranking wants not being offered, the open preference where
reversing it would change the pick.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from nvwizard.detect.debversion import upstream_part, version_key
from nvwizard.knowledge import branches
from nvwizard.report import ubuntu_drivers_rank as ud
from nvwizard.report.lifecycle import SUPPORTED, is_dead, lifecycle_words
from nvwizard.report.models import DriverCandidate

OPEN_PREFERRED_FROM = 560

# (server ranking, open preferred) -> the (server, open) variants, best first
_RANKINGS: dict[tuple[bool, bool], tuple[tuple[bool, bool], ...]] = {
    (False, True): ((False, True), (False, False), (True, True), (True, False)),
    (True, True): ((True, True), (True, False), (False, True), (False, False)),
    (False, False): ((False, False), (True, False), (False, True), (True, True)),
    (True, False): ((True, False), (False, False), (True, True), (False, True)),
}
RULE = (
    "nvwizard's rule: only drivers this GPU can run; a branch NVIDIA still supports before "
    "any past its end of life (an NFB counts as ended once a newer production or long-term "
    "branch exists); production and long-term branches before others, the highest first; "
    "then the variant."
)


NEWEST_BUILD_RULE = (
    " On Debian, within a branch, the newest build apt offers comes before the variant."
)


@dataclass(frozen=True)
class Recommendation:
    package: str | None
    reason: str  # a short paragraph: why this one (or why none)
    ubuntu_drivers_choice: str | None = None
    follows_ubuntu_drivers: bool | None = None  # None when ubuntu-drivers recommended nothing
    every_branch_dead: bool = False  # nothing runnable here is still supported


def prefers_open(candidate: DriverCandidate) -> bool:
    if candidate.prefer_variant in ("Open", "Closed"):
        return candidate.prefer_variant == "Open"
    return candidate.branch >= OPEN_PREFERRED_FROM


def variant_rank(candidate: DriverCandidate, server_ranking: bool) -> int:
    order = _RANKINGS[(server_ranking, prefers_open(candidate))]
    return order.index((candidate.server, candidate.open))


def rank_key(candidate: DriverCandidate, server_ranking: bool) -> tuple[int, int, int]:
    """Sort key among live candidates, best first."""
    return (
        0 if candidate.lifecycle == SUPPORTED else 1,
        -candidate.branch,
        variant_rank(candidate, server_ranking),
    )


def newest_build(
    best: DriverCandidate, pool: Sequence[DriverCandidate], server_ranking: bool
) -> DriverCandidate | None:
    """A build of `best`'s branch at a newer upstream version than `best` (the variant the
    ranking prefers among those at the newest), or None when `best` is the newest already or
    apt's versions are unknown."""
    same = [c for c in pool if c.branch == best.branch and c.version]
    if best.version is None or len(same) < 2:
        return None
    newest = max((upstream_part(c.version or "") for c in same), key=version_key)
    if upstream_part(best.version) == newest:
        return None
    return min(
        (c for c in same if upstream_part(c.version or "") == newest),
        key=lambda c: rank_key(c, server_ranking),
    )


def _newer_build_words(best: DriverCandidate, passed: DriverCandidate, ranking: str) -> str:
    security = (
        " (Debian's security updates move nvidia-driver)" if best.package == "nvidia-driver" else ""
    )
    return (
        f"Within it, {best.package} {best.version} is a newer build than {passed.package} "
        f"{passed.version}, which the {ranking} alone would take: on Debian the newest build of "
        f"a branch comes first, as it carries NVIDIA's later fixes{security}. It is "
        f"{_variant_words(best)}."
    )


def _most_recently_supported(
    dead: Sequence[DriverCandidate], theirs: DriverCandidate | None
) -> int:
    """The branch to fall back on when every runnable branch is dead: the PB or LTSB branch
    whose support ended last (ubuntu-drivers' pick breaks a tie), else the highest branch."""
    long_lived = [c for c in dead if c.support in branches.LONG_LIVED]
    if not long_lived:
        return max(c.branch for c in dead)
    return max(
        long_lived,
        key=lambda c: (c.end_of_life or "", theirs is not None and c.branch == theirs.branch),
    ).branch


def _variant_words(candidate: DriverCandidate) -> str:
    if candidate.legacy_name:
        return "the old-style package (desktop build, proprietary modules)"
    if candidate.server:
        tesla = candidate.package.startswith("nvidia-tesla-")  # Debian's data-center drivers
        kind = "data-center (Tesla)" if tesla else "data-center (-server)"
    else:
        kind = "desktop"
    modules = "open" if candidate.open else "proprietary"
    return f"the {kind} build with the {modules} kernel modules"


def _ranking_words(headless: bool | None, answered: bool = False) -> str:
    """The ranking used and why; `answered`: the user said headless or desktop."""
    if answered:
        asked = "a headless install" if headless else "the desktop driver"
        return f"{'server' if headless else 'desktop'} ranking ({asked} was asked for)"
    if headless is None:
        return (
            "server ranking (nothing shows whether this machine has a desktop: nvwizard "
            "assumed a headless server)"
        )
    return "server ranking (headless machine)" if headless else "desktop ranking (a desktop runs)"


def _preference_words(candidate: DriverCandidate) -> str:
    if candidate.prefer_variant == "Open":
        return "open modules preferred (Prefer-Variant: Open)"
    if candidate.prefer_variant == "Closed":
        return "no open preference (Prefer-Variant: Closed)"
    if candidate.branch >= OPEN_PREFERRED_FROM:
        return "open modules preferred from branch 560"
    return "no open preference before branch 560"


def _first_variant(
    candidates: Sequence[DriverCandidate], server_ranking: bool, flip: bool = False
) -> DriverCandidate:
    """The variant ranked first; `flip`: as if each package's open preference were reversed."""
    return min(
        candidates,
        key=lambda c: _RANKINGS[(server_ranking, prefers_open(c) != flip)].index(
            (c.server, c.open)
        ),
    )


def _variant_notes(
    best: DriverCandidate,
    usable: Sequence[DriverCandidate],
    offered: Sequence[DriverCandidate],
    server_ranking: bool,
) -> list[str]:
    """What decided the variant within the branch, said only where it decided something:
    a kind of kernel module this GPU cannot run (when some open preference would have picked
    it), the build the ranking wants not being offered, the open preference itself."""
    notes = []
    for flip in (False, True):
        wanted = _first_variant(offered, server_ranking, flip)
        if wanted.open != best.open and not wanted.runnable:
            modules = "open" if wanted.open else "proprietary"
            notes.append(wanted.reason or f"this GPU cannot run the {modules} kernel modules")
            break
    if not any(c.server == server_ranking for c in offered):
        build = "data-center (-server)" if server_ranking else "desktop"
        notes.append(f"no {build} build of branch {best.branch} is offered")
    if _first_variant(usable, server_ranking, flip=True).package != best.package:
        notes.append(_preference_words(best))
    return notes


def _why(
    best: DriverCandidate,
    pool: Sequence[DriverCandidate],
    candidates: Sequence[DriverCandidate],
    headless: bool | None,
    every_dead: bool,
    passed: DriverCandidate | None = None,
    answered: bool = False,
) -> str:
    """Why `best`; `passed`: the build the ranking would have taken, older than `best`;
    `answered`: the user said headless or desktop."""
    lead = (
        f"{best.package}: every driver this GPU can run here is past its end of life; "
        f"{lifecycle_words(best)}, the production or long-term branch supported most recently."
        if every_dead
        else f"{best.package}: {lifecycle_words(best)}, the best branch this GPU can run."
    )
    if passed is not None:
        ranking = _ranking_words(headless, answered)
        return f"{lead} {_newer_build_words(best, passed, ranking)}"
    usable = [c for c in pool if c.branch == best.branch]
    offered = [c for c in candidates if c.branch == best.branch]
    notes = _variant_notes(best, usable, offered, server_ranking=headless is not False)
    return (
        f"{lead} Within it, {_variant_words(best)} comes first in the "
        f"{_ranking_words(headless, answered)}{': ' if notes else ''}{'; '.join(notes)}."
    )


def _ranked_package(candidate: DriverCandidate) -> ud.RankedPackage:
    """The candidate as ubuntu-drivers would see it with the apt headers nvwizard saw; none
    when nvwizard saw no stanza for it (a pasted list: what ubuntu-drivers does then)."""
    if candidate.apt_headers:
        return ud.RankedPackage(
            candidate.package, candidate.support_header, candidate.prefer_variant
        )
    return ud.RankedPackage(candidate.package)


def _departure(
    best: DriverCandidate,
    theirs: DriverCandidate,
    headless: bool | None,
    signed: Collection[str] | None,
) -> str:
    """Why nvwizard does not take ubuntu-drivers' pick, in one sentence."""
    if not theirs.runnable:
        return f"nvwizard does not take {theirs.package}: {theirs.reason}."
    if is_dead(theirs):
        return f"nvwizard does not take {theirs.package}: {lifecycle_words(theirs)}."
    if signed is not None and theirs.package not in signed and best.package in signed:
        return (
            f"nvwizard does not take {theirs.package}: it has no signed modules for this "
            "kernel, so under Secure Boot it needs a DKMS build and a MOK enrollment."
        )
    if theirs.branch == best.branch:
        ranking = "desktop" if headless is False else "server"
        return f"nvwizard takes the {ranking} variant of the same branch."
    return (
        f"nvwizard ranks {lifecycle_words(best)} above {lifecycle_words(theirs)}."
        if best.lifecycle != theirs.lifecycle
        else f"nvwizard takes the higher branch {best.branch}."
    )


def describe_ubuntu_drivers(
    best: DriverCandidate | None,
    candidates: Sequence[DriverCandidate],
    headless: bool | None,
    signed: Collection[str] | None = None,
) -> str:
    """What ubuntu-drivers picks here and why, and why nvwizard differs; "" when it has none."""
    listed = [
        c
        for c in candidates
        if c.listed and (c.legacy_name or c.package.startswith("nvidia-driver-"))
    ]
    packages = [_ranked_package(c) for c in listed]
    mine = ud.pick(packages)
    if mine is None:
        return ""
    theirs = next((c for c in listed if c.ubuntu_drivers_recommended), None)
    by_name = {c.package: c for c in listed}
    seen = by_name[mine.name].apt_headers
    reasons = ud.why(mine, others=packages, headers_seen=seen)
    if theirs is None:
        text = (
            f"ubuntu-drivers would recommend {mine.name}: {reasons}."
            if seen
            else f"nvwizard saw no apt headers; without them ubuntu-drivers would recommend "
            f"{mine.name}: {reasons}."
        )
        theirs = by_name[mine.name]
    elif theirs.package == mine.name:
        text = f"ubuntu-drivers marks {theirs.package} recommended: {reasons}."
        if not seen:
            text = (
                f"ubuntu-drivers marks {theirs.package} recommended, as its ranking does without "
                f"apt headers (nvwizard saw none): {reasons}."
            )
    elif any(c.apt_headers for c in listed):
        text = (
            f"ubuntu-drivers marks {theirs.package} recommended; its current ranking, given the "
            f"apt headers nvwizard sees, would pick {mine.name}, so the ubuntu-drivers on that "
            "machine is older or saw other headers."
        )
    else:
        text = (
            f"ubuntu-drivers marks {theirs.package} recommended; nvwizard saw no apt headers, "
            f"and without them its current ranking would pick {mine.name}, so that machine's "
            "packages carry headers nvwizard did not see, or its ubuntu-drivers is older."
        )
    gpgpu = ud.pick(packages, gpgpu=True)
    if gpgpu is not None and gpgpu.name != theirs.package:
        text += f" `ubuntu-drivers install --gpgpu` would take {gpgpu.name}."
    if best is not None:
        text += (
            " nvwizard agrees."
            if theirs.package == best.package
            else " " + _departure(best, theirs, headless, signed)
        )
    return text


def recommend(
    candidates: Sequence[DriverCandidate],
    *,
    headless: bool | None,
    answered: bool = False,
    signed: Collection[str] | None = None,
    newest_build_first: bool = False,
) -> Recommendation:
    """The driver to propose, with the reason, or None when no candidate can run here.

    `candidates` carry their lifecycle (report/lifecycle.py) for the report's day. `headless`
    None means unknown: ranked as headless, and the reason says it was assumed; `answered`:
    `headless` is the user's answer (--headless/--desktop), as the reason says. `signed`:
    under Secure Boot, the candidates whose signed modules exist for the running kernel (None
    when Secure Boot is off or unknown). `newest_build_first` (Debian): within the branch, the
    newest build apt offers before the variant.
    """
    theirs = next((c for c in candidates if c.ubuntu_drivers_recommended), None)
    their_name = theirs.package if theirs else None
    runnable = [c for c in candidates if c.runnable]
    if not runnable:
        reason = (
            "No driver package offered here can run on this GPU."
            if candidates
            else "No NVIDIA driver package is offered for this machine."
        )
        ud_text = describe_ubuntu_drivers(None, candidates, headless)
        return Recommendation(None, f"{reason} {ud_text}".strip(), their_name, None)
    server_ranking = headless is not False
    pool = [c for c in runnable if not is_dead(c)]
    every_dead = not pool
    if every_dead:
        fallback = _most_recently_supported(runnable, theirs)
        pool = [c for c in runnable if c.branch == fallback]
    signed_note = ""
    if signed is not None:
        loadable = [c for c in pool if c.package in signed]
        if loadable and len(loadable) < len(pool):
            pool = loadable
            signed_note = (
                " Secure Boot is on: only drivers with signed precompiled modules for this "
                "kernel were considered, so no key has to be enrolled at the console."
            )
    best = min(pool, key=lambda c: rank_key(c, server_ranking))
    newer = newest_build(best, pool, server_ranking) if newest_build_first else None
    passed, best = (best, newer) if newer is not None else (None, best)
    reason = _why(best, pool, candidates, headless, every_dead, passed, answered) + signed_note
    if best.transitional_to:
        reason += f" It is a transitional package that installs {best.transitional_to}."
    reason += " " + RULE + (NEWEST_BUILD_RULE if newest_build_first else "")
    ud_text = describe_ubuntu_drivers(best, candidates, headless, signed)
    if ud_text:
        reason += " " + ud_text
    follows = None if theirs is None else theirs.package == best.package
    return Recommendation(best.package, reason, their_name, follows, every_dead)


def mark_recommended(
    candidates: Sequence[DriverCandidate], package: str | None
) -> list[DriverCandidate]:
    """The candidates with `recommended` set on exactly the chosen one."""
    return [replace(c, recommended=c.package == package) for c in candidates]
