"""`--hold` (and a hold carried over) holds the driver, never what must follow kernel updates:
the headers DKMS builds against and the signed modules' metapackage, which pull in each new
kernel's headers and modules. Held, they leave the next kernel without a driver (Debian: no
headers, so no DKMS build), or keep the kernel itself back (Ubuntu's linux-generic depends
on linux-headers-generic at its exact version)."""

from dataclasses import replace

import pytest

from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from tests.plan.reports import hopper_server

KERNEL_FOLLOWERS = {
    "gtx1080-secureboot": ["linux-headers-5.15.0-163-generic", "linux-headers-generic"],
    "debian12-t4": ["linux-headers-6.1.0-57-amd64", "linux-headers-amd64"],
    "debian13-l4": ["linux-headers-6.12.118+deb13-amd64", "linux-headers-amd64"],
    "hgx-h100": ["linux-modules-nvidia-595-server-open-generic"],
}


@pytest.mark.parametrize("demo", sorted(KERNEL_FOLLOWERS))
def test_hold_leaves_the_packages_that_follow_the_kernel_free(demo):
    report = build_report(demo_host(demo))
    plan = build_plan(report, replace(default_choices(report), hold=True))
    held = plan.step("hold").commands[0][2:]
    for name in KERNEL_FOLLOWERS[demo]:
        assert name in plan.install_list  # installed, so the next kernel gets them too
        assert name not in held
    assert held  # the driver's own packages are held
    assert all(not name.startswith("linux-headers-") for name in held)
    assert "kernel" in plan.step("hold").why


def test_hold_keeps_the_signed_modules_of_the_running_kernel():
    report = build_report(demo_host("hgx-h100"))
    plan = build_plan(report, replace(default_choices(report), hold=True))
    held = plan.step("hold").commands[0][2:]
    assert "linux-modules-nvidia-595-server-open-6.8.0-94-generic" in held
    assert "nvidia-utils-595-server" in held


def test_a_carried_hold_with_no_namesake_does_not_hold_the_signed_modules_metapackage():
    report = hopper_server(held_packages=["nvidia-driver-535-server"])
    plan = build_plan(report, default_choices(report))
    held = plan.step("hold").commands[0][2:]
    assert "nvidia-headless-no-dkms-580-server-open" in held
    assert "linux-modules-nvidia-580-server-open-generic" in plan.install_list
    assert "linux-modules-nvidia-580-server-open-generic" not in held
