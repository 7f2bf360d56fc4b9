"""Everything an apply removes, as one list: what the confirmation counts and names.

An apply removes packages in up to three places: the purge (the confirmed list; with
--keep-installed only another branch's fabric manager and NSCQ), what autoremove takes on top
of it, and what the install replaces through apt's Conflicts (the old branch's packages). The
question before an apply and the wizard's Install screen count and name all of them, never one
part alone.
"""

from __future__ import annotations

from nvwizard.plan.simulate import Simulation


def removed_packages(sim: Simulation) -> list[str]:
    """Every package the simulated apply removes (purged, autoremoved or replaced), sorted."""
    removed = set(sim.purge.remove) if sim.purge else set()
    removed |= set(sim.also_removed)
    if sim.install is not None:
        removed |= set(sim.install.remove)
    return sorted(removed)


def removal_clause(removed: list[str]) -> str:
    """ ", removing the 8 packages named above" for the question before the apply ("" for none)."""
    if not removed:
        return ""
    count = len(removed)
    return f", removing the {f'{count} packages' if count != 1 else 'package'} named above"


def removal_line(removed: list[str]) -> str | None:
    """The exact list the question's count refers to, printed right above it."""
    if not removed:
        return None
    count = len(removed)
    return f"The apply removes {count} package{'s' if count != 1 else ''}: {' '.join(removed)}"
