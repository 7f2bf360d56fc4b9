"""apt's answer when a change would remove a held package the command does not name.

apt never removes a held package it is not told to: a purge that would take one along (a
held fabric manager that depends on the purged driver's kernel-common package) makes its
resolver give up, a simulation too, with the packages left with unmet dependencies listed and
"E: Error, pkgProblemResolver::Resolve generated breaks, this may be caused by held packages."
(the apt sandbox and the demo's simulated apt, tests/simulator/test_matches_apt.py):

    The following packages have unmet dependencies:
     nvidia-fabricmanager-535 : Depends: nvidia-kernel-common-535-server but it is not
                                         going to be installed      (one line)

For the purge simulation those listed are the held packages it would drag along: the plan's
check names them as it names any other (a reason to stop, and what to purge too).
"""

from __future__ import annotations

import re

BREAKS_OVER_HELD = "this may be caused by held packages"
# the first line of a package's entry (its further relations are indented deeper)
_UNMET_ENTRY = re.compile(r"^ (\S+) : [A-Za-z-]+: ")


def held_in_the_way(text: str) -> list[str]:
    """The packages apt lists under "have unmet dependencies" when its resolver gave up over
    held packages; [] for any other output."""
    lines = text.splitlines()
    if not any(line.startswith("E: ") and BREAKS_OVER_HELD in line for line in lines):
        return []
    names = [m.group(1) for m in map(_UNMET_ENTRY.match, lines) if m]
    return sorted(set(names))


def refused_while_held(dragged: list[str], held: list[str]) -> str:
    """Said after the `dragged` packages when apt refused over the `held` ones among them."""
    if not held:
        return ""
    which = "" if set(dragged) <= set(held) else f"{', '.join(held)} "
    return f" ({which}held: apt never removes a held package it is not told to)"
