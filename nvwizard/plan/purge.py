"""What the purge takes (an explicit list of names), what it keeps and why, what it leaves to
autoremove, and its two steps: `apt-get purge <names>` then `apt-get autoremove --purge`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from nvwizard.detect.models import DpkgEntry
from nvwizard.errors import UsageError, shown
from nvwizard.knowledge.packages import branch_of_version, left_to_autoremove, purge_selection
from nvwizard.plan import models as pm
from nvwizard.plan.apt import apt_get
from nvwizard.plan.models import Choices, KeptPackage, Step
from nvwizard.report.models import Report

# An installed driver package under --keep-installed: a new branch replaces its packages in
# place through apt's Conflicts (the normal upgrade path), which the simulation lists.
KEPT_INSTALLED = (
    "kept (--keep-installed) unless the new driver replaces it through apt's Conflicts "
    "(the simulation shows old -> new)"
)

_FABRIC_PREFIXES = ("nvidia-fabricmanager-", "libnvidia-nscq-")

# dpkg's purge deletes a package's conffiles, changed or not; fabric manager's settings file is
# one (NVIDIA's packaging lists it in debian/conffiles), so a reinstall starts from the default.
FABRIC_MANAGER_CONFIG_RESET = (
    "The purge deletes its configuration file /usr/share/nvidia/nvswitch/fabricmanager.cfg, "
    "edits included (FABRIC_MODE, say), and the install puts the packaged default back: if you "
    "changed it, copy it first and put your settings back after the install."
)


@dataclass(frozen=True)
class PurgeLists:
    purge: list[str]  # purged by name, sorted
    kept: list[KeptPackage]  # installed NVIDIA packages that stay, and why
    # kept by default, but only purged packages need them: autoremove takes them (see
    # knowledge.packages.left_to_autoremove), so they are not in `kept`
    autoremoved: list[str]
    warnings: list[str]
    also_purged: list[str] = field(default_factory=list)  # kept by default, purged as asked


def check_purge_options(purge: bool, keep: Sequence[str], also_purge: Sequence[str]) -> None:
    """`--keep` and `--also-purge` change the purge list, and `--keep-installed` purges nothing:
    together they are refused (exit 2), never one silently ignored. The CLI and `export` check
    their options with this, and `purge_lists` every plan's choices. So is one package named
    by both `--keep` and `--also-purge`."""
    both = [name for name in keep if name in also_purge]
    if both:
        raise UsageError(
            f"--keep {shown(both[0])} and --also-purge {shown(both[0])} contradict each other: "
            "the package cannot be kept and purged; drop one"
        )
    if purge:
        return
    for option, names in (("--keep", keep), ("--also-purge", also_purge)):
        if names:
            raise UsageError(
                f"--keep-installed and {option} {shown(names[0])} contradict each other: "
                f"--keep-installed purges nothing, so {option} would be ignored; drop one"
            )


def purge_lists(report: Report, choices: Choices, fabric: list[str]) -> PurgeLists:
    """The purge, kept and autoremoved lists and the warnings, from the installed packages and
    the choices.

    `fabric`: the new branch's fabric manager and NSCQ library, when the plan installs them."""
    installed = [p for p in report.installed_packages if len(p.state) < 2 or p.state[1] != "n"]
    selection = purge_selection(installed)
    warnings: list[str] = []
    purge = [e.name for e in selection.to_purge]
    kept = list(selection.kept)
    check_purge_options(choices.purge, choices.keep, choices.also_purge)
    if not choices.purge:
        kept = [KeptPackage(n, KEPT_INSTALLED) for n in purge]
        kept += selection.kept
        purge = []
        if fabric:  # another branch's fabric manager would stay beside the new one: purged
            warnings += _purge_fabric_manager_with_driver(choices, fabric, purge, kept, set())
        return PurgeLists(sorted(purge), kept, [], warnings)
    if fabric:
        warnings += _purge_fabric_manager_with_driver(
            choices, fabric, purge, kept, _branches_of(selection.to_purge)
        )
    also_purged = []
    installed_names = {p.name for p in installed}
    for name in choices.also_purge:
        item = next((k for k in kept if k.name == name), None)
        if name not in installed_names:
            # nothing to purge: said, not refused, so that one command serves a fleet whose
            # hosts differ, and a rollout run again after the purge (as --accept does)
            warnings.append(
                f"Not needed: --also-purge {shown(name)} (not among the NVIDIA packages "
                "installed here: nothing to purge)"
            )
            continue
        if item is None and name not in purge:
            raise UsageError(
                f"--also-purge {shown(name)}: not an installed package that a purge keeps"
            )
        if item is not None:
            kept.remove(item)
            purge.append(name)
            also_purged.append(name)
    for name in choices.keep:
        kept_already = next((k for k in kept if k.name == name), None)
        if kept_already is not None and name.startswith(_FABRIC_PREFIXES):
            # a fabric manager or NSCQ the plan would purge and replace: kept
            kept[kept.index(kept_already)] = KeptPackage(name, "kept: unticked by you")
            continue
        if name not in purge:
            raise UsageError(f"--keep {shown(name)}: not in the purge list")
        purge.remove(name)
        kept.append(KeptPackage(name, "kept: unticked by you"))
    autoremoved = left_to_autoremove(purge, [k.name for k in kept])
    kept = [k for k in kept if k.name not in autoremoved]
    return PurgeLists(sorted(purge), kept, autoremoved, warnings, also_purged)


