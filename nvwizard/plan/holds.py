"""The administrator's holds on the packages a plan changes: released first (repair.py), then
carried over to what replaces them, never dropped in silence.

An `apt-mark hold` on an NVIDIA package says "do not let upgrades move this": the plan must
release it to purge or replace the package, and then holds the package that takes its place
(the new branch's of the same name: nvidia-fabricmanager-535 -> nvidia-fabricmanager-595,
libnvidia-nscq-535 -> libnvidia-nscq-595), in a listed step after the install, with a warning
that says so. A held driver package with no namesake in the new driver (a headless install has
no nvidia-driver-*) passes its hold to the new driver's packages. `--hold` holds every package
the plan installs, which covers these. Neither holds what must follow kernel updates (the
headers, the signed modules' metapackage: knowledge's `follows_the_kernel`).

With --keep-installed nothing is purged, but the install replaces the installed branch in
place (apt's Conflicts, see replaced.py), and apt refuses to replace a held package: the holds
on the installed driver packages of another branch are released and carried over the same way.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from nvwizard.knowledge.packages import branch_of_version, holdable, is_driver_package
from nvwizard.plan.replaced import Replacement, pair_replacements
from nvwizard.report.models import Report


@dataclass(frozen=True)
class CarriedHolds:
    pairs: list[Replacement] = field(default_factory=list)  # held old -> the new one (or None)
    packages: list[str] = field(default_factory=list)  # what the plan holds after the install
    to_driver: list[str] = field(default_factory=list)  # held, no namesake: the new driver's

    def warning(self) -> str:
        """What the plan does with each hold it releases; "" when it releases none."""
        if not self.pairs:
            return ""
        said = []
        for pair in self.pairs:
            if pair.new == pair.old:
                said.append(f"{pair.old} (installed again)")
            elif pair.new is not None:
                said.append(f"{pair.old} -> {pair.new}")
            elif pair.old in self.to_driver:
                said.append(f"{pair.old} -> the new driver's packages")
            else:
                said.append(f"{pair.old} -> nothing replaces it")
        return (
            f"Held by an administrator: {', '.join(p.old for p in self.pairs)}. The plan releases "
            "the hold to change them, then holds what takes their place after the install (the "
            f"hold step): {'; '.join(said)}."
        )


def carry_holds(
    released: list[str], driver_packages: list[str], driver_install: list[str]
) -> CarriedHolds:
    """Each hold the plan releases (`released`), paired with the planned package that takes
    its place. `driver_packages`: everything the plan installs for the driver (fabric manager
    and NSCQ included); `driver_install`: the driver's own packages, which take the hold of a
    held driver package that has no namesake among them."""
    if not released:
        return CarriedHolds()
    pairs = pair_replacements(released, driver_packages)
    held = [p.new for p in pairs if p.new is not None]
    orphans = [p.old for p in pairs if p.new is None and is_driver_package(p.old)]
    if orphans:
        held += holdable(driver_install)  # not the headers or modules that follow the kernel
    packages = [name for name in driver_packages if name in held]
    return CarriedHolds(pairs=pairs, packages=packages, to_driver=orphans)


def blocking_holds(
    report: Report, changed: list[str], new_branch: int | None, in_place: bool
) -> list[str]:
    """The held packages the plan must release: those it purges or installs (`changed`), and,
    replacing in place (`in_place`: --keep-installed), the installed driver packages of another
    branch than `new_branch`, which the install replaces through apt's Conflicts."""
    held = set(report.held_packages)
    blocking = held & set(changed)
    if in_place:
        blocking |= {
            e.name
            for e in report.installed_packages
            if e.name in held
            and e.state[1:2] == "i"
            and is_driver_package(e.name)
            and branch_of_version(e.version) not in (None, new_branch)
        }
    return sorted(blocking)


def kernel_update_warning(held: list[str], driver_install: list[str], modules: str) -> str | None:
    """What a hold on the driver's own packages does when the kernel changes, where the modules
    are Canonical's signed ones: the modules for a new kernel are built for the archive's
    current driver and depend on its packages at that version, so with the driver held apt
    keeps them back (or keeps back the kernel upgrade) and the new kernel boots without the
    driver. `held`: what the hold step holds; None where it holds none of the driver's."""
    if modules != "signed" or not set(held) & set(holdable(driver_install)):
        return None
    metapackage = next((p for p in driver_install if p not in holdable([p])), None)
    pulled = f" ({metapackage} pulls them)" if metapackage else ""
    return (
        "The hold keeps the driver at its version when the kernel is updated: Canonical's "
        f"signed NVIDIA modules for a new kernel{pulled} are built for the archive's newest "
        "driver, and when that needs newer driver packages than the held ones apt keeps the "
        "modules back (or the kernel upgrade), and the new kernel boots without the NVIDIA "
        "driver. After each upgrade, look for kept-back linux-modules-nvidia-* or linux-image-* "
        "packages in `apt list --upgradable`; when the kernel changes, release the hold "
        f"(`{shlex.join(['apt-mark', 'unhold', *held])}`), upgrade, and hold again."
    )


# The hold step's own line, where `kernel_update_warning` applies.
KERNEL_UPDATE_NOTE = (
    "While the driver is held, a kernel update can leave the new kernel without NVIDIA "
    "modules: watch `apt list --upgradable` and release the hold when the kernel changes (see "
    "the warnings)."
)
