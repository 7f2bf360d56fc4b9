"""A plan for a demo machine: what to do if a step fails, in the demo's own commands.

The step builders say it for a real machine: `dpkg --configure -a`, `sudo reboot`, `systemctl
enable ...`. None of those reaches a demo (host/demo_advice.py): a user who follows them
repairs or reboots this computer. `for_demo` gives each step of a plan made for a demo the
demo's words instead, by the step's kind:

- the package manager's steps (repair, preflight, sources, install, verify, autoremove): read
  the log, then the install again, whose plan first repairs the demo (or its reset);
- the steps a reboot settles (the reboot, and loading the driver without one): the demo's
  reboot, then its verify;
- the steps only a person at a real machine could redo (enable a service, hold packages,
  write the pin, wire a container runtime): "On a real machine: ...", as verify says them;
- the rest name no command (refresh the lists, purge, the stack's install): as they are.
"""

from __future__ import annotations

from dataclasses import replace

from nvwizard.host.demo_advice import (
    DemoRef,
    activate_offered,
    demo_repair,
    install_again,
    on_a_real_machine,
    reboot_the_demo,
    unkept_demo_repair,
)
from nvwizard.plan import models as pm
from nvwizard.plan.models import Plan, Step

_PACKAGE_MANAGER = (pm.REPAIR, pm.PREFLIGHT, pm.SOURCES, pm.INSTALL, pm.VERIFY)
_BY_HAND = (
    pm.FABRIC_MANAGER,
    pm.HOLD,
    pm.PERSISTENCED,
    pm.PIN,
    pm.RUNTIME_CONFIGURE,
    pm.RUNTIME_RESTART,
)
# Loading the driver without a reboot: what a failed step leaves, before the demo's reboot.
_ACTIVATION = {
    "stop-gpu-services": "A reboot starts them again and loads the new driver",
    "unload-nvidia": "The old driver keeps running and the services start again",
    "unload-nouveau": "At the next boot nouveau stays out and nvidia loads",
    "load-nvidia": "The error above says why it did not load now",
}


def for_demo(plan: Plan, demo: DemoRef | None, *, reboot_first: bool) -> Plan:
    """`plan` with each step's `on_failure` in the commands that reach `demo` (None: a real
    machine's plan, returned as it is). `reboot_first`: a kernel update waits for the reboot
    (the report's or the activation facts' `pending_kernel`), so loading the driver without
    one is ruled out until then and no step offers `nvwizard activate` (as `status`,
    `install` and `verify` say it: host/demo_advice.py)."""
    if demo is None:
        return plan
    plan.steps = [for_demo_step(step, plan, demo, reboot_first) for step in plan.steps]
    return plan


def for_demo_step(step: Step, plan: Plan, demo: DemoRef, reboot_first: bool = False) -> Step:
    """`step` of `plan` with its `on_failure` in the commands that reach `demo` (the engine's
    own steps, a restart or a hold, offer no activation: `reboot_first` does not matter)."""
    return replace(step, on_failure=on_failure(step, plan, demo, reboot_first))


def on_failure(step: Step, plan: Plan, demo: DemoRef, reboot_first: bool = False) -> str:
    """What to do if `step` of `plan` fails on `demo` (`reboot_first`: see `for_demo`)."""
    driver = plan.driver or None
    options = plan.install_options
    if step.kind in _PACKAGE_MANAGER:
        if demo.saved_in is None:
            return f"Read the log for the cause; {unkept_demo_repair(demo.name)}."
        again = demo_repair(
            demo.name, driver, activation=False, saved_in=demo.saved_in, options=options
        )
        return f"Read the log for the cause; then {again}."
    if step.kind == pm.AUTOREMOVE:
        if demo.saved_in is None:
            return "Harmless to leave: the demo is not kept between commands, so nothing stays."
        again = install_again(driver, demo.name, options)
        return f"Harmless to leave: apply again (`{again}`) or leave it."
    if step.kind in _BY_HAND:
        return on_a_real_machine(step.on_failure)
    # loading it without a reboot is what failed, or a module DKMS built under Secure Boot,
    # which loads on no simulated machine (it enrols no key), or a kernel update waits for
    # the reboot: the demo's reboot alone
    ruled_out = plan.purpose == pm.ACTIVATE_PLAN or reboot_first
    reboot = reboot_the_demo(
        demo.name,
        demo.saved_in,
        offer_activate=activate_offered(plan.mok_certificate, ruled_out),
        accept=[b.id for b in plan.blockers],  # an unkept demo's install accepts them again
    )
    if step.kind in (pm.REBOOT, pm.VERIFY_DRIVER):
        return f"R{reboot[1:]}."
    if step.id in _ACTIVATION:
        return f"{_ACTIVATION[step.id]}; {reboot}."
    if step.kind == pm.START_SERVICES:  # after the load, or again after a failed unload
        return f"A reboot starts them too; {reboot}."
    return step.on_failure
