"""ubuntu-drivers' own choice among NVIDIA driver packages, reproduced exactly.

So nvwizard can say what ubuntu-drivers picks and why, instead of describing it loosely. The
behaviour is that of ubuntu-drivers-common's UbuntuDrivers/detect.py (`_cmp_gfx_alternatives`,
`_cmp_gfx_alternatives_gpgpu`, `_get_fit_level[_gpgpu]`, `_is_open_prefered`,
`_pkg_get_support`), identical in the releases that carry the 560 open preference
(LP: #2081967): 1:0.10 (25.04) and later, and the 22.04 and 24.04 updates
1:0.9.6.2~0.22.04.9 and 1:0.9.7.6ubuntu3.2. Older releases ranked without the open
preference and without the NFB demotion; the ubuntu-drivers output pasted from such a machine
may therefore mark another package, which the report then says.

- The open preference is per package, from its apt header `Prefer-Variant`: `Open` prefers
  the open modules at any branch; `Closed` does not; a missing header does not; any other
  value falls back to "branch >= 560".
- The variant ("fit level") decides first, by name suffix:
    desktop, open preferred: -open > plain > -server-open > -server
    desktop, otherwise:      plain > -server > -open > -server-open
    gpgpu, open preferred:   -server-open > -server > -open > plain
    gpgpu, otherwise:        -server > plain > -server-open > -open
  A name with none of these suffixes (nvidia-384-updates, nvidia-current) ties with the last.
- Then the `Support:` header (only the exact values PB, LTSB, NFB and Legacy count; any other
  is ignored). Desktop: PB and LTSB alike above everything else, the higher package name
  (string order) first among them; otherwise anything above Legacy above NFB. Gpgpu: PB above
  LTSB above anything else above NFB above Legacy.
- Then the higher package name, as a string ("nvidia-driver-580" > "nvidia-driver-1000").
`ubuntu-drivers devices`, `list` and `install` rank for the desktop; only `install --gpgpu`
(and `list --gpgpu`) use the gpgpu ranking. Neither knows end-of-life dates or GPU limits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PLAIN = "plain"
OPEN = "-open"
SERVER = "-server"
SERVER_OPEN = "-server-open"

# Best first; a name matching no suffix gets the last place's level.
_DESKTOP_FIT = {True: (OPEN, PLAIN, SERVER_OPEN, SERVER), False: (PLAIN, SERVER, OPEN, SERVER_OPEN)}
_GPGPU_FIT = {True: (SERVER_OPEN, SERVER, OPEN, PLAIN), False: (SERVER, PLAIN, SERVER_OPEN, OPEN)}
_VARIANT_PATTERNS = (
    (SERVER_OPEN, re.compile(r"\d{3}-server-open$")),
    (OPEN, re.compile(r"\d{3}-open$")),
    (SERVER, re.compile(r"\d{3}-server$")),
    (PLAIN, re.compile(r"\d{3}$")),
)
_SUPPORT_VALUES = ("PB", "NFB", "LTSB", "Legacy")
_MAJOR_PATTERNS = (
    re.compile(r"nvidia-(\d+)"),
    re.compile(r"nvidia-driver-(\d+)"),
    re.compile(r"nvidia-headless.*-(\d+)"),
)
OPEN_PREFERRED_FALLBACK_FROM = 560


@dataclass(frozen=True)
class RankedPackage:
    """One driver package as ubuntu-drivers sees it: its name and two raw apt headers."""

    name: str  # "nvidia-driver-580-open"
    support: str | None = None  # the `Support:` header as apt has it, None when missing
    prefer_variant: str | None = None  # the `Prefer-Variant:` header, None when missing


def variant(name: str) -> str | None:
    """The name's variant suffix, as ubuntu-drivers matches it; None for other names."""
    return next((v for v, pattern in _VARIANT_PATTERNS if pattern.search(name)), None)


def _major_version(name: str) -> int:
    for pattern in _MAJOR_PATTERNS:
        match = pattern.match(name)
        if match:
            return int(match.group(1))
    return -1


def open_preferred(package: RankedPackage) -> bool:
    """ubuntu-drivers' open preference for this package (see the module docstring)."""
    if not package.name.startswith("nvidia-") or package.prefer_variant is None:
        return False
    if package.prefer_variant in ("Open", "Closed"):
        return package.prefer_variant == "Open"
    return _major_version(package.name) >= OPEN_PREFERRED_FALLBACK_FROM


def support(package: RankedPackage) -> str | None:
    """The Support header as ubuntu-drivers reads it: one of its four values, else None."""
    return package.support if package.support in _SUPPORT_VALUES else None


def fit_level(package: RankedPackage, gpgpu: bool) -> int:
    """3 for the variant this ranking wants most ... 0 for the least (and unknown names)."""
    order = (_GPGPU_FIT if gpgpu else _DESKTOP_FIT)[open_preferred(package)]
    found = variant(package.name)
    return 3 - order.index(found) if found in order else 0


