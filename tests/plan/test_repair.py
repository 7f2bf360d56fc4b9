"""Repair: dpkg interrupted or NVIDIA packages left unfinished, in a driver plan or alone."""

import pytest

from nvwizard.detect.models import DpkgEntry
from nvwizard.plan import models as pm
from nvwizard.plan.build import apt_options, build_plan, build_repair_plan, default_choices
from tests.plan.reports import hopper_server

APT = apt_options(300)
CONFIGURE = ["dpkg", "--configure", "-a"]
FIX_BROKEN = ["apt-get", *APT, "-f", "install"]


def with_states(**states: str):
    """The HGX report with some NVIDIA packages in the given dpkg states."""
    report = hopper_server()
    report.installed_packages = [
        DpkgEntry(p.name, p.version, states.get(p.name, p.state)) for p in report.installed_packages
    ]
    return report


@pytest.mark.parametrize("state", ["iF", "iW", "it"])
def test_a_half_configured_package_gets_the_repair_step_without_dpkg_interrupted(state):
    report = with_states(**{"nvidia-dkms-535-server": state})
    assert not report.dpkg_interrupted
    plan = build_plan(report, default_choices(report))
    repair = plan.steps[0]
    assert repair.id == "repair" and repair.kind == pm.REPAIR
    assert repair.commands == [CONFIGURE]
    assert f"nvidia-dkms-535-server ({state})" in repair.why


@pytest.mark.parametrize("state", ["iU", "iH"])
def test_an_unpacked_package_also_gets_apt_get_f_install(state):
    report = with_states(**{"nvidia-utils-535-server": state})
    plan = build_plan(report, default_choices(report))
    assert plan.steps[0].commands == [CONFIGURE, FIX_BROKEN]


def test_healthy_packages_get_no_repair_step():
    report = hopper_server()
    assert build_plan(report, default_choices(report)).steps[0].id == "preflight"


def test_repair_plan_configures_fixes_and_verifies_the_states():
    report = with_states(**{"nvidia-dkms-535-server": "iF", "nvidia-utils-535-server": "iU"})
    plan = build_repair_plan(report)
    assert [s.id for s in plan.steps] == ["repair", "verify", "audit"]
    assert plan.step("repair").commands == [CONFIGURE, FIX_BROKEN]
    verify = plan.step("verify")
    assert verify.kind == pm.VERIFY
    assert verify.commands[0][:2] == ["dpkg-query", "-W"]
    assert verify.commands[0][3:] == ["nvidia-dkms-535-server", "nvidia-utils-535-server"]
    assert plan.step("audit").commands == [["dpkg", "--audit"]]
    assert plan.step("audit").kind == pm.PREFLIGHT
    assert plan.driver == "" and plan.purge_list == [] and plan.install_list == []


def test_repair_plan_without_known_unfinished_packages_still_configures_and_audits():
    report = hopper_server(dpkg_interrupted=True)
    plan = build_repair_plan(report, lock_timeout_s=60)
    assert [s.id for s in plan.steps] == ["repair", "audit"]
    assert plan.step("repair").commands == [CONFIGURE]
    assert "interrupted" in plan.step("repair").why
    assert plan.choices.lock_timeout_s == 60


def test_repair_plan_repairs_a_failed_install_on_the_demo_machine(monkeypatch, tmp_path):
    """Fail a DKMS postinst on the simulated machine, then repair it with the repair plan."""
    from nvwizard.engine.runner import Engine
    from nvwizard.plan.models import Choices
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-dkms-580")
    host = demo_host("gtx1080-secureboot")
    report = build_report(host)
    install = build_plan(report, Choices(driver="nvidia-driver-580", headless=False))
    assert not Engine(host, install).run().ok

    broken = build_report(host)
    assert "nvidia-dkms-580" in {p.name for p in broken.unfinished_packages}
    assert "half-configured-packages" in {f.id for f in broken.findings}

    monkeypatch.delenv("NVWIZARD_DEMO_FAIL")
    outcome = Engine(host, build_repair_plan(broken)).run()
    assert outcome.ok, outcome.message
    assert build_report(host).unfinished_packages == []


def test_repair_plan_json_round_trips():
    from nvwizard.plan.models import Plan

    plan = build_repair_plan(with_states(**{"nvidia-utils-535-server": "iU"}))
    again = Plan.from_json(plan.to_json())
    assert again.to_json() == plan.to_json()
