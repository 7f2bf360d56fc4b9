"""Why a step failed, and what to do next.

apt-get exits 100 for every error, so the cause is read from its (untranslated, LC_ALL=C.UTF-8)
messages and from the package states dpkg-query reports afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from nvwizard.detect.dpkg import unfinished_meaning

REPAIR_DPKG = ["dpkg", "--configure", "-a"]

# `dpkg-query -W -f=...` over every package: the states left behind by a failed transaction.
PACKAGE_STATES_ARGV = ["dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n"]


_HELD_BY = re.compile(r"held by process (\d+) \(([^)]*)\)")


@dataclass(frozen=True)
class BrokenPackage:
    name: str
    state: str  # two-letter abbreviation, "iF"
    meaning: str  # "half-configured"


@dataclass(frozen=True)
class Diagnosis:
    cause: str  # "maintainer-script", "interrupted", "lock", "not-found", "unmet", "unknown"
    message: str  # one sentence for the user
    next_action: str  # one sentence
    repair: list[str] | None = None  # an argv a front end may offer
    broken: list[BrokenPackage] = field(default_factory=list)


def parse_package_states(text: str) -> list[BrokenPackage]:
    """Packages that dpkg left unfinished, from PACKAGE_STATES_ARGV's output."""
    broken = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        name, abbrev = parts[0].strip(), parts[1]
        state = abbrev[:2]
        meaning = unfinished_meaning(state)
        if meaning is not None:
            broken.append(BrokenPackage(name, state, meaning))
    return broken


def lock_holder(lines: Sequence[str]) -> str | None:
    """'process 1234 (unattended-upgr)' from apt's lock messages, if one names it."""
    for line in reversed(lines):
        match = _HELD_BY.search(line)
        if match:
            return f"process {match.group(1)} ({match.group(2)})"
    return None


def gave_up_on_the_lock(lines: Sequence[str]) -> bool:
    """apt stopped because the lock stayed held: its `E:` lines, not the "Waiting for cache
    lock: Could not get lock ..." it prints while it waits and then, once the lock is free,
    goes on (a later failure, a maintainer script's say, is the cause then)."""
    return any(
        ("Could not get lock" in line and not line.lstrip().startswith(_WAITING))
        or "Unable to acquire the dpkg frontend lock" in line
        for line in lines
    )


_WAITING = "Waiting for cache lock"


def _names(broken: Sequence[BrokenPackage]) -> str:
    return ", ".join(f"{b.name} ({b.meaning})" for b in broken)


def diagnose(lines: Sequence[str], broken: Sequence[BrokenPackage]) -> Diagnosis:
    """The cause of a failed apt-get/dpkg command from its output lines and the package states."""
    text = "\n".join(lines)
    broken = list(broken)
    if "dpkg was interrupted" in text or "exited unexpectedly" in text:
        return Diagnosis(
            "interrupted",
            "dpkg was interrupted in the middle of a change"
            + (f"; left unfinished: {_names(broken)}" if broken else ""),
            "Run `dpkg --configure -a` to finish the interrupted change, then apply again.",
            REPAIR_DPKG,
            broken,
        )
    if gave_up_on_the_lock(lines):
        holder = lock_holder(lines)
        who = holder or "another package manager"
        return Diagnosis(
            "lock",
            f"the package manager lock is held by {who} and was not released in time",
            f"Wait for {who} to finish (never delete the lock files), then apply again.",
            None,
            broken,
        )
    if "Unable to locate package" in text or "has no installation candidate" in text:
        return Diagnosis(
            "not-found",
            "apt does not offer a package the plan needs",
            "Check the apt sources (`apt-get update`) and choose a driver apt offers.",
            None,
            broken,
        )
    if broken or "returned an error code" in text or "post-installation script" in text:
        return Diagnosis(
            "maintainer-script",
            "a package's maintainer script failed"
            + (f"; left unfinished: {_names(broken)}" if broken else ""),
            "Read the log above for the cause (often a DKMS build or missing kernel headers), "
            "fix it, then run `dpkg --configure -a`.",
            REPAIR_DPKG,
            broken,
        )
    if "Held packages were changed" in text:
        return Diagnosis(
            "held",
            "the change touches packages that are held (`apt-mark showhold`)",
            "Unhold them (`apt-mark unhold <package>`) if they may change, then apply again.",
            None,
            broken,
        )
    if "unmet dependencies" in text or "held broken packages" in text:
        return Diagnosis(
            "unmet",
            "apt cannot satisfy the dependencies (held or mixed-source packages)",
            "Check `apt-mark showhold` and that all NVIDIA packages come from one source.",
            None,
            broken,
        )
    return Diagnosis("unknown", "the command failed", "Read the log for the cause.", None, broken)
