"""An NVSwitch machine (the HGX demo) needs fabric manager at exactly the driver's version,
and it follows only the -server drivers: a desktop driver there is refused before anything
runs (exit 3), in one line naming why and the -server driver to use (it got only a warning)."""

from __future__ import annotations

import json

import pytest

from nvwizard.cli.main import main
from nvwizard.errors import EXIT_REFUSED, RefusedError
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.report.wording import WIZARD
from nvwizard.simulator.select import demo_host

WHY = (
    "nvwizard: nvidia-driver-595-open cannot run this NVSwitch machine: it is a desktop "
    "driver, and its GPUs need fabric manager (nvidia-fabricmanager-595), which follows only "
    "the -server drivers at their exact version; use --driver nvidia-driver-595-server-open"
)


@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_plan_desktop_refuses_the_desktop_driver_and_names_the_server_one(json_out, capsys):
    argv = ["plan", "--demo", "hgx-h100", "--desktop", *(["--json"] if json_out else [])]
    assert main(argv) == EXIT_REFUSED
    captured = capsys.readouterr()
    assert captured.out == ""  # no plan, no JSON object
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(WHY)


def test_install_refuses_a_named_desktop_driver_before_anything_runs(capsys):
    argv = ["install", "--demo", "hgx-h100", "--driver", "nvidia-driver-595", "--yes"]
    assert main([*argv, "--accept", "gpu-processes", "--json"]) == EXIT_REFUSED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "nvidia-driver-595 cannot run this NVSwitch machine" in captured.err
    # the proprietary desktop driver: the proprietary -server one, of the same branch
    assert "use --driver nvidia-driver-595-server " in captured.err


def test_the_server_driver_it_names_plans_with_fabric_manager_and_no_warning(capsys):
    argv = ["plan", "--demo", "hgx-h100", "--desktop", "--json"]
    assert main([*argv, "--driver", "nvidia-driver-595-server-open"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["choices"]["headless"] is False
    install = next(s for s in plan["steps"] if s["id"] == "install")
    packages = install["commands"][0]
    assert "nvidia-driver-595-server-open" in packages  # the full driver, desktop libraries
    assert "nvidia-fabricmanager-595" in packages and "libnvidia-nscq-595" in packages
    assert not [w for w in plan["warnings"] if "fabric manager" in w and "desktop" in w]


def test_the_wizard_is_told_in_its_own_words():
    report = build_report(demo_host("hgx-h100"), headless=False)
    choices = default_choices(report)
    assert choices.driver == "nvidia-driver-595-open"  # the desktop ranking's pick
    with pytest.raises(RefusedError) as refused:
        build_plan(report, choices, WIZARD)
    assert "choose nvidia-driver-595-server-open on Select" in str(refused.value)
    assert "--driver" not in str(refused.value)
