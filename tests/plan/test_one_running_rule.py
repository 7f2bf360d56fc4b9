"""One rule says whether the planned driver already runs (report/driver_runs.py's
`planned_driver_runs`): the over-SSH finding (no reboot ahead) and the plan that keeps the
driver (plan/nothing_to_do.py) ask it both, so they agree on every demo machine, before and
after `install --yes` and its reboot. The stricter facts hold for both: libraries of another
version than the loaded module, or nouveau still loaded, mean the driver does not run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nvwizard.cli.main import main
from nvwizard.host.demo import demo_names
from nvwizard.knowledge.packages import is_nvidia_related
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.nothing_to_do import settle
from nvwizard.report.build import build_report
from nvwizard.report.driver_runs import (
    planned_driver_runs,
    reboot_pending_for_driver,
    reboot_still_waits_for,
)
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings import find_all
from nvwizard.report.findings.system import reboot_required
from nvwizard.simulator.select import host_from_args

DEMOS = [name for name in demo_names() if name != "vm-no-gpu"]  # no GPU: nothing to plan


@pytest.fixture(autouse=True)
def _quick(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def judged(demo: str):
    """(the report, the plan for its recommended driver, settled), over SSH."""
    report = replace(build_report(host_from_args(None, demo), offers=True), over_ssh=True)
    report = replace(report, findings=find_all(report))
    plan = settle(report, build_plan(report, default_choices(report, report.recommended_driver)))
    return report, plan


def assert_agree(report, plan) -> bool:
    runs = planned_driver_runs(report, plan.driver)
    kept = (plan.nothing_to_do or plan.keeps_driver) and plan.mok_certificate is None
    assert kept == runs
    assert ("over-ssh" not in {f.id for f in report.findings}) == runs
    return runs


@pytest.mark.parametrize("demo", DEMOS)
def test_the_finding_and_the_plan_agree_before_and_after_install_and_reboot(demo, capsys):
    report, plan = judged(demo)
    assert_agree(report, plan)
    accept = [option for b in plan.blockers for option in ("--accept", b.id)]
    assert main(["install", "--demo", demo, "--yes", "--driver", plan.driver, *accept]) == 0
    assert main(["reboot", "--demo", demo, "--yes"]) == 0
    capsys.readouterr()
    report, plan = judged(demo)
    runs = assert_agree(report, plan)
    # after its install and reboot the driver runs, except where Secure Boot rejects the
    # module DKMS built: then the plan names the key to enrol
    assert runs == (plan.mok_certificate is None)


def test_libraries_of_another_version_or_nouveau_mean_it_does_not_run(capsys):
    demo = "rtx3090-fresh"
    assert main(["install", "--demo", demo, "--yes"]) == 0
    assert main(["reboot", "--demo", demo, "--yes"]) == 0
    capsys.readouterr()
    report, plan = judged(demo)
    assert plan.nothing_to_do and planned_driver_runs(report, plan.driver)
    libraries = [
        replace(e, version="595.71.05-0ubuntu0.22.04.1")
        if e.name.startswith(("libnvidia-compute-", "nvidia-utils-"))
        else e
        for e in report.installed_packages
    ]
    for other in (
        replace(report, installed_packages=libraries),
        replace(report, nouveau_loaded=True),
    ):
        choices = default_choices(other, plan.driver)
        settled = settle(other, build_plan(other, choices))
        assert not planned_driver_runs(other, plan.driver)
        assert not settled.nothing_to_do and not settled.keeps_driver
        assert settled.step("install") is not None


@pytest.mark.parametrize("demo", ["rtx3090-fresh", "debian13-l4"])
def test_a_driver_loaded_without_a_reboot_runs_though_its_packages_flagged_one(demo, capsys):
    """After `activate` (a load without a reboot) and a passing verify, reboot-required.pkgs
    still names the NVIDIA packages: satisfied, as the loaded module is theirs. The next plan
    said the driver did not run and offered to purge, reinstall and reboot it."""
    assert main(["install", "--demo", demo, "--yes"]) == 0
    assert main(["activate", "--demo", demo, "--yes"]) == 0
    assert main(["verify", "--demo", demo]) == 0
    capsys.readouterr()
    report, plan = judged(demo)
    assert report.reboot_required and report.reboot_required_for
    assert all(is_nvidia_related(name) for name in report.reboot_required_for)
    assert not reboot_pending_for_driver(report)
    assert assert_agree(report, plan) and plan.nothing_to_do
    said = " ".join(plan.warnings)
    assert "but their driver is loaded already" in said and "not for the driver" not in said
    assert main(["plan", "--demo", demo]) == 0
    assert "Nothing to do:" in capsys.readouterr().out
    # the same flag with what a reboot would still change: pending for the driver
    loaded = report.loaded_module.version
    newer = [
        replace(e, version=e.version.replace(loaded, "999.1.2")) for e in report.installed_packages
    ]
    assert reboot_pending_for_driver(replace(report, installed_packages=newer))
    assert reboot_pending_for_driver(replace(report, reboot_required_for=[]))  # cause unknown
    kernel = replace(report, reboot_required_for=["linux-image-6.8.0-95-generic"])
    assert not reboot_pending_for_driver(kernel)  # a kernel's reboot: not the driver's


def test_detect_s_reboot_finding_after_a_load_without_a_reboot_asks_the_same_rule(capsys):
    """After `activate`, reboot-required.pkgs names only the NVIDIA packages, settled by the
    load: detect's reboot-required finding said "Reboot first" (a warn) all the same, while the
    plan said nothing waits for the driver. It asks the same rule now: an info, no reboot."""
    assert main(["install", "--demo", "rtx3090-fresh", "--yes"]) == 0
    assert main(["activate", "--demo", "rtx3090-fresh", "--yes"]) == 0
    capsys.readouterr()
    assert main(["detect", "--demo", "rtx3090-fresh"]) == 0
    out = capsys.readouterr().out
    assert "INFO  reboot-required: A reboot is still flagged" in out
    assert "but their driver is loaded already" in out and "Reboot first" not in out
    report, _ = judged("rtx3090-fresh")
    assert reboot_still_waits_for(report) == []
    # what a reboot would still settle keeps the warning: a kernel's, or an unknown cause
    kernel = [*report.reboot_required_for, "linux-image-6.8.0-95-generic"]
    for still in (
        replace(report, reboot_required_for=kernel),
        replace(report, reboot_required_for=[]),
    ):
        found = reboot_required(still, ExtraFacts())
        assert found.severity == "warn" and "Reboot first" in found.fix
    assert reboot_still_waits_for(replace(report, reboot_required_for=kernel)) == [kernel[-1]]
