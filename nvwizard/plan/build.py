"""From a detection report and the user's choices to an ordered plan with exact commands.

The steps, as they apply (issue 3), each built by the module of its concern:
repair an interrupted dpkg or unhold blocking packages (repair.py); preflight and apt-get
update (preflight.py); purge an explicit list then autoremove (purge.py); install, headless
or desktop, Canonical's signed modules for the running kernel, else DKMS plus headers, Debian's
own package names and DKMS always (install.py, debian.py); fabric manager on NVSwitch machines,
the administrator's holds carried over to what replaces the held packages (holds.py), the
optional hold and persistenced, and before the purge the running GPU services stopped
(services.py); verify (verify.py); the reboot, with consent
(services.py); where NVIDIA's CUDA repository is configured, the apt pin that keeps its
driver packages out, before the update (stack_steps.py); the developer stack after the
driver: the CUDA toolkit, cuDNN and the container toolkit with its runtimes (stack.py
chooses and refuses, stack_steps.py builds the steps).
"""

from __future__ import annotations

from dataclasses import replace

from nvwizard.errors import RefusedError
from nvwizard.knowledge.debian import DebianDriver
from nvwizard.knowledge.packages import DriverPackage, follows_the_kernel, holdable
from nvwizard.knowledge.secure_boot import dkms_certificate
from nvwizard.plan.apt import apt_options
from nvwizard.plan.blockers import plan_blockers
from nvwizard.plan.debian import sources_step
from nvwizard.plan.demo_words import for_demo
from nvwizard.plan.holds import (
    KERNEL_UPDATE_NOTE,
    CarriedHolds,
    blocking_holds,
    carry_holds,
    kernel_update_warning,
)
from nvwizard.plan.install import InstallLists, install_lists, install_step, validate_driver
from nvwizard.plan.install_options import install_options
from nvwizard.plan.models import Choices, KeptPackage, Plan, Step
from nvwizard.plan.preflight import preflight_step, report_warnings, update_step
from nvwizard.plan.purge import purge_lists, purge_steps
from nvwizard.plan.repair import build_repair_plan, repair_commands, repair_step
from nvwizard.plan.services import (
    REBOOT_ARGV,
    fabric_manager_step,
    hold_step,
    persistenced_step,
    reboot_step,
    stop_services,
)
from nvwizard.plan.stack import choose_stack, unwired_runtimes_warning
from nvwizard.plan.stack_steps import driver_needs_pin, pin_step, stack_steps
from nvwizard.plan.verify import VERIFY_FORMAT, verify_step
from nvwizard.report.models import Report
from nvwizard.report.wording import COMMAND_LINE, FrontEndWords

__all__ = [
    "REBOOT_ARGV",
    "VERIFY_FORMAT",
    "apt_options",
    "build_plan",
    "build_repair_plan",
    "default_choices",
    "planned_purge",
    "repair_commands",
    "validate_driver",
]


def default_choices(report: Report, driver: str | None = None) -> Choices:
    """The choices every front end starts from (the CLI's defaults, the wizard's first state)."""
    return Choices(
        driver=driver or report.recommended_driver or "",
        purge=True,
        headless=report.headless_or_assumed,
        persistenced=report.headless_or_assumed and report.has_nvidia_gpu,
    )


def _fabric(report: Report, driver: DriverPackage | DebianDriver) -> list[str]:
    """The new branch's fabric manager and NSCQ library, on an NVSwitch machine."""
    ubuntu = driver if isinstance(driver, DriverPackage) else None  # Debian has no fabric manager
    return [ubuntu.fabricmanager, ubuntu.nscq] if ubuntu and report.nvswitch_count else []


def _refuse_a_desktop_driver_beside_fabric_manager(
    report: Report, driver: DriverPackage | DebianDriver, fabric: list[str], words: FrontEndWords
) -> None:
    """An NVSwitch machine's GPUs need fabric manager, at exactly the driver's version, and
    NVIDIA and Ubuntu ship it for the -server (data-center) drivers only: beside a desktop
    driver, which is packaged and updated on its own cadence, the GPUs have no working fabric.
    Refused before anything runs (exit 3), naming the -server driver to use instead."""
    if not fabric or not isinstance(driver, DriverPackage) or driver.server:
        return
    same = f"nvidia-driver-{driver.branch}-server{'-open' if driver.open else ''}"
    servers = [c.package for c in report.driver_candidates if c.runnable and c.server]
    use = same if same in servers or not servers else servers[0]
    instead = words.use_driver.format(driver=use)
    raise RefusedError(
        f"{driver.name} cannot run this NVSwitch machine: it is a desktop driver, and its "
        f"GPUs need fabric manager ({fabric[0]}), which follows only the -server drivers at "
        f"their exact version; {instead} (the same branch's data-center build, which a "
        "desktop can use too)"
    )