def _purge_fabric_manager_with_driver(
    choices: Choices,
    fabric: list[str],
    purge: list[str],
    kept: list[KeptPackage],
    purged_branches: set[int],
) -> list[str]:
    """Move a kept fabric manager and NSCQ from `kept` to `purge`, as the plan installs the new
    branch's (`fabric`) and their versions must match the driver's: another branch's, which
    the new branch's replace, and the new branch's own when the purge takes that branch's
    driver packages (`purged_branches`): fabric manager depends on them, so apt would remove it
    unconfirmed; the install brings it back. A package the user keeps (--keep) stays.
    Returns the warnings."""
    warnings = []
    for item in list(kept):
        if not item.name.startswith(_FABRIC_PREFIXES) or item.name in choices.keep:
            continue
        new = fabric[0] if item.name.startswith(_FABRIC_PREFIXES[0]) else fabric[1]
        branch = _branch_of_name(item.name)
        if item.name != new:
            warning = f"{item.name} is replaced by the new branch's {new}."
        elif branch in purged_branches:
            warning = (
                f"{item.name} goes with the branch {branch} driver this plan purges (its "
                "version must match the driver's): it is purged too and installed again with "
                "the driver."
            )
        else:
            continue  # its driver stays: the install keeps it (or upgrades it) in place
        kept.remove(item)
        purge.append(item.name)
        if item.name.startswith(_FABRIC_PREFIXES[0]):
            warning += " " + FABRIC_MANAGER_CONFIG_RESET
        warnings.append(warning)
    return warnings


def _branches_of(entries: list[DpkgEntry]) -> set[int]:
    """The driver branches of installed packages, by their versions (535.247.01-... -> 535).
    A package left as its config files (rc) counts not: nothing installed depends on it."""
    branches = {branch_of_version(e.version) for e in entries if e.state[1:2] != "c"}
    return {b for b in branches if b is not None}


def _branch_of_name(name: str) -> int | None:
    """nvidia-fabricmanager-595, libnvidia-nscq-595 -> 595."""
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def purge_steps(
    choices: Choices, lists: PurgeLists, config_only: Collection[str] = ()
) -> list[Step]:
    """The purge of exactly `lists.purge`, then the autoremove; none when nothing is purged.
    With --keep-installed, only another branch's fabric manager and NSCQ, and no autoremove.
    `config_only`: the packages dpkg lists as removed with their config files left."""
    purge = lists.purge
    if not purge:
        return []
    if not choices.purge:
        return [_fabric_purge_step(choices, purge)]
    autoremove_why = "Libraries pulled in for the old driver would otherwise stay behind."
    if lists.autoremoved:
        autoremove_why += (
            f" It also takes {', '.join(lists.autoremoved)}: only packages purged here need "
            f"{'it' if len(lists.autoremoved) == 1 else 'them'}."
        )
    return [
        Step(
            id="purge",
            title=_purge_title(len(purge), len(set(purge) & set(config_only))),
            why=_purge_why(lists),
            commands=[apt_get(choices, "purge", *purge)],
            changes_system=True,
            on_failure="Nothing new is installed yet: read the log, fix the cause, apply again.",
            kind=pm.PURGE,
        ),
        Step(
            id="autoremove",
            title="Remove what only the old driver needed",
            why=autoremove_why,
            commands=[apt_get(choices, "autoremove", "--purge")],
            changes_system=True,
            on_failure="Harmless to leave: apply again or run `apt-get autoremove --purge` later.",
            kind=pm.AUTOREMOVE,
        ),
    ]


def _purge_why(lists: PurgeLists) -> str:
    why = "Two drivers must never be mixed: the old one goes completely, by exact name"
    if not lists.also_purged:
        return why + "; the container toolkit and other kept packages stay."
    why += f", with what you chose to purge too ({', '.join(lists.also_purged)})"
    return why + ("; the other kept packages stay." if lists.kept else ".")


def _fabric_purge_step(choices: Choices, purge: list[str]) -> Step:
    """--keep-installed on an NVSwitch machine: apt replaces the driver in place, but another
    branch's fabric manager and NSCQ conflict with nothing and would stay beside the new
    branch's, at the old driver's version (fabric manager refuses to start)."""
    return Step(
        id="purge",
        title=f"Purge the other branch's fabric manager ({len(purge)} packages)",
        why="--keep-installed leaves the driver to apt's in-place replacement, but another "
        "branch's fabric manager and NSCQ library would stay beside the new branch's, which "
        "the install brings: both must match the driver's version. Purged by exact name; "
        "nothing else is purged.",
        commands=[apt_get(choices, "purge", *purge)],
        changes_system=True,
        on_failure="Nothing new is installed yet: read the log, fix the cause, apply again.",
        kind=pm.PURGE,
    )


def _purge_title(count: int, config_only: int) -> str:
    """`config_only`: how many of them dpkg lists as `rc`, removed with their config files
    left: purged too, but not installed."""
    if not config_only:
        return f"Purge the {count} installed NVIDIA driver packages"
    return f"Purge the {count} NVIDIA driver packages ({config_only} of them config files only)"
