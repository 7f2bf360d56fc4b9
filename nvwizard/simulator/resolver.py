"""apt's decisions on the model: what an install, purge or autoremove would change.

Nothing here prints or changes the model; apt_get.py turns a `Transaction` into output and
applies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from nvwizard.knowledge.packages import is_nvidia_related
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.packages import Alternatives


@dataclass
class Transaction:
    """What one apt-get command will do, and what it says before doing it."""

    install: list[str] = field(default_factory=list)  # new or upgraded, dependency order
    remove: list[str] = field(default_factory=list)
    purge: bool = False
    requested: set[str] = field(default_factory=set)  # named on the command line
    notes: list[str] = field(default_factory=list)  # "X is already the newest version ..."
    errors: list[str] = field(default_factory=list)  # E: lines
    unmet: list[str] = field(default_factory=list)  # unmet dependency lines
    no_longer_required: list[str] = field(default_factory=list)


class Resolver:
    """apt's decisions on the model: what an install, purge or autoremove changes."""

    def __init__(self, model: MachineModel):
        self.model = model

    def known(self, name: str) -> bool:
        return name in self.model.offers or name in self.model.installed

    def install(self, names: Sequence[str], recommends: bool) -> Transaction:
        model = self.model
        tx = Transaction(requested=set(names))
        chosen: list[str] = []
        for name in names:
            if not self.known(name):
                tx.errors.append(f"E: Unable to locate package {name}")
                continue
            installed = model.installed.get(name)
            offer = model.offers.get(name)
            if (
                installed
                and installed.status == "i"
                and (offer is None or offer.version == installed.version)
            ):
                tx.notes.append(f"{name} is already the newest version ({installed.version}).")
                if name in model.auto:
                    tx.notes.append(f"{name} set to manually installed.")
                continue
            if offer is None:
                tx.errors.append(f"E: Package '{name}' has no installation candidate")
                continue
            chosen.append(name)
        if tx.errors:
            return tx
        order: list[str] = []
        self._add_with_dependencies(chosen, order, tx, recommends, set())
        tx.install = order
        tx.remove = self._conflicting(order)
        return tx

    def _add_with_dependencies(
        self,
        names: Sequence[str],
        order: list[str],
        tx: Transaction,
        recommends: bool,
        visiting: set[str],
    ) -> None:
        """Append `names` to `order`, each after the missing packages it needs (depth first).

        A package being visited counts as available, so dependency cycles end."""
        model = self.model
        for name in names:
            if name in order or name in visiting:
                continue
            visiting.add(name)
            offer = model.offers[name]
            groups = list(offer.depends) + (list(offer.recommends) if recommends else [])
            for group in groups:
                have = (model.present() - set(tx.remove)) | set(order) | visiting
                if model.satisfied(group, have):
                    continue
                pick = self._installable_alternative(group)
                if pick is None:
                    if group in offer.depends and any(is_nvidia_related(n) for n in group):
                        tx.unmet.append(
                            f" {name} : Depends: {' | '.join(group)} but it is not installable"
                        )
                    # other missing names are outside the captured apt data: assume present
                    continue
                self._add_with_dependencies([pick], order, tx, recommends, visiting)
            order.append(name)

    def _installable_alternative(self, group: Alternatives) -> str | None:
        """The first alternative apt offers, else the first offered package providing one."""
        for alt in group:
            if alt in self.model.offers:
                return alt
        for alt in group:
            providers = sorted(n for n, o in self.model.offers.items() if alt in o.provides)
            if providers:
                return providers[0]
        return None

    def _conflicting(self, new: Sequence[str]) -> list[str]:
        """Installed packages the new ones conflict with (Ubuntu's branch packages do)."""
        model = self.model
        victims = set()
        for name in new:
            conflicts = set(model.offers[name].conflicts)
            for other in model.present() - set(new):
                names = {other, *model.provides(other)}
                if other != name and conflicts & names:
                    victims.add(other)
        if not victims:
            return []
        return self._with_dependents(victims, keep=frozenset(new))

    def _with_dependents(self, names: set[str], keep: frozenset[str] = frozenset()) -> list[str]:
        """`names` plus every installed package that depends on them only (apt removes those)."""
        model = self.model
        removing = set(names)
        changed = True
        while changed:
            changed = False
            remaining = (model.present() | keep) - removing
            for other in sorted(model.present() - removing - keep):
                for group in model.dependencies(other):
                    broken = any(alt in removing for alt in group)
                    if broken and not model.satisfied(group, remaining - {other}):
                        removing.add(other)
                        changed = True
                        break
        return sorted(removing)

    def remove(self, names: Sequence[str], purge: bool) -> Transaction:
        model = self.model
        tx = Transaction(purge=purge, requested=set(names))
        targets = set()
        for name in names:
            installed = model.installed.get(name)
            if installed is None:
                if name in model.offers:
                    tx.notes.append(f"Package '{name}' is not installed, so not removed")
                else:
                    tx.errors.append(f"E: Unable to locate package {name}")
                continue
            if not installed.present and not purge:
                tx.notes.append(f"Package '{name}' is not installed, so not removed")
                continue
            targets.add(name)
        if tx.errors:
            return tx
        present_targets = {n for n in targets if model.installed[n].present}
        tx.remove = sorted(set(self._with_dependents(present_targets)) | targets)
        return tx

    def autoremovable(self, removing: Iterable[str] = ()) -> list[str]:
        """Automatically installed packages nothing that stays needs any more."""
        model = self.model
        staying = model.present() - set(removing)
        needed: set[str] = set()
        # what was installed by hand and what is held stays, and so does what they need
        # (apt never autoremoves a held package: held.py)
        frontier = [n for n in staying if n not in model.auto or model.installed[n].want == "h"]
        while frontier:
            name = frontier.pop()
            for group in model.dependencies(name):
                for alt in group:
                    providers = {alt} | {n for n in staying if alt in model.provides(n)}
                    for provider in providers & staying:
                        if provider not in needed:
                            needed.add(provider)
                            frontier.append(provider)
        return sorted(
            n
            for n in staying
            if n in model.auto and n not in needed and model.installed[n].want != "h"
        )


def dependency_order(model: MachineModel, names: Sequence[str]) -> list[str]:
    """`names` with each package after the ones it depends on (dpkg --configure -a order)."""
    pending, ordered = set(names), []

    def visit(name: str, seen: set[str]) -> None:
        if name in ordered or name in seen:
            return
        seen.add(name)
        for group in model.dependencies(name):
            for alt in group:
                if alt in pending:
                    visit(alt, seen)
        ordered.append(name)

    for name in sorted(pending):
        visit(name, set())
    return ordered
