"""A plan's blocking conditions: what an unattended apply must not go on with unaccepted."""

import re
from dataclasses import replace
from pathlib import Path

from nvwizard.detect.models import GpuProcess
from nvwizard.plan.blockers import BLOCKER_IDS, RESOLVED_BY_THE_PLAN
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.models import Blocker, Plan
from nvwizard.report.build import build_report
from nvwizard.report.findings import __file__ as findings_module
from nvwizard.report.models import Finding
from nvwizard.simulator import demo_host
from tests.plan.reports import hopper_server, pascal_secure_boot

PERSISTENCED = GpuProcess(2981, "nvidia-persiste", "nvidia-persistenced", "/dev/nvidia0")
FABRIC_MANAGER = GpuProcess(3107, "nv-fabricmanage", "root", "/dev/nvidia-nvswitchctl")
JOBS = [GpuProcess(pid, "python3", "mlops", f"/dev/nvidia{n}") for n, pid in enumerate((41, 42))]


def _blockers(report) -> list[Blocker]:
    return build_plan(report, default_choices(report)).blockers


def test_jobs_on_the_gpu_block_and_are_named():
    (blocker,) = _blockers(hopper_server(gpu_processes=[PERSISTENCED, *JOBS]))
    assert blocker.id == "gpu-processes"
    assert "2 processes, python3 of mlops (pid 41 and 1 more)" in blocker.message
    assert "nvidia-persiste" not in blocker.message


def test_nvidias_own_services_alone_do_not_block():
    """nvidia-persistenced and fabric manager go and come back with the driver: nearly every
    server with a driver runs them, and nothing of the user's dies with them."""
    report = hopper_server(gpu_processes=[PERSISTENCED, FABRIC_MANAGER])
    plan = build_plan(report, default_choices(report))
    assert plan.blockers == []
    # nor warned about as jobs: the purge stops them with their packages
    assert not any("nvidia-persiste (pid 2981)" in w for w in plan.warnings)


def test_jobs_block_a_plan_that_keeps_the_installed_driver_too():
    """Without a purge the reboot into the new driver still ends them."""
    report = hopper_server(gpu_processes=JOBS)
    kept = build_plan(report, replace(default_choices(report), purge=False))
    # only the other branch's fabric manager and NSCQ are purged (NVSwitch), not the driver
    assert kept.purge_list == ["libnvidia-nscq-535", "nvidia-fabricmanager-535"]
    assert [b.id for b in kept.blockers] == ["gpu-processes"]


def _pcie_server(**changes):
    """hopper_server without NVSwitch: no fabric manager or NSCQ to purge."""
    fabric = ("nvidia-fabricmanager-535", "libnvidia-nscq-535")
    report = hopper_server(nvswitch_count=0, **changes)
    report.installed_packages = [p for p in report.installed_packages if p.name not in fabric]
    return report


def test_the_plan_warns_about_the_jobs_whenever_they_block_it():
    """`plan --keep-installed` on a board without NVSwitch purges nothing: the jobs warning
    was left out while the gpu-processes blocker still fired."""
    report = _pcie_server(gpu_processes=[PERSISTENCED, *JOBS])
    for purge in (True, False):
        plan = build_plan(report, replace(default_choices(report), purge=purge))
        assert [b.id for b in plan.blockers] == ["gpu-processes"], purge
        jobs = [w for w in plan.warnings if w.startswith("Processes use the GPU")]
        assert len(jobs) == 1, (purge, plan.warnings)
        assert "python3 (pid 41), python3 (pid 42)" in jobs[0]
        assert "nvidia-persiste" not in jobs[0]
    kept = build_plan(report, replace(default_choices(report), purge=False))
    assert kept.purge_list == []
    assert (
        "Processes use the GPU and will fail at the reboot into the new driver: "
        "python3 (pid 41), python3 (pid 42)." in kept.warnings
    )
    quiet = _pcie_server(gpu_processes=[PERSISTENCED])
    plan = build_plan(quiet, replace(default_choices(quiet), purge=False))
    assert plan.blockers == []
    assert not any(w.startswith("Processes use the GPU") for w in plan.warnings)


def test_a_dkms_module_under_secure_boot_blocks_with_the_plans_own_warning():
    plan = build_plan(pascal_secure_boot(), default_choices(pascal_secure_boot()))
    assert plan.modules == "dkms"
    (blocker,) = plan.blockers
    assert blocker.id == "secure-boot-dkms-only"
    assert blocker.message in plan.warnings
    assert "Machine Owner Key" in blocker.message


def test_a_dkms_module_without_secure_boot_does_not_block():
    report = pascal_secure_boot(secure_boot="disabled")
    plan = build_plan(report, default_choices(report))
    assert plan.modules == "dkms" and plan.blockers == []


def test_debians_mok_warning_blocks():
    report = build_report(demo_host("debian12-t4"))
    report.secure_boot = "enabled"
    plan = build_plan(report, default_choices(report))
    (blocker,) = plan.blockers
    assert blocker.id == "secure-boot-dkms-only" and "mokutil --import" in blocker.message


def test_a_run_installer_driver_blocks_and_what_the_plan_repairs_does_not():
    run_installer = Finding("run-installer", "block", "A .run driver is here.", "Uninstall it.")
    interrupted = Finding("dpkg-interrupted", "block", "dpkg was interrupted.", "Repair it.")
    report = hopper_server(findings=[run_installer, interrupted], dpkg_interrupted=True)
    plan = build_plan(report, default_choices(report))
    assert plan.step("repair") is not None  # the plan resolves the interrupted dpkg itself
    assert plan.blockers == [Blocker("run-installer", "A .run driver is here. Uninstall it.")]


def test_the_demo_machines_that_must_not_be_changed_unattended():
    blocked = {}
    for name in ("hgx-h100", "gtx1080-secureboot", "rtx3090-fresh", "nvml-mismatch"):
        report = build_report(demo_host(name))
        blocked[name] = [b.id for b in _blockers(report)]
    assert blocked == {
        "hgx-h100": ["gpu-processes"],  # 8 training jobs; persistenced and fabric manager too
        "gtx1080-secureboot": ["secure-boot-dkms-only"],
        "rtx3090-fresh": [],
        "nvml-mismatch": [],  # only nvidia-persistenced uses its GPU
    }


def test_blockers_go_through_plan_json_and_back():
    plan = build_plan(pascal_secure_boot(), default_choices(pascal_secure_boot()))
    data = plan.to_json()
    assert data["blockers"] == [{"id": "secure-boot-dkms-only", "message": plan.warnings[0]}]
    assert Plan.from_json(data).blockers == plan.blockers
    del data["blockers"]  # a journal written before blockers existed
    assert Plan.from_json(data).blockers == []


def test_every_block_finding_is_resolved_by_the_plan_or_a_known_blocker():
    """A new finding of severity block must be placed: an id the playbook can accept, or one
    the plan's own steps resolve (the findings module's table lists every severity)."""
    table = Path(findings_module).read_text()
    block_ids = set(re.findall(r"^\| ([a-z-]+) \| block \|", table, re.M))
    assert {"run-installer", "dpkg-interrupted"} <= block_ids
    assert block_ids <= set(BLOCKER_IDS) | set(RESOLVED_BY_THE_PLAN)
    assert not set(BLOCKER_IDS) & set(RESOLVED_BY_THE_PLAN)
