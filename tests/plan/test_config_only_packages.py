"""Packages dpkg lists as `rc` (removed, their config files left) are purged too, but are not
installed: the plan's purge step and the wizard's Detect summary say so, rather than
counting them as installed packages (the GTX 1080 demo has only two such remnants of 470)."""

from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from nvwizard.tui.controllers.detect import DetectController


def test_the_purge_step_says_its_packages_are_only_config_files():
    report = build_report(demo_host("gtx1080-secureboot"))
    plan = build_plan(report, default_choices(report))
    assert plan.purge_list == ["nvidia-compute-utils-470", "nvidia-kernel-common-470"]
    title = plan.step("purge").title
    assert "installed" not in title
    assert title == ("Purge the 2 NVIDIA driver packages (2 of them config files only)")


def test_installed_packages_keep_the_plain_title():
    report = build_report(demo_host("rtx5090-workstation"))
    plan = build_plan(report, default_choices(report))
    assert plan.step("purge").title == "Purge the 20 installed NVIDIA driver packages"
    # the HGX board has two remnants of 525 beside its installed 535
    hgx = build_report(demo_host("hgx-h100"))
    title = build_plan(hgx, default_choices(hgx)).step("purge").title
    assert title == ("Purge the 20 NVIDIA driver packages (2 of them config files only)")


def test_the_detect_summary_counts_config_files_apart():
    report = build_report(demo_host("gtx1080-secureboot"))
    lines = [line.text for line in DetectController._packages(report)]
    assert lines == ["Installed NVIDIA packages: none (2 removed, their config files left)"]
    hgx = [line.text for line in DetectController._packages(build_report(demo_host("hgx-h100")))]
    assert hgx[0].startswith("Installed NVIDIA packages: 29 (nvidia-driver-535-server")
    assert hgx[0].endswith("; 2 removed, their config files left")
