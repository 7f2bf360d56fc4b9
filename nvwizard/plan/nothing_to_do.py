"""Whether a plan would change the driver at all: when its driver is installed and runs
(report/driver_runs.py's `planned_driver_runs`: the one rule, which the over-SSH finding asks
too; a reboot pending only for a kernel update does not count), the driver stays. So it does
where Secure Boot rejects the installed driver's DKMS-built module: a reinstall builds the
same module signed with the same key, and only enrolling that key loads it (the plan names
it: `mok_certificate`). Then the plan adds only what the options ask for and the host lacks
(plan/keep_driver.py: the stack, the holds, persistenced; no purge, no driver install, no
reboot), or, when nothing is missing, has no steps and says so. `--reinstall` asks for the
whole plan again (purge and install). The exported playbook judges a host from detect's and
verify's JSON and this plan's `nothing_to_do` and `keeps_driver`
(export/playbook/filter_plugins).

The wizard asks it too (tui/backend.py build_plan): its Install screen shows the plan that keeps
the running driver, and `r` there asks for the reinstall (`reinstall` in the choices).
"""

from __future__ import annotations

from dataclasses import replace

from nvwizard.detect.models import DpkgEntry
from nvwizard.knowledge.packages import is_nvidia_related
from nvwizard.knowledge.secure_boot import import_certificate
from nvwizard.plan import models as pm
from nvwizard.plan.keep_driver import keep_driver
from nvwizard.plan.models import Plan
from nvwizard.report.driver_runs import planned_driver_runs, reboot_pending_for_driver
from nvwizard.report.models import Report

INSTALLED_STATES = ("ii", "hi")
# What detect does not list among the installed packages: the kernel headers a DKMS plan adds
NOT_LISTED = ("linux-headers-",)
FABRIC_MANAGER_UNIT = "nvidia-fabricmanager.service"


def nothing_to_do_line(driver: str, key_to_enrol: str | None = None) -> str:
    """The plan's one line. `key_to_enrol`: the certificate of DKMS's key, where Secure Boot
    rejects the installed driver's module until it is enrolled (no reinstall changes that)."""
    if key_to_enrol is None:
        return f"Nothing to do: {driver} is installed and loaded"
    return (
        f"Nothing to reinstall: {driver} is installed, but Secure Boot rejects the module DKMS "
        f"built until its key is enrolled (`{import_certificate(key_to_enrol)}`, then MOK "
        "Manager at the next boot)"
    )


def settle(report: Report, plan: Plan) -> Plan:
    """`plan` as it is when it changes the driver (or --reinstall was given); else the plan
    that keeps the driver and adds only what is missing (`keeps_driver`), or, with nothing
    missing, the same plan with no steps that says so (`nothing_to_do`). A driver whose
    DKMS-built module Secure Boot rejects counts as kept too: a reinstall builds the same
    module with the same key, so the plan names the key to enrol instead (`mok_certificate`)."""
    if plan.choices.reinstall or plan.purpose != pm.INSTALL_PLAN:
        return plan
    driver = _installed(report, plan)
    if driver is None:
        return plan
    key = _key_to_enrol(report, plan)
    if key is None and not planned_driver_runs(report, plan.driver):
        return plan
    candidate = report.candidate(plan.driver)
    offered = candidate.version if candidate is not None else None
    other = (driver.version or "?", offered) if offered and offered != driver.version else None
    kept = keep_driver(report, plan, other_build=other, key_to_enrol=key)
    if report.reboot_required:  # not for the driver (`_installed`)
        kept = replace(kept, warnings=[*kept.warnings, _pending_reboot_warning(report)])
    if kept.changes_system:
        return kept
    if other is not None:
        return plan  # nothing else to add: apt's other build is what installing it again gives
    return replace(kept, steps=[], nothing_to_do=True, keeps_driver=False)


def _installed(report: Report, plan: Plan) -> DpkgEntry | None:
    """The planned driver's package entry when every driver package of the plan is installed
    (and fabric manager enabled where the plan sets it up) with nothing pending; else None."""
    if reboot_pending_for_driver(report) or report.needs_dpkg_repair:
        return None  # something is pending
    installed = {p.name: p for p in report.installed_packages if p.state in INSTALLED_STATES}
    wanted = [n for n in plan.install_list if not n.startswith(NOT_LISTED)]
    if not plan.install_list or any(name not in installed for name in wanted):
        return None
    if plan.step("fabric-manager") is not None and not _enabled(report, FABRIC_MANAGER_UNIT):
        return None  # an NVSwitch board without fabric manager: the driver is not in place
    return installed.get(plan.driver) or installed[plan.install_list[0]]


def _pending_reboot_warning(report: Report) -> str:
    others = [name for name in report.reboot_required_for if not is_nvidia_related(name)]
    if not others:  # the NVIDIA packages asked for it, and their driver is loaded already
        return (
            f"A reboot is still flagged for {', '.join(report.reboot_required_for)}, but their "
            "driver is loaded already (without a reboot): the plan does not reboot, and the "
            "next reboot changes nothing for the driver."
        )
    return (
        f"A reboot is pending for {', '.join(others)}, not for the driver: "
        "the plan does not reboot; the update takes effect at the next reboot (a new kernel "
        "needs the driver's modules for it: `nvwizard detect` says whether they are there)."
    )


def _key_to_enrol(report: Report, plan: Plan) -> str | None:
    """The certificate of DKMS's key where the plan's module is one DKMS builds, Secure Boot
    is on and no module is loaded since the boot after the install: Secure Boot rejected it,
    and only enrolling the key loads it. None otherwise."""
    if plan.mok_certificate is None or report.secure_boot != "enabled":
        return None
    if report.loaded_module is not None or report.nouveau_loaded:
        return None
    return plan.mok_certificate


def _enabled(report: Report, unit: str) -> bool:
    return any(u.name == unit and u.enabled == "enabled" for u in report.gpu_services)
