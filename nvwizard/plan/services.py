"""The steps after the install: fabric manager on NVSwitch boards, the optional hold and
nvidia-persistenced, and the reboot the user agreed to."""

from __future__ import annotations

import shlex

from nvwizard.plan import models as pm
from nvwizard.plan.models import Step

REBOOT_MESSAGE = "nvwizard: rebooting to load the new NVIDIA driver"
REBOOT_ARGV = ["shutdown", "-r", "+1", REBOOT_MESSAGE]


def fabric_manager_step(fabricmanager: str) -> Step:
    return Step(
        id="fabric-manager",
        title="Enable fabric manager",
        why=f"NVSwitch boards need {fabricmanager} running at the driver's version before CUDA "
        "can use the GPUs.",
        commands=[["systemctl", "enable", "nvidia-fabricmanager.service"]],
        changes_system=True,
        on_failure="Run `systemctl enable nvidia-fabricmanager` after the reboot.",
        kind=pm.FABRIC_MANAGER,
    )


def hold_step(packages: list[str], carried_from: list[str] | None = None) -> Step:
    """`apt-mark hold` on `packages`: the driver's (`--hold`), or only what replaces the
    packages an administrator held (`carried_from`: those, released by the repair step)."""
    if not carried_from:
        return Step(
            id="hold",
            title="Hold the driver packages",
            why="Unattended upgrades then cannot replace the libraries under the loaded module "
            "(the NVML version mismatch).",
            commands=[["apt-mark", "hold", *packages]],
            changes_system=True,
            on_failure="Run `apt-mark hold` on the packages later; the driver works without it.",
            kind=pm.HOLD,
        )
    return Step(
        id="hold",
        title="Carry the administrator's holds over",
        why=f"An administrator held {', '.join(carried_from)}; the plan released them to "
        f"change them, and holds what takes their place ({', '.join(packages)}) the same way, "
        "so no upgrade moves them either (`apt-mark unhold` releases them).",
        commands=[["apt-mark", "hold", *packages]],
        changes_system=True,
        on_failure=f"Run `{shlex.join(['apt-mark', 'hold', *packages])}` later: they are not "
        "on hold until then.",
        kind=pm.HOLD,
    )


def persistenced_step() -> Step:
    return Step(
        id="persistenced",
        title="Enable nvidia-persistenced",
        why="Keeps the GPUs initialised between jobs on a server, so each job starts fast.",
        commands=[["systemctl", "enable", "nvidia-persistenced.service"]],
        changes_system=True,
        on_failure="Run `systemctl enable nvidia-persistenced` later; the driver works without it.",
        kind=pm.PERSISTENCED,
    )


def reboot_step() -> Step:
    return Step(
        id="reboot",
        title="Schedule the reboot in one minute",
        why="The new kernel module is only used after a reboot; the minute lets this session "
        "end cleanly (`shutdown -c` cancels it).",
        commands=[REBOOT_ARGV],
        changes_system=True,
        on_failure="Reboot by hand: `sudo reboot`.",
        kind=pm.REBOOT,
    )
