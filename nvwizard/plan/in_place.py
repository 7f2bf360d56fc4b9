"""What an in-place branch replacement (--keep-installed) leaves installed, said to the user.

apt's Conflicts replace the old branch's packages that share a virtual name with the new
branch's (replaced.py); the others (desktop libraries, firmware, on Ubuntu the old
nvidia-kernel-common) stay installed, needed by nothing of the new driver. A careful
administrator wants them listed, not found later: the simulation's notes name them with the
command that removes them. nvwizard leaves them, as --keep-installed asks.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection

from nvwizard.plan.models import Plan
from nvwizard.plan.purge import KEPT_INSTALLED
from nvwizard.plan.replaced import Replacement


def left_behind(
    plan: Plan, removed: Collection[str], new: Collection[str], replaced: list[Replacement]
) -> list[str]:
    """--keep-installed: the installed packages of the branches the install replaces in place
    (`replaced`) that it neither removes (`removed`) nor installs or upgrades (`new`)."""
    branches = {branch_in_name(r.old) for r in replaced} - {None, plan.branch}
    if plan.choices.purge or not branches:
        return []
    return sorted(
        k.name
        for k in plan.kept_list
        if k.reason == KEPT_INSTALLED
        and k.name not in removed
        and k.name not in new
        and branch_in_name(k.name) in branches
    )


def left_behind_notes(
    plan: Plan, removed: Collection[str], new: Collection[str], replaced: list[Replacement]
) -> list[str]:
    names = left_behind(plan, removed, new, replaced)
    if not names:
        return []
    return [
        f"--keep-installed leaves {len(names)} packages of the replaced branch installed, which "
        f"nothing of the new driver needs: {', '.join(names)} (apt's autoremove takes those "
        f"installed as dependencies). `{shlex.join(['sudo', 'apt-get', 'purge', *names])}` "
        "removes them once the new driver runs; the default (a purge first) leaves none."
    ]


def branch_in_name(name: str) -> int | None:
    """nvidia-utils-535-server, nvidia-firmware-535-server-535.247.01 -> 535."""
    match = re.search(r"-(\d{3})(?:-|$)", name)
    return int(match.group(1)) if match else None
