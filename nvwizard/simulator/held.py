"""Held packages (`apt-mark hold`), as real apt treats them.

What apt 2.6 does (the apt sandbox shows it: tests/simulator/test_matches_apt.py):
- a held package named on the command line (purged, removed, installed at another version) is
  listed under "The following held packages will be changed:"; a simulation (`-s`) goes on,
  and `-y` stops with HELD_CHANGED unless --allow-change-held-packages is given;
- a held package the command does not name is never removed or changed for it: when the
  change needs that (a package to install conflicts with it, or it depends on what is
  removed), apt's resolver gives up with the unmet dependencies and BREAKS, exit 100, in a
  simulation and with --allow-change-held-packages too;
- autoremove never takes a held package, nor what a held package depends on (resolver.py).

nvwizard's plans release the holds they must (their repair step's `apt-mark unhold`), and
simulate as apt answers once they are released (Host.start_after_purge's `unheld`).
"""

from __future__ import annotations

from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.resolver import Transaction

HELD_CHANGED = "E: Held packages were changed and -y was used without --allow-change-held-packages."
BREAKS = (
    "E: Error, pkgProblemResolver::Resolve generated breaks, this may be caused by held packages."
)


def _changes(model: MachineModel, tx: Transaction) -> set[str]:
    """Installed packages the transaction removes, or installs at another version."""
    return set(tx.remove) | {n for n in tx.install if n in model.installed}


def _held(model: MachineModel, names: set[str]) -> list[str]:
    return sorted(n for n in names if n in model.installed and model.installed[n].want == "h")


def held_named(model: MachineModel, tx: Transaction) -> list[str]:
    """The held packages the command names and changes: "held packages will be changed"."""
    return _held(model, _changes(model, tx) & tx.requested)


def held_in_the_way(model: MachineModel, tx: Transaction) -> list[str]:
    """The held packages the change would remove or replace without the command naming them:
    apt's resolver refuses that."""
    return _held(model, _changes(model, tx) - tx.requested)


def breaks_lines(model: MachineModel, tx: Transaction, held: list[str]) -> list[str]:
    """apt's "unmet dependencies" lines for the held packages in the way: each one's Conflicts
    with a package to install (and that package's), else its Depends that the change leaves
    unsatisfied."""
    relations: dict[str, list[tuple[str, list[str]]]] = {}
    for name in held:
        names = {name, *model.provides(name)}
        own = model.offers.get(name)
        for new in tx.install:
            offer = model.offers.get(new)
            if offer is None or new == name:
                continue
            for shared in sorted(set(offer.conflicts) & names):
                relations.setdefault(new, []).append(("Conflicts", [shared]))
                if own is not None and shared in own.conflicts:
                    relations.setdefault(name, []).append(("Conflicts", [shared]))
        if name not in relations:
            relations[name] = _unsatisfied(model, tx, name)
    lines = []
    for name in sorted(relations):
        lines += _entry(name, relations[name])
    return lines


def _unsatisfied(model: MachineModel, tx: Transaction, name: str) -> list[tuple[str, list[str]]]:
    """`name`'s dependencies that nothing left after the change satisfies."""
    left = (model.present() - set(tx.remove) - {name}) | set(tx.install)
    found = []
    for group in model.dependencies(name):
        if model.satisfied(group, left):
            continue
        said = [
            f"{alt} but it is not going to be installed"
            if alt in model.installed or alt in model.offers
            else alt  # a virtual package: apt names it alone
            for alt in group
        ]
        if ("Depends", said) not in found:  # versioned twins (`<= v`, `>= v`) read the same
            found.append(("Depends", said))
    return found


def _entry(name: str, relations: list[tuple[str, list[str]]]) -> list[str]:
    """One package's lines, in apt's layout: the relations under each other, an alternative
    ending in " or" with the next one under it."""
    head = f" {name} : "
    lines = []
    for number, (kind, alternatives) in enumerate(relations):
        first = f"{head if number == 0 else ' ' * len(head)}{kind}: "
        for index, text in enumerate(alternatives):
            lead = first if index == 0 else " " * len(first)
            lines.append(f"{lead}{text}{' or' if index < len(alternatives) - 1 else ''}")
    return lines