def planned_purge(report: Report, choices: Choices) -> tuple[list[str], list[KeptPackage]]:
    """What `build_plan` would purge and keep for these choices (the same lists), without
    building its steps: a front end shows this before the user confirms the purge."""
    driver, _warnings = validate_driver(report, choices.driver)
    lists = purge_lists(report, choices, _fabric(report, driver))
    return lists.purge, lists.kept


def _hold_steps(
    choices: Choices, install: InstallLists, driver_packages: list[str], carried: CarriedHolds
) -> tuple[list[Step], list[str]]:
    """`--hold` on every driver package, else the administrator's holds carried over; and
    the warnings: which holds are carried over, what a held driver does on a kernel update."""
    warnings = [carried.warning()] if carried.pairs else []
    if choices.hold:
        held = holdable(driver_packages)
        free = [name for name in driver_packages if follows_the_kernel(name)]
        step = hold_step(held, free=free)
    elif carried.packages:
        held = carried.packages
        step = hold_step(held, [p.old for p in carried.pairs])
    else:
        return [], warnings
    on_kernel_update = kernel_update_warning(held, install.packages, install.modules)
    if on_kernel_update is None:
        return [step], warnings
    why = f"{step.why} {KERNEL_UPDATE_NOTE}"
    return [replace(step, why=why)], [*warnings, on_kernel_update]


def _config_only(report: Report) -> set[str]:
    """The NVIDIA packages dpkg lists as `rc`: removed, their config files left."""
    return {e.name for e in report.installed_packages if e.state == "rc"}


def build_plan(report: Report, choices: Choices, words: FrontEndWords = COMMAND_LINE) -> Plan:
    """The ordered steps for these choices; raises UsageError/RefusedError for a bad driver.
    `words`: how the warnings name what to do next (the wizard passes its own)."""
    driver, warnings = validate_driver(report, choices.driver)
    candidate = report.candidate(driver.name)
    fabric = _fabric(report, driver)
    _refuse_a_desktop_driver_beside_fabric_manager(report, driver, fabric, words)
    lists = purge_lists(report, choices, fabric)
    stack = choose_stack(
        report,
        choices,
        driver.branch or (candidate.branch if candidate else None),
        purged=lists.purge + lists.autoremoved,
    )
    install = install_lists(report, choices, driver)
    warnings += (
        lists.warnings + install.warnings + report_warnings(report, choices, lists.purge, words)
    )
    driver_packages = install.packages + fabric
    released = blocking_holds(
        report, lists.purge + driver_packages, driver.branch, not choices.purge
    )
    repair = repair_step(report, choices.lock_timeout_s, released)
    steps: list[Step] = [repair] if repair is not None else []
    sources = sources_step(report) if isinstance(driver, DebianDriver) else None
    steps.append(preflight_step())
    steps += [sources] if sources is not None else []
    steps += [pin_step(report)] if driver_needs_pin(report, candidate) else []
    stopped, stop_warnings = stop_services(report)
    warnings += stop_warnings
    steps += [update_step(choices), *stopped, *purge_steps(choices, lists, _config_only(report))]
    steps.append(install_step(choices, driver, install.why, driver_packages))
    if fabric:
        steps.append(fabric_manager_step(fabric[0]))
    carried = carry_holds(released, driver_packages, install.packages)
    hold_steps, hold_warnings = _hold_steps(choices, install, driver_packages, carried)
    steps += hold_steps
    warnings += hold_warnings
    if choices.persistenced:
        steps.append(persistenced_step())
    repositories: list[str] = []
    if stack is not None:
        added, repositories = stack_steps(report, choices, stack)
        steps += added
        warnings += stack.warnings
    stack_packages = stack.packages if stack is not None else []
    reinstalled = stack is not None and stack.container_toolkit
    unwired = unwired_runtimes_warning(report, lists.purge + lists.autoremoved, reinstalled, words)
    warnings += [unwired] if unwired else []
    steps.append(verify_step(driver_packages + stack_packages))
    if choices.reboot:
        steps.append(reboot_step())
    plan = Plan(
        steps=steps,
        choices=choices,
        host_label=report.source,
        driver=driver.name,
        flavour=driver.flavour,
        branch=driver.branch,
        modules=install.modules,
        warnings=warnings,
        purge_list=lists.purge,
        kept_list=lists.kept,
        autoremoved_list=lists.autoremoved,
        install_list=driver_packages,
        stack_list=stack_packages,
        cuda=stack.cuda.label if stack is not None and stack.cuda is not None else None,
        repositories=repositories,
        blockers=plan_blockers(report, warnings),
        mok_certificate=dkms_certificate(report.os_id)
        if install.modules == "dkms" and report.secure_boot == "enabled"
        else None,
        released_holds=released,
        carried_holds=carried.packages,
        install_options=install_options(choices, report, lists.also_purged),
    )
    return for_demo(plan, report.demo, reboot_first=report.pending_kernel is not None)
