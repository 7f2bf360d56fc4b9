"""A plan that keeps the driver: the host runs the planned driver (installed and loaded,
nothing pending, plan/nothing_to_do.py judges it), or has it installed with a DKMS-built
module Secure Boot rejects (only enrolling DKMS's key loads it: the plan says so first), and
the options add what it lacks (the
developer stack, the `--hold` holds, nvidia-persistenced). Only those are added: no purge, no
driver install, no reboot, as a careful administrator adds a toolkit to a working server.

Built from the whole plan's choices with the same step builders, in the same order: dpkg's
check, the sources and the CUDA repository pin the driver's part of the plan writes, the
package lists (only when packages are installed), the holds, persistenced, the stack's steps
(chosen again with nothing purged: an installed container toolkit stays), the dpkg check of
every planned package. The driver's own packages are listed nowhere to be installed.
"""

from __future__ import annotations

from dataclasses import replace

from nvwizard.host.demo_advice import on_a_real_machine
from nvwizard.knowledge import secure_boot as sb
from nvwizard.knowledge.packages import follows_the_kernel, holdable
from nvwizard.plan import models as pm
from nvwizard.plan.debian import sources_step
from nvwizard.plan.demo_words import for_demo
from nvwizard.plan.holds import KERNEL_UPDATE_NOTE, kernel_update_warning
from nvwizard.plan.models import Plan, Step
from nvwizard.plan.preflight import preflight_step, update_step
from nvwizard.plan.services import hold_step
from nvwizard.plan.stack import choose_stack
from nvwizard.plan.stack_steps import driver_needs_pin, pin_step, stack_steps
from nvwizard.plan.verify import verify_step
from nvwizard.report.models import Report

PERSISTENCED_UNIT = "nvidia-persistenced.service"


def kept_line(driver: str, key_to_enrol: str | None = None) -> str:
    state = "installed and loaded" if key_to_enrol is None else "installed"
    return (
        f"{driver} is {state}: it stays as it is (no purge, no driver install, no reboot); the "
        "plan adds only what the options ask for and this machine lacks"
    )


def key_words(report: Report, driver: str, certificate: str) -> str:
    """Why a reinstall cannot load a driver whose DKMS-built module Secure Boot rejects, and
    the one thing to do: enrol DKMS's key (on a demo, what its simulator does instead)."""
    why = (
        f"Secure Boot rejects the module DKMS built for {driver} until DKMS's key is enrolled "
        "as a Machine Owner Key; a reinstall builds the same module signed with the same key, "
        "and the next boot rejects it again."
    )
    enrol = f"{sb.enrolment_of(certificate, rebooting=True)}; then run `sudo nvwizard verify`."
    if report.demo is None:
        return f"{why} The one thing to do: {enrol}"
    demo = sb.demo_rejects()
    return f"{why} {demo[0].upper()}{demo[1:]}. {on_a_real_machine(enrol)}"


def keep_driver(
    report: Report,
    plan: Plan,
    other_build: tuple[str, str] | None = None,
    key_to_enrol: str | None = None,
) -> Plan:
    """`plan` (the whole plan) reduced to what it adds beside the installed driver. Its steps
    may change nothing (then there is nothing to do). `other_build`: (installed, offered)
    when apt would install another build than the installed one (said, not installed:
    `--reinstall` installs it). `key_to_enrol`: the certificate of DKMS's key, where Secure
    Boot rejects the driver's module (said first; persistenced is then enabled, not started:
    no module is loaded)."""
    choices = plan.choices
    stack = choose_stack(report, choices, plan.branch)
    steps: list[Step] = [preflight_step()]
    sources = sources_step(report) if plan.step("sources") is not None else None
    steps += [sources] if sources is not None else []
    if driver_needs_pin(report, report.candidate(plan.driver)):
        steps.append(pin_step(report))
    stack_packages = stack.packages if stack is not None else []
    if stack_packages:
        steps.append(update_step(choices))
    hold, warnings = _hold(report, plan)
    if key_to_enrol is not None:
        warnings.insert(0, key_words(report, plan.driver, key_to_enrol))
    steps += hold
    steps += _persistenced(report, plan, start=key_to_enrol is None)
    repositories: list[str] = []
    if stack is not None:
        added, repositories = stack_steps(report, choices, stack)
        steps += added
        warnings += stack.warnings
    steps.append(verify_step(plan.install_list + stack_packages))
    warnings += _unused_options(plan)
    if other_build is not None:
        warnings.append(
            f"apt would install {plan.driver} {other_build[1]}, not the installed "
            f"{other_build[0]}: the plan keeps the installed build (--reinstall purges and "
            "installs apt's, then needs a reboot)."
        )
    kept = replace(
        plan,
        steps=steps,
        warnings=warnings,
        purge_list=[],
        kept_list=[],
        autoremoved_list=[],
        install_list=[],
        stack_list=stack_packages,
        repositories=repositories,
        blockers=[],
        mok_certificate=key_to_enrol,
        released_holds=[],
        carried_holds=[],
        keeps_driver=True,
    )
    return for_demo(kept, report.demo, reboot_first=report.pending_kernel is not None)


def _hold(report: Report, plan: Plan) -> tuple[list[Step], list[str]]:
    """`--hold`: the hold step for the driver packages, while any of them is not held."""
    if not plan.choices.hold:
        return [], []
    held = holdable(plan.install_list)
    if set(held) <= set(report.held_packages):
        return [], []
    free = [name for name in plan.install_list if follows_the_kernel(name)]
    step = hold_step(held, free=free)
    warning = kernel_update_warning(held, plan.install_list, plan.modules)
    if warning is None:
        return [step], []
    return [replace(step, why=f"{step.why} {KERNEL_UPDATE_NOTE}")], [warning]


def _persistenced(report: Report, plan: Plan, start: bool = True) -> list[Step]:
    """nvidia-persistenced enabled and started (the driver is loaded: no reboot starts it),
    when the plan enables it and it is not enabled. `start` False: enabled only (no module
    is loaded for it to keep initialised; the boot after the key's enrolment starts it)."""
    if plan.step("persistenced") is None:
        return []
    if any(u.name == PERSISTENCED_UNIT and u.enabled == "enabled" for u in report.gpu_services):
        return []
    commands = [["systemctl", "enable", PERSISTENCED_UNIT]]
    commands += [["systemctl", "start", PERSISTENCED_UNIT]] if start else []
    return [
        Step(
            id="persistenced",
            title="Enable and start nvidia-persistenced" if start else "Enable nvidia-persistenced",
            why="Keeps the GPUs initialised between jobs on a server, so each job starts fast; "
            + (
                "started now, as the driver is loaded already."
                if start
                else "it starts at the boot that loads the driver."
            ),
            commands=commands,
            changes_system=True,
            on_failure="Run `systemctl enable --now nvidia-persistenced` later; the driver "
            "works without it.",
            kind=pm.PERSISTENCED,
        )
    ]


def _unused_options(plan: Plan) -> list[str]:
    """The purge's options, which a plan that keeps the driver has no use for: said, not
    dropped in silence."""
    choices = plan.choices
    words = [f"--keep {name}" for name in choices.keep]
    words += [f"--also-purge {name}" for name in choices.also_purge]
    if choices.reboot:
        words.append("--reboot")
    if not words:
        return []
    return [
        f"Not used: {', '.join(words)} (the driver stays as it is: nothing is purged and no "
        "reboot is needed; --reinstall purges and installs it again)."
    ]
