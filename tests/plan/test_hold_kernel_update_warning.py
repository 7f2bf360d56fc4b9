"""A hold on the driver's packages with Canonical's signed modules: the modules for a new
kernel are built for the archive's newest driver, so with the driver held apt keeps them back
(or the kernel upgrade), and the next kernel boots without the driver. The plan said only that
the headers and the modules' metapackage stay free, as if that were enough; it now warns, in
the plan text, --json and the wizard alike, what to watch and when to release the hold."""

import json
from dataclasses import replace

from nvwizard.cli.main import main
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from nvwizard.tui.controllers.install import InstallController
from nvwizard.tui.state import WizardState
from tests.plan.reports import hopper_server
from tests.tui.fakes import FakeBackend, FakeHost

WATCH = "`apt list --upgradable`"


def _kernel_warnings(plan) -> list[str]:
    return [w for w in plan.warnings if "kernel is updated" in w]


def test_hold_with_signed_modules_warns_what_to_watch_and_when_to_release():
    report = build_report(demo_host("hgx-h100"))
    plan = build_plan(report, replace(default_choices(report), hold=True))
    [warning] = _kernel_warnings(plan)
    assert WATCH in warning and "apt-mark unhold nvidia-headless-no-dkms-595-server-open" in warning
    assert "linux-modules-nvidia-595-server-open-generic" in warning  # the metapackage named
    assert WATCH in plan.step("hold").why


def test_no_hold_no_warning_and_dkms_holds_none():
    report = build_report(demo_host("hgx-h100"))
    assert not _kernel_warnings(build_plan(report, default_choices(report)))
    debian = build_report(demo_host("debian12-t4"))  # DKMS builds the held source per kernel
    plan = build_plan(debian, replace(default_choices(debian), hold=True))
    assert not _kernel_warnings(plan) and WATCH not in plan.step("hold").why


def test_a_carried_hold_on_the_driver_warns_too():
    report = hopper_server(held_packages=["nvidia-driver-535-server"])
    plan = build_plan(report, default_choices(report))
    assert plan.step("hold") is not None and len(_kernel_warnings(plan)) == 1


def test_plan_json_carries_the_warning(capsys):
    assert main(["plan", "--demo", "hgx-h100", "--hold", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert any(WATCH in w and "kernel is updated" in w for w in found["warnings"])
    hold = next(s for s in found["steps"] if s["id"] == "hold")
    assert WATCH in hold["why"]


def test_the_wizard_shows_the_warning_and_the_hold_steps_line():
    report = build_report(demo_host("hgx-h100"))
    state = WizardState(host=FakeHost())
    state.plan = build_plan(report, replace(default_choices(report), hold=True))
    shown = [line.text for line in InstallController(state, FakeBackend()).plan_lines()]
    assert any(t.startswith("! The hold keeps the driver") and WATCH in t for t in shown)
    assert any(WATCH in t and "While the driver is held" in t for t in shown)
