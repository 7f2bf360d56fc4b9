"""Plans for the bundled demo machines, through the real detection pipeline."""

import pytest

from nvwizard.errors import RefusedError, UsageError
from nvwizard.host.demo import DEMOS, demo_host
from nvwizard.plan.build import apt_options, build_plan, default_choices
from nvwizard.plan.models import Choices
from nvwizard.report.build import build_report

APT = apt_options(300)


def plan_for(name: str, driver: str | None = None, **choices):
    report = build_report(demo_host(name))
    base = default_choices(report, driver)
    return report, build_plan(report, Choices(**{**base.__dict__, **choices}))


@pytest.mark.parametrize("demo", [d.name for d in DEMOS if d.name != "vm-no-gpu"])
def test_every_demo_gets_a_plan_in_the_documented_order(demo):
    report, plan = plan_for(demo)
    order = [
        "repair",
        "preflight",
        "update",
        "purge",
        "autoremove",
        "install",
        "fabric-manager",
        "hold",
        "persistenced",
        "verify",
        "reboot",
    ]
    ids = [s.id for s in plan.steps]
    assert ids == sorted(ids, key=order.index)
    assert {"preflight", "update", "install", "verify"} <= set(ids)
    assert ("purge" in ids) == bool(plan.purge_list)
    for step in plan.steps:
        for argv in step.commands:
            assert isinstance(argv, list) and all(isinstance(a, str) for a in argv)
            assert argv[0] in ("apt-get", "dpkg", "dpkg-query", "apt-mark", "systemctl", "shutdown")
    for name in plan.purge_list:
        assert not any(c in name for c in "*?[]^$")  # exact names, never a pattern
    assert not {k.name for k in plan.kept_list} & set(plan.purge_list)


def test_hgx_keeps_the_toolkit_replaces_fabric_manager_and_unholds_it():
    report, plan = plan_for("hgx-h100")
    kept = {k.name for k in plan.kept_list}
    assert {"nvidia-container-toolkit", "libnvidia-container1"} <= kept
    branch = plan.branch
    assert plan.install_list[-2:] == [f"nvidia-fabricmanager-{branch}", f"libnvidia-nscq-{branch}"]
    assert "nvidia-fabricmanager-535" in plan.purge_list
    assert plan.step("fabric-manager").commands == [
        ["systemctl", "enable", "nvidia-fabricmanager.service"]
    ]
    assert plan.steps[0].id == "repair"
    assert ["apt-mark", "unhold", "libnvidia-nscq-535", "nvidia-fabricmanager-535"] in plan.steps[
        0
    ].commands
    assert plan.modules == "signed"
    assert f"linux-modules-nvidia-{plan.flavour}-{report.kernel}" in plan.install_list
    assert plan.step("purge").commands == [["apt-get", *APT, "purge", *plan.purge_list]]


def test_gtx1080_recommended_driver_uses_signed_modules_but_580_needs_dkms_under_secure_boot():
    _, recommended = plan_for("gtx1080-secureboot")
    assert recommended.modules == "signed"
    report, plan = plan_for("gtx1080-secureboot", "nvidia-driver-580")
    assert plan.modules == "dkms"
    assert plan.install_list[-2:] == ["nvidia-dkms-580", f"linux-headers-{report.kernel}"]
    assert any("Machine Owner Key" in w for w in plan.warnings)


def test_gtx1080_refuses_the_open_modules():
    with pytest.raises(RefusedError, match="open kernel modules"):
        plan_for("gtx1080-secureboot", "nvidia-driver-580-open")


def test_rtx5090_refuses_the_proprietary_modules_and_installs_the_desktop_driver():
    with pytest.raises(RefusedError, match="needs the open kernel modules"):
        plan_for("rtx5090-workstation", "nvidia-driver-580")
    _, plan = plan_for("rtx5090-workstation")
    assert plan.install_list[0] == plan.driver and not plan.choices.headless
    assert "--no-install-recommends" not in plan.step("install").commands[0]


def test_an_unknown_driver_is_a_usage_error_on_a_demo():
    with pytest.raises(UsageError, match="not offered"):
        plan_for("rtx3090-fresh", "nvidia-driver-999-server")


def test_no_gpu_demo_needs_a_named_driver_and_warns():
    report = build_report(demo_host("vm-no-gpu"))
    assert not report.has_nvidia_gpu
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server"))
    assert any("No NVIDIA GPU was found" in w for w in plan.warnings)


def test_nvml_mismatch_warns_that_the_next_boot_runs_another_kernel():
    _, plan = plan_for("nvml-mismatch")
    assert any("next boot" in w for w in plan.warnings)


@pytest.mark.parametrize(
    ("demo", "meta_flavour"),
    [
        ("hgx-h100", "generic"),
        ("rtx3090-fresh", "generic"),
        ("gtx1080-secureboot", "generic"),
        ("rtx5090-workstation", "generic-hwe-24.04"),  # an HWE kernel follows the HWE series
        ("nvml-mismatch", "generic"),  # the meta already points at the newer, installed kernel
    ],
)
def test_signed_plans_install_the_meta_that_follows_kernel_updates(demo, meta_flavour):
    report, plan = plan_for(demo)
    assert plan.modules == "signed"
    abi = f"linux-modules-nvidia-{plan.flavour}-{report.kernel}"
    meta = f"linux-modules-nvidia-{plan.flavour}-{meta_flavour}"
    assert meta in report.signed_modules_available
    assert plan.install_list.index(abi) + 1 == plan.install_list.index(meta)
    assert meta in plan.step("install").commands[0]
    others = [n for n in plan.install_list if n.startswith("linux-modules-nvidia-")]
    assert others == [abi, meta]
