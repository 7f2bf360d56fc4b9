"""The GPU services around the driver change: stopped before the old driver goes; after the
install, fabric manager on NVSwitch boards, the optional hold and nvidia-persistenced, and
the reboot the user agreed to."""

from __future__ import annotations

import shlex

from nvwizard.knowledge import kernel_modules as km
from nvwizard.plan import models as pm
from nvwizard.plan.models import Step
from nvwizard.report.models import Report

REBOOT_MESSAGE = "nvwizard: rebooting to load the new NVIDIA driver"
REBOOT_ARGV = ["shutdown", "-r", "+1", REBOOT_MESSAGE]


def stop_services(report: Report) -> tuple[list[Step], list[str]]:
    """NVIDIA's GPU services that run (DCGM, nvidia-powerd, fabric manager, persistenced) hold
    the driver open with its libraries: stopped, by exact unit, before the purge or in-place
    replacement removes them. The purge of fabric manager's and persistenced's packages would
    stop those, but DCGM's package is kept and nothing else stops nv-hostengine. Enabled ones
    start again at the reboot (or when the driver is loaded without one); a running service
    that is not enabled does not: a warning says so. Returns (steps, warnings)."""
    running = km.stop_order({u.name for u in report.gpu_services if u.active == "active"})
    if not running:
        return [], []
    why = (
        f"{', '.join(u.removesuffix('.service') for u in running)} "
        f"{'holds' if len(running) == 1 else 'hold'} the driver open "
        "(/dev/nvidia*) with the old driver's libraries, which the next steps remove."
    )
    if any(s.process == "nv-hostengine" and s.unit in running for s in km.GPU_SERVICES):
        why += " DCGM's package stays, so nothing else would stop its nv-hostengine."
    step = Step(
        id="stop-services",
        title="Stop the GPU services",
        why=why + " The enabled ones start again with the new driver at the reboot (or when "
        "it is loaded without one).",
        commands=[["systemctl", "stop", unit] for unit in running],
        changes_system=True,
        on_failure="Nothing is removed yet: the service's log says why it did not stop; apply "
        "again once it is stopped.",
        kind=pm.STOP_SERVICES,
    )
    enabled = {u.name for u in report.gpu_services if u.enabled == "enabled"}
    known = any(u.enabled is not None for u in report.gpu_services)
    unstarted = [u for u in running if known and u not in enabled]
    warnings = [
        f"{unit.removesuffix('.service')} runs but is not enabled: the plan stops it, and the "
        f"reboot does not start it again; start it with the new driver (`"
        f"{shlex.join(['sudo', 'systemctl', 'start', unit])}`)."
        for unit in unstarted
    ]
    return [step], warnings


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


def hold_step(
    packages: list[str], carried_from: list[str] | None = None, free: list[str] | None = None
) -> Step:
    """`apt-mark hold` on `packages`: the driver's (`--hold`), or only what replaces the
    packages an administrator held (`carried_from`: those, released by the repair step).
    `free`: the planned packages left unheld because they follow the kernel (said why)."""
    if not carried_from:
        why = (
            "Unattended upgrades then cannot replace the libraries under the loaded module "
            "(the NVML version mismatch)."
        )
        if free:
            why += (
                f" Not held: {', '.join(free)}, which must follow kernel updates so the next "
                "kernel gets its headers and NVIDIA modules."
            )
        return Step(
            id="hold",
            title="Hold the driver packages",
            why=why,
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
