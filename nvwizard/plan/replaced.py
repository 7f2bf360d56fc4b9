"""In-place branch replacement: the installed driver's packages that the install removes.

Ubuntu's branch packages provide, conflict with and replace one shared virtual name
(`nvidia-utils`, `libnvidia-compute`, `nvidia-kernel-source`, `nvidia-dkms-kernel`,
`nvidia-driver-binary`), so `apt-get install nvidia-driver-570-server` on a machine with 535
removes the 535 packages: the normal upgrade path, shown to the user as "replaced" (old ->
new) and allowed with the confirmation. Any other removal still stops the plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from nvwizard.knowledge.packages import is_driver_package
from nvwizard.plan.models import Plan

_FABRIC_PREFIXES = ("nvidia-fabricmanager-", "libnvidia-nscq-")
# name parts that say which branch or variant: "535", "570.211.01", "server", "open"
_BRANCH_PART = re.compile(r"^(\d{3}(\.\d+)*|server|open)$")


@dataclass(frozen=True, kw_only=True)
class Replacement:
    old: str  # "nvidia-utils-535-server"
    new: str | None  # "nvidia-utils-570-server"; None when nothing takes its place

    def describe(self) -> str:
        if self.new is None:
            return f"{self.old} -> (goes with the old branch)"
        return f"{self.old} -> {self.new}"


def may_replace(plan: Plan, name: str) -> bool:
    """Whether the install may remove `name` as part of the old driver it replaces.

    The installed driver's own packages (what a purge would take) qualify, and another
    branch's fabric manager or NSCQ library when the plan installs its own. A package the
    user chose to keep (--keep) never does."""
    if name in plan.choices.keep:
        return False
    if name.startswith(_FABRIC_PREFIXES):
        prefix = next(p for p in _FABRIC_PREFIXES if name.startswith(p))
        return any(p.startswith(prefix) and p != name for p in plan.install_list)
    return is_driver_package(name)


def branch_neutral(name: str) -> str:
    """The name without its branch and variant: nvidia-utils-535-server -> nvidia-utils."""
    return "-".join(part for part in name.split("-") if not _BRANCH_PART.match(part))


def pair_replacements(removed: Iterable[str], installed: Iterable[str]) -> list[Replacement]:
    """Each removed package with the new package of the same name but for the branch."""
    new_by_key: dict[str, str] = {}
    for name in sorted(installed):
        new_by_key.setdefault(branch_neutral(name), name)
    return [
        Replacement(old=old, new=new_by_key.get(branch_neutral(old))) for old in sorted(removed)
    ]
