"""plan/nothing_to_do.py: a plan whose driver is installed at apt's version and loaded has
nothing to do, or only adds what the options ask for beside it (plan/keep_driver.py);
anything pending or different about the driver gets the whole plan."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nvwizard.cli.main import main
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.nothing_to_do import settle
from nvwizard.report.build import build_report
from nvwizard.report.models import LoadedModule
from nvwizard.simulator.select import host_from_args

FRESH = "rtx3090-fresh"
DRIVER = "nvidia-driver-595-server-open"


@pytest.fixture
def running(monkeypatch, places, capsys):
    """The demo after `install --yes` and its reboot: 595 installed and loaded."""
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    assert main(["install", "--demo", FRESH, "--yes"]) == 0
    assert main(["reboot", "--demo", FRESH, "--yes"]) == 0
    capsys.readouterr()
    report = build_report(host_from_args(None, FRESH), offers=True)
    return report, default_choices(report, DRIVER)


def settled(report, choices):
    return settle(report, build_plan(report, choices))


def test_installed_and_loaded_has_no_steps(running):
    report, choices = running
    plan = settled(report, choices)
    assert plan.nothing_to_do and plan.steps == [] and not plan.needs_reboot
    assert plan.to_json()["nothing_to_do"] is True


def test_reinstall_keeps_the_whole_plan(running):
    report, choices = running
    plan = settled(report, replace(choices, reinstall=True))
    assert not plan.nothing_to_do and plan.step("purge") and plan.step("install")


def test_a_newer_build_apt_offers_is_something_to_do(running):
    report, choices = running
    newer = [
        replace(c, version="595.58.04-0ubuntu0.22.04.1") if c.package == DRIVER else c
        for c in report.driver_candidates
    ]
    plan = settled(replace(report, driver_candidates=newer), choices)
    assert not plan.nothing_to_do and plan.step("install")


@pytest.mark.parametrize(
    "loaded",
    [None, LoadedModule("580.95.05", "open"), LoadedModule("595.58.03", "proprietary")],
)
def test_another_module_loaded_is_something_to_do(running, loaded):
    report, choices = running
    assert not settled(replace(report, loaded_module=loaded), choices).nothing_to_do


def test_a_pending_reboot_is_something_to_do(running):
    report, choices = running
    assert not settled(replace(report, reboot_required=True), choices).nothing_to_do


def test_persistenced_not_enabled_is_something_to_do(running):
    report, choices = running
    assert choices.persistenced
    services = [replace(u, enabled="disabled") for u in report.gpu_services]
    assert not settled(replace(report, gpu_services=services), choices).nothing_to_do
    # without --persistenced nothing asks for it
    plan = settled(replace(report, gpu_services=services), replace(choices, persistenced=False))
    assert plan.nothing_to_do


def test_desktop_asked_where_headless_is_installed_is_something_to_do(running):
    report, choices = running
    assert not settled(report, replace(choices, headless=False)).nothing_to_do


DRIVER_KINDS = {"purge", "autoremove", "install", "stop-services", "reboot", "fabric-manager"}


def test_a_stack_asked_for_keeps_the_running_driver(running):
    report, choices = running
    plan = settled(report, replace(choices, cuda="12.8", cudnn=True, container_toolkit=True))
    assert plan.keeps_driver and not plan.nothing_to_do and not plan.needs_reboot
    assert not {step.kind for step in plan.steps} & DRIVER_KINDS
    assert plan.purge_list == [] and plan.install_list == [] and plan.blockers == []
    assert plan.stack_list == ["cuda-toolkit-12-8", "cudnn9-cuda-12", "nvidia-container-toolkit"]
    assert plan.step("cuda-toolkit") and plan.step("cudnn") and plan.step("configure-docker")


def test_a_newer_build_with_a_stack_keeps_the_driver_and_says_so(running):
    """The build apt offers is not taken for a stack-only change: a warning names it and
    --reinstall."""
    report, choices = running
    newer = [
        replace(c, version="595.58.04-0ubuntu0.22.04.1") if c.package == DRIVER else c
        for c in report.driver_candidates
    ]
    plan = settled(replace(report, driver_candidates=newer), replace(choices, cuda="12.8"))
    assert plan.keeps_driver and not plan.step("install") and not plan.step("purge")
    assert any("595.58.04-0ubuntu0.22.04.1" in w and "--reinstall" in w for w in plan.warnings)


def test_persistenced_not_enabled_is_enabled_and_started_beside_the_driver(running):
    report, choices = running
    services = [replace(u, enabled="disabled") for u in report.gpu_services]
    plan = settled(replace(report, gpu_services=services), choices)
    assert plan.keeps_driver and [s.kind for s in plan.steps if s.changes_system] == [
        "persistenced"
    ]
    assert plan.step("persistenced").commands == [
        ["systemctl", "enable", "nvidia-persistenced.service"],
        ["systemctl", "start", "nvidia-persistenced.service"],
    ]


def test_hold_asked_for_holds_only_beside_the_driver(running):
    report, choices = running
    plan = settled(report, replace(choices, hold=True))
    assert plan.keeps_driver
    assert [s.kind for s in plan.steps if s.changes_system] == ["hold"]
    held = replace(report, held_packages=plan.step("hold").commands[0][2:])
    assert settled(held, replace(choices, hold=True)).nothing_to_do


def test_a_reboot_pending_only_for_a_kernel_update_keeps_the_running_driver(running):
    """unattended-upgrades installed a kernel (reboot-required.pkgs names it, not the driver):
    --cuda adds the toolkit beside the driver, it does not purge and reinstall the driver and
    reboot; the pending reboot is said."""
    report, choices = running
    kernel_only = replace(
        report,
        reboot_required=True,
        reboot_required_for=["linux-image-5.15.0-164-generic", "linux-base"],
    )
    plan = settled(kernel_only, replace(choices, cuda="12.8"))
    assert plan.keeps_driver and not plan.needs_reboot
    assert not {step.kind for step in plan.steps} & DRIVER_KINDS and plan.purge_list == []
    assert any("linux-image-5.15.0-164-generic" in w for w in plan.warnings)
    nothing = settled(kernel_only, choices)
    assert nothing.nothing_to_do
    assert any("linux-image-5.15.0-164-generic" in w for w in nothing.warnings)


def test_a_reboot_pending_for_what_is_not_known_is_something_to_do(running):
    report, choices = running
    pending = replace(report, reboot_required=True, reboot_required_for=[])
    assert not settled(pending, choices).nothing_to_do
    assert not settled(pending, replace(choices, cuda="12.8")).keeps_driver


def test_a_reboot_the_driver_s_packages_asked_for_is_done_once_their_module_runs(running):
    """The packages flagged the reboot, and their version's module is loaded already (loaded
    without a reboot): nothing waits for it (report/driver_runs.py; a module of another version
    still waits, tests/plan/test_one_running_rule.py)."""
    report, choices = running
    named = ["nvidia-dkms-595-server-open"]
    pending = replace(report, reboot_required=True, reboot_required_for=named)
    assert settled(pending, choices).nothing_to_do