def _desktop_key(package: RankedPackage) -> tuple:
    level = support(package)
    return (
        fit_level(package, gpgpu=False),
        level in ("PB", "LTSB"),
        level != "NFB",
        level != "Legacy",
        package.name,
    )


def _gpgpu_key(package: RankedPackage) -> tuple:
    level = support(package)
    return (
        fit_level(package, gpgpu=True),
        level == "PB",
        level == "LTSB",
        level != "Legacy",
        level != "NFB",
        package.name,
    )


def ranked(packages: Sequence[RankedPackage], gpgpu: bool = False) -> list[RankedPackage]:
    """The packages in ubuntu-drivers' order, its pick first. Only nvidia-* names take part."""
    nvidia = [p for p in packages if p.name.startswith("nvidia-")]
    return sorted(nvidia, key=_gpgpu_key if gpgpu else _desktop_key, reverse=True)


def pick(packages: Sequence[RankedPackage], gpgpu: bool = False) -> RankedPackage | None:
    """What `ubuntu-drivers devices` marks recommended (gpgpu: what `install --gpgpu` takes)."""
    order = ranked(packages, gpgpu)
    return order[0] if order else None


def why(
    chosen: RankedPackage,
    gpgpu: bool = False,
    others: Sequence[RankedPackage] = (),
    headers_seen: bool = True,
) -> str:
    """Why this package came first, in ubuntu-drivers' terms (one clause).

    `others`: the packages it was chosen from; a newer branch that lost on the variant alone
    (none of its packages fits as well as the chosen one) is named, since that is the
    surprising case (a Prefer-Variant: Open package's plain variant ranks below an older
    branch's plain one that has no such header).
    `headers_seen`: False when nvwizard saw no apt stanza for the package (a pasted list): the
    ranking is then the one ubuntu-drivers applies without headers, and said so.
    """
    ranking = "gpgpu (server) ranking" if gpgpu else "desktop ranking"
    preferred = open_preferred(chosen)
    order = " > ".join((_GPGPU_FIT if gpgpu else _DESKTOP_FIT)[preferred])
    level = support(chosen)
    support_words = f"Support: {level}" if level else "no Support header it knows"
    then = (
        "PB before LTSB before the rest"
        if gpgpu
        else "PB and LTSB alike before the rest, the higher name first"
    )
    preference = _preference(chosen, headers_seen)
    support_clause = (
        f"then by the apt Support header, {then} ({support_words})"
        if headers_seen
        else "then, with no Support header to read, by the higher name"
    )
    text = (
        f"its {ranking} orders the variants {order} ({preference}), {support_clause}; "
        "it knows no end-of-life dates"
    )
    fit = fit_level(chosen, gpgpu)
    # A newer branch lost on the variant alone when none of its packages fits as well as
    # the chosen one; one that does (610-open beside 595-open) lost on its Support header.
    fits_as_well = {_major_version(p.name) for p in others if fit_level(p, gpgpu) >= fit}
    newer = [
        p
        for p in others
        if _major_version(p.name) > _major_version(chosen.name)
        and _major_version(p.name) not in fits_as_well
    ]
    if newer:
        loser = max(newer, key=lambda p: (_major_version(p.name), fit_level(p, gpgpu)))
        loser_order = (_GPGPU_FIT if gpgpu else _DESKTOP_FIT)[open_preferred(loser)]
        found = variant(loser.name)
        place = (
            f"its {found} variant comes {_ORDINALS[loser_order.index(found)]}: "
            f"{' > '.join(loser_order)}"
            if found in loser_order
            else "its name has no variant suffix it knows, which ranks last"
        )
        # Said in ubuntu-drivers' own terms: a package's open preference comes from its
        # header alone, whether or not this GPU can run the open modules.
        text += (
            f"; the newer {loser.name} ranks lower on the variant alone "
            f"({_preference(loser, headers_seen)}; {place})"
        )
    return text


_ORDINALS = ("first", "second", "third", "fourth")


def _preference(package: RankedPackage, headers_seen: bool = True) -> str:
    """Its open preference and where it comes from, in ubuntu-drivers' terms."""
    if not headers_seen:
        return "no open preference without a Prefer-Variant header"
    if open_preferred(package) and package.prefer_variant == "Open":
        return "open preferred: its Prefer-Variant header says Open"
    if open_preferred(package):
        return (
            f"open preferred: its Prefer-Variant header ({package.prefer_variant!r}) is "
            "invalid and the branch is 560 or newer"
        )
    if package.prefer_variant is None:
        return "no open preference: the package has no Prefer-Variant header"
    return f"no open preference: Prefer-Variant: {package.prefer_variant}"
