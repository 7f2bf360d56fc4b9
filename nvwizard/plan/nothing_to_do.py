"""Whether a plan would change nothing: its driver, and every part of the stack and the holds
asked for, is installed at the version apt would install, and the loaded module is that
driver's (nothing pending). `install` then says so and changes nothing, unless --reinstall
asks for the whole plan again (purge and install). The exported playbook judges the same
from detect's and verify's JSON on each host (export/playbook/filter_plugins).

The wizard does not ask this: on its Install screen a person picks the plan explicitly.
"""

from __future__ import annotations

from dataclasses import replace

from nvwizard.detect.models import DpkgEntry
from nvwizard.plan import models as pm
from nvwizard.plan.models import Plan
from nvwizard.report.models import Report

INSTALLED_STATES = ("ii", "hi")
# Steps whose work is still to do even on a machine that has every package: writing an apt
# pin or a sources file, adding a repository, wiring a container runtime.
STILL_TO_DO = frozenset({pm.PIN, pm.SOURCES, pm.REPOSITORY, pm.RUNTIME_CONFIGURE})
# What detect does not list among the installed packages: the kernel headers a DKMS plan adds
NOT_LISTED = ("linux-headers-",)
# The units a plan's steps enable, by step kind
ENABLED_UNITS = {
    pm.PERSISTENCED: "nvidia-persistenced.service",
    pm.FABRIC_MANAGER: "nvidia-fabricmanager.service",
}


def nothing_to_do_line(driver: str) -> str:
    return f"Nothing to do: {driver} is installed and loaded"


def settle(report: Report, plan: Plan) -> Plan:
    """`plan` as it is, or, when applying it would change nothing (and --reinstall was not
    given), the same plan with no steps that says so."""
    if plan.choices.reinstall or plan.purpose != pm.INSTALL_PLAN:
        return plan
    if not _installed_and_loaded(report, plan):
        return plan
    return replace(plan, steps=[], nothing_to_do=True, blockers=[])


def _installed_and_loaded(report: Report, plan: Plan) -> bool:
    if report.reboot_required or report.dpkg_interrupted or report.needs_dpkg_repair:
        return False  # something is pending
    installed = {p.name: p for p in report.installed_packages if p.state in INSTALLED_STATES}
    wanted = [n for n in plan.install_list + plan.stack_list if not n.startswith(NOT_LISTED)]
    if not plan.install_list or any(name not in installed for name in wanted):
        return False
    driver = installed.get(plan.driver) or installed[plan.install_list[0]]
    candidate = report.candidate(plan.driver)
    if candidate is not None and candidate.version and driver.version != candidate.version:
        return False  # apt would install a newer (or another) build
    return _loaded_is(report, driver, open_modules=plan.flavour.endswith("open")) and _steps_done(
        report, plan
    )


def _upstream(entry: DpkgEntry) -> str | None:
    """595.58.03-0ubuntu0.22.04.1 -> 595.58.03 (an epoch dropped)."""
    if not entry.version:
        return None
    return entry.version.split(":", 1)[-1].split("-", 1)[0]


def _loaded_is(report: Report, driver: DpkgEntry, open_modules: bool) -> bool:
    """The loaded module (and nvidia-smi's library, when it answers) is this driver's."""
    module = report.loaded_module
    version = _upstream(driver)
    if module is None or version is None or module.version != version:
        return False
    if module.flavor and (module.flavor == "open") != open_modules:
        return False
    smi = report.nvidia_smi
    if smi is None:
        return True
    return smi.status != "version-mismatch" and smi.driver_version in (None, version)


def _steps_done(report: Report, plan: Plan) -> bool:
    """The plan's steps beyond the packages have nothing left to do: no pin, sources or
    repository to write, no runtime to wire, the holds in place, the services enabled."""
    held = set(report.held_packages)
    enabled = {u.name for u in report.gpu_services if u.enabled == "enabled"}
    for step in plan.steps:
        if step.kind in STILL_TO_DO:
            return False
        if step.kind == pm.HOLD:
            for argv in step.commands:
                if argv[:2] == ["apt-mark", "hold"] and not set(argv[2:]) <= held:
                    return False
        unit = ENABLED_UNITS.get(step.kind)
        if unit is not None and unit not in enabled:
            return False
    return True
