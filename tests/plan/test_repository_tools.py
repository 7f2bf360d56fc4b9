"""The tools a repository step installs from the archive first (curl, ca-certificates, where
dpkg has no curl): every demo machine's apt offers them, as a real Debian or Ubuntu does, and
the plan's simulation asks apt for them before anything changes, so a machine whose apt cannot
install them stops before the driver, not halfway through the apply."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from nvwizard.cli.main import main
from nvwizard.host.demo import find_demo
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.simulate import check_simulation, repository_tools, simulate
from nvwizard.report.build import build_report
from nvwizard.simulator import bundle_host, demo_host

GPU_DEMOS = ["hgx-h100", "rtx3090-fresh", "gtx1080-secureboot", "rtx5090-workstation"]
GPU_DEMOS += ["nvml-mismatch", "debian12-t4", "debian13-l4"]


@pytest.fixture(autouse=True)
def _instant(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")


# bookworm's 535 runs none of NVIDIA's debian12 toolkits (12.3 and newer) natively
BOOKWORM_CUDA = ["--cuda", "12.3", "--allow-cuda-compat"]


def _stack_plan(host, cuda: str | None = "latest", compat: bool = False):
    report = build_report(host)
    choices = replace(
        default_choices(report), cuda=cuda, allow_cuda_compat=compat, container_toolkit=True
    )
    return build_plan(report, choices)


@pytest.mark.parametrize("demo", GPU_DEMOS)
def test_every_demo_offers_what_its_repository_steps_install(demo):
    host = demo_host(demo)
    if demo == "debian12-t4":
        plan = _stack_plan(host, "12.3", compat=True)
    elif demo == "debian13-l4":  # NVIDIA's debian13 toolkits (13.1 on) need branch 590
        plan = _stack_plan(host, None)
    else:
        plan = _stack_plan(host, "12.8" if demo == "gtx1080-secureboot" else "latest")
    sim = simulate(host, plan)
    tools = repository_tools(plan)
    if not tools:  # curl is installed here
        assert sim.tools is None
        return
    assert tools == ["curl", "ca-certificates"]
    assert sim.tools is not None and sim.tools.ok, sim.tools.errors
    assert not any("curl" in p for p in check_simulation(plan, sim).problems)


def test_a_cuda_install_on_the_debian_demo_completes(capsys, places):
    code = main(["install", "--demo", "debian12-t4", "--yes", *BOOKWORM_CUDA])
    out, err = capsys.readouterr()
    assert code == 0, err[-2000:]
    assert "Unable to locate package" not in out + err
    assert re.search(r"==> \[\d+/\d+\] Add NVIDIA's CUDA repository", out)


def _without_curl(tmp_path: Path, demo: str) -> Path:
    """The demo as a bundle whose apt offers no curl."""
    folder = tmp_path / demo
    shutil.copytree(find_demo(demo).path, folder)
    show = folder / "apt-cache-show.txt"
    stanzas = show.read_text().split("\n\n")
    show.write_text("\n\n".join(s for s in stanzas if not s.startswith("Package: curl\n")))
    return folder


def test_a_tool_apt_cannot_install_stops_the_plan_before_anything_changes(tmp_path, capsys):
    machine = _without_curl(tmp_path, "debian12-t4")
    host = bundle_host(machine)
    plan = _stack_plan(host, "12.3", compat=True)
    check = check_simulation(plan, simulate(host, plan))
    assert not check.ok
    assert check.problems == [
        "apt cannot simulate the install of curl, ca-certificates (for the repositories): "
        "E: Unable to locate package curl"
    ]
    code = main(["install", "--machine", str(machine), "--yes", *BOOKWORM_CUDA])
    out, err = capsys.readouterr()
    assert code == 3
    assert "==> [" not in out  # no step ran: the driver is not installed either
    assert err.strip().splitlines()[-1] == (
        "nvwizard: the simulation says stop: apt cannot simulate the install of curl, "
        "ca-certificates (for the repositories): E: Unable to locate package curl"
    )
