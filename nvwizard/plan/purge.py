"""What the purge takes (an explicit list of names), what it keeps and why, and its two steps:
`apt-get purge <names>` then `apt-get autoremove --purge`."""

from __future__ import annotations

from nvwizard.errors import UsageError, shown
from nvwizard.knowledge.packages import purge_selection
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


def purge_lists(
    report: Report, choices: Choices, fabric: list[str]
) -> tuple[list[str], list[KeptPackage], list[str]]:
    """(purge list, kept list, warnings) from the installed packages and the choices.

    `fabric`: the new branch's fabric manager and NSCQ library, when the plan installs them."""
    installed = [p for p in report.installed_packages if len(p.state) < 2 or p.state[1] != "n"]
    selection = purge_selection(installed)
    warnings: list[str] = []
    purge = [e.name for e in selection.to_purge]
    kept = list(selection.kept)
    if not choices.purge:
        kept = [KeptPackage(n, KEPT_INSTALLED) for n in purge]
        kept += selection.kept
        return [], kept, warnings
    if fabric:
        warnings += _replace_old_fabric_manager(choices, fabric, purge, kept)
    for name in choices.also_purge:
        item = next((k for k in kept if k.name == name), None)
        if item is None and name not in purge:
            raise UsageError(
                f"--also-purge {shown(name)}: not an installed package that a purge keeps"
            )
        if item is not None:
            kept.remove(item)
            purge.append(name)
    for name in choices.keep:
        kept_already = next((k for k in kept if k.name == name), None)
        if kept_already is not None and name.startswith(_FABRIC_PREFIXES):
            # another branch's fabric manager or NSCQ, which the plan would replace: kept
            kept[kept.index(kept_already)] = KeptPackage(name, "kept: unticked by you")
            continue
        if name not in purge:
            raise UsageError(f"--keep {shown(name)}: not in the purge list")
        purge.remove(name)
        kept.append(KeptPackage(name, "kept: unticked by you"))
    return sorted(purge), kept, warnings


def _replace_old_fabric_manager(
    choices: Choices, fabric: list[str], purge: list[str], kept: list[KeptPackage]
) -> list[str]:
    """Move another branch's fabric manager and NSCQ from `kept` to `purge`: the new branch's
    (`fabric`) replace them, as their versions must match the driver's. Returns the warnings."""
    warnings = []
    fabricmanager, nscq = fabric
    for item in list(kept):
        if item.name.startswith(_FABRIC_PREFIXES) and (
            item.name not in fabric and item.name not in choices.keep
        ):
            kept.remove(item)
            purge.append(item.name)
            warnings.append(
                f"{item.name} is replaced by the new branch's "
                f"{fabricmanager if 'fabric' in item.name else nscq}."
            )
    return warnings


def purge_steps(choices: Choices, purge: list[str]) -> list[Step]:
    """The purge of exactly `purge`, then the autoremove; none when nothing is purged."""
    if not purge:
        return []
    return [
        Step(
            id="purge",
            title=f"Purge the {len(purge)} installed NVIDIA driver packages",
            why="Two drivers must never be mixed: the old one goes completely, by exact name; "
            "the container toolkit and other kept packages stay.",
            commands=[apt_get(choices, "purge", *purge)],
            changes_system=True,
            on_failure="Nothing new is installed yet: read the log, fix the cause, apply again.",
            kind=pm.PURGE,
        ),
        Step(
            id="autoremove",
            title="Remove what only the old driver needed",
            why="Libraries pulled in for the old driver would otherwise stay behind.",
            commands=[apt_get(choices, "autoremove", "--purge")],
            changes_system=True,
            on_failure="Harmless to leave: apply again or run `apt-get autoremove --purge` later.",
            kind=pm.AUTOREMOVE,
        ),
    ]
