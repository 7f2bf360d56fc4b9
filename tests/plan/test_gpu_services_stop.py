"""NVIDIA's GPU services hold the driver open: the plan stops the running ones, by exact unit,
before the old driver goes (DCGM's nv-hostengine included: its package is not purged, so
nothing else would stop it), and the reboot brings the enabled ones back (demo simulator)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from nvwizard.detect.models import GpuProcess, UnitState
from nvwizard.host.demo import find_demo
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.simulator import bundle_host
from tests.plan.reports import hopper_server
from tests.plan.stepwise import apply_step_by_step

DCGM = "nvidia-dcgm.service"
PERSISTENCED = "nvidia-persistenced.service"
FABRIC = "nvidia-fabricmanager.service"


def _services(*units: tuple[str, str, str]) -> list[UnitState]:
    return [UnitState(name, active, enabled) for name, active, enabled in units]


def test_running_gpu_services_are_stopped_before_the_purge_with_their_exact_units():
    report = hopper_server(
        gpu_processes=[GpuProcess(4100, "nv-hostengine", "root", "/dev/nvidiactl")],
        gpu_services=_services(
            (PERSISTENCED, "active", "enabled"),
            (DCGM, "active", "enabled"),
            ("nvidia-powerd.service", "inactive", "not-found"),
        ),
    )
    plan = build_plan(report, default_choices(report))
    stop = plan.step("stop-services")
    assert stop is not None
    assert stop.commands == [["systemctl", "stop", DCGM], ["systemctl", "stop", PERSISTENCED]]
    assert "DCGM's package stays" in stop.why
    ids = [s.id for s in plan.steps]
    assert ids.index("stop-services") < ids.index("purge")
    assert not any("runs but is not enabled" in w for w in plan.warnings)
    assert plan.blockers == []  # a service's daemon is no job

    in_place = build_plan(report, replace(default_choices(report), purge=False))
    ids = [s.id for s in in_place.steps]
    assert ids.index("stop-services") < ids.index("install")


def test_a_running_service_that_is_not_enabled_is_said_not_to_come_back():
    report = hopper_server(gpu_services=_services((DCGM, "active", "disabled")))
    plan = build_plan(report, default_choices(report))
    assert (
        "nvidia-dcgm runs but is not enabled: the plan stops it, and the reboot does not start "
        "it again; start it with the new driver (`sudo systemctl start nvidia-dcgm.service`)."
    ) in plan.warnings


def test_no_step_when_no_gpu_service_runs():
    report = hopper_server(gpu_services=_services((DCGM, "inactive", "enabled")))
    assert build_plan(report, default_choices(report)).step("stop-services") is None


def _hgx_with_dcgm(tmp_path: Path) -> Path:
    """hgx-h100 with DCGM (datacenter-gpu-manager) installed, enabled and running."""
    folder = Path(shutil.copytree(find_demo("hgx-h100").path, tmp_path / "hgx-dcgm"))
    with (folder / "dpkg-query.txt").open("a") as query:
        query.write("datacenter-gpu-manager\tinstall ok installed\t1:3.3.9\n")
    with (folder / "dpkg-l.txt").open("a") as listing:
        listing.write(
            "ii  datacenter-gpu-manager                 1:3.3.9                        amd64"
            "        NVIDIA Datacenter GPU Management Tools\n"
        )
    services = (folder / "gpu-services.txt").read_text()
    (folder / "gpu-services.txt").write_text(
        services.replace(f"{DCGM}\tinactive\tnot-found", f"{DCGM}\tactive\tenabled")
    )
    with (folder / "gpu-processes.txt").open("a") as processes:
        processes.write("4100\tnv-hostengine\troot\t/dev/nvidiactl\n")
    return folder


def _active(host) -> dict[str, str]:
    return {u.name: u.active for u in build_report(host.fresh()).gpu_services}


def test_on_the_demo_dcgm_is_stopped_before_the_purge_and_back_after_the_reboot(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    host = bundle_host(_hgx_with_dcgm(tmp_path))
    report = build_report(host)
    assert _active(host)[DCGM] == "active"
    assert "nv-hostengine" not in {p.name for p in report.gpu_jobs}  # a service, not a job
    plan = build_plan(report, default_choices(report))
    stop = plan.step("stop-services")
    assert stop is not None and ["systemctl", "stop", DCGM] in stop.commands
    apply_step_by_step(host, plan, ("repair", "stop-services", "purge", "autoremove", "install"))
    after = _active(host)
    assert after[DCGM] == after[PERSISTENCED] == after[FABRIC] == "inactive"
    assert "nv-hostengine" not in {p.name for p in build_report(host.fresh()).gpu_processes}
    host.simulator.boot()
    assert _active(host)[DCGM] == "active"  # enabled: the reboot brings it back


def test_the_stop_step_s_why_agrees_with_one_service_or_several():
    """It read "nvidia-persistenced hold the driver open"."""
    one = hopper_server(gpu_services=_services((PERSISTENCED, "active", "enabled")))
    two = hopper_server(
        gpu_services=_services((PERSISTENCED, "active", "enabled"), (DCGM, "active", "enabled"))
    )
    why = [build_plan(r, default_choices(r)).step("stop-services").why for r in (one, two)]
    assert why[0].startswith("nvidia-persistenced holds the driver open (/dev/nvidia*)")
    assert why[1].startswith("nvidia-dcgm, nvidia-persistenced hold the driver open")
