"""The steps that load the installed driver without a reboot, once the decision says it is safe
(report/activation.py). Each step is shown and journaled like an install's; the engine checks
each one (engine/activate.py):

1. stop the GPU services that run (`systemctl stop`: DCGM, fabric manager, persistenced),
   so nothing holds /dev/nvidia*;
2. unload the old modules, each user before the module it uses (`modprobe -r nvidia_uvm`,
   nvidia_drm, nvidia_modeset, nvidia_peermem, nvidia); only the ones loaded now;
3. unload nouveau, when it is loaded (the new packages blacklist it from the next boot);
4. load the new ones (`modprobe nvidia`, nvidia_uvm, and nvidia_modeset and nvidia_drm where
   they were loaded or the machine has a desktop, nvidia_peermem where it was loaded);
5. start the services again, and the enabled ones a boot would have started;
6. verify, as `nvwizard verify` does after a reboot.

On a fresh machine (no nvidia module, nothing holding nouveau) this is step 3 and 4 alone.
"""

from __future__ import annotations

from dataclasses import replace

from nvwizard.knowledge import kernel_modules as km
from nvwizard.knowledge.packages import parse_driver_package
from nvwizard.plan import models as pm
from nvwizard.plan.demo_words import for_demo
from nvwizard.plan.models import Choices, Plan, Step
from nvwizard.report.activation import Activation, ActivationFacts, fabric_manager_gap

KEPT = "The old driver keeps running and the services start again"  # after a failed unload
STEP_IDS = (
    "stop-gpu-services",
    "unload-nvidia",
    "unload-nouveau",
    "load-nvidia",
    "start-gpu-services",
    "verify-driver",
)


def build_activation_plan(facts: ActivationFacts, activation: Activation, host_label: str) -> Plan:
    """The steps for a LOAD verdict (ValueError for another: there is nothing safe to do)."""
    if not activation.safe:
        raise ValueError(f"the decision is {activation.verdict!r}, not a load: {activation.reason}")
    steps: list[Step] = []
    if activation.stop_services:
        steps.append(stop_services_step(list(activation.stop_services)))
    if facts.nvidia_modules:
        names = sorted((m.name for m in facts.nvidia_modules), key=km.unload_rank)
        steps.append(unload_nvidia_step(names, facts.loaded_version))
    if facts.nouveau is not None:
        steps.append(unload_nouveau_step())
    roles = {km.module_role(m.name) or "" for m in facts.nvidia_modules}
    steps.append(load_step(km.modules_to_load(roles, facts.desktop, facts.branch), facts))
    if activation.start_services:
        steps.append(start_services_step(list(activation.start_services)))
    steps.append(verify_driver_step())
    driver = parse_driver_package(activation.driver)
    plan = Plan(
        steps=steps,
        choices=Choices(driver=activation.driver, purge=False, headless=not facts.desktop),
        host_label=host_label,
        driver=activation.driver,
        flavour=driver.flavour if driver else "",
        branch=facts.branch,
        modules=facts.module_source or "",
        warnings=list(activation.notes),
        purpose=pm.ACTIVATE_PLAN,
    )
    return _without_fabric_manager(
        for_demo(plan, facts.demo, reboot_first=facts.pending_kernel is not None),
        fabric_manager_gap(facts),
    )


def _without_fabric_manager(plan: Plan, gap: str | None) -> Plan:
    """A failed unload leaves the old driver running, and where the install replaced fabric
    manager with the new branch's (`gap`), without one: the unload's `on_failure` says so."""
    if gap is None:
        return plan
    plan.steps = [
        replace(step, on_failure=step.on_failure.replace(KEPT, f"{KEPT}, {gap}", 1))
        if step.id == "unload-nvidia"
        else step
        for step in plan.steps
    ]
    return plan


def stop_services_step(units: list[str]) -> Step:
    return Step(
        id="stop-gpu-services",
        title="Stop the GPU services",
        why="They keep /dev/nvidia* open, so the old module could not be unloaded; they start "
        "again with the new driver.",
        commands=[["systemctl", "stop", unit] for unit in units],
        changes_system=True,
        on_failure="Start them again (`systemctl start ...`) and reboot instead.",
        kind=pm.STOP_SERVICES,
    )


def unload_nvidia_step(modules: list[str], version: str | None) -> Step:
    old = f"nvidia {version}" if version else "the old nvidia driver"
    return Step(
        id="unload-nvidia",
        title="Unload the old driver's modules",
        why=f"{old} leaves the kernel, each module after the ones that use it; if one is in "
        "use, nothing more is unloaded and the old driver keeps running.",
        commands=[["modprobe", "-r", name] for name in modules],
        changes_system=True,
        on_failure=f"{KEPT}; stop what uses the GPU and activate again, or reboot.",
        kind=pm.UNLOAD,
    )


def unload_nouveau_step() -> Step:
    return Step(
        id="unload-nouveau",
        title="Unload nouveau",
        why="nouveau drives the GPU now; nvidia can only take it once nouveau is gone (the "
        "driver packages keep it out of the next boot).",
        commands=[["modprobe", "-r", km.NOUVEAU]],
        changes_system=True,
        on_failure="Reboot: nouveau stays out at the next boot and nvidia loads.",
        kind=pm.UNLOAD,
    )


def load_step(modules: list[str], facts: ActivationFacts) -> Step:
    source = {"signed": "Canonical-signed", "dkms": "DKMS-built"}.get(facts.module_source or "", "")
    return Step(
        id="load-nvidia",
        title="Load the new driver",
        why=f"The {source + ' ' if source else ''}nvidia {facts.module_version} modules for "
        f"{facts.kernel} go into the running kernel.",
        commands=[["modprobe", name] for name in modules],
        changes_system=True,
        on_failure="Reboot to load the new driver (`sudo reboot`); the error above says why it "
        "did not load now.",
        kind=pm.LOAD,
    )


def start_services_step(units: list[str]) -> Step:
    return Step(
        id="start-gpu-services",
        title="Start the GPU services",
        why="The services stopped before, and the enabled ones a boot would have started, run "
        "on the new driver.",
        commands=[["systemctl", "start", unit] for unit in units],
        changes_system=True,
        on_failure="Read `systemctl status <unit>`; a reboot starts them too.",
        kind=pm.START_SERVICES,
    )


def verify_driver_step() -> Step:
    return Step(
        id="verify-driver",
        title="Verify the new driver",
        why="The loaded module must be the installed version and flavour, nvidia-smi must "
        "answer, nouveau must be gone: the checks of `nvwizard verify`.",
        commands=[["nvidia-smi"]],
        changes_system=False,
        on_failure="Reboot and run `sudo nvwizard verify`.",
        kind=pm.VERIFY_DRIVER,
    )
