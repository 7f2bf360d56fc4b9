"""Plans for the bundled demo machines, through the real detection pipeline."""

import datetime as dt

import pytest

from nvwizard.errors import RefusedError, UsageError
from nvwizard.host.demo import DEMOS
from nvwizard.plan.build import apt_options, build_plan, default_choices
from nvwizard.plan.models import Choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host

APT = apt_options(300)


TODAY = dt.date(2026, 12, 7)


def plan_for(name: str, driver: str | None = None, **choices):
    report = build_report(demo_host(name), today=TODAY)
    base = default_choices(report, driver)
    return report, build_plan(report, Choices(**{**base.__dict__, **choices}))


@pytest.mark.parametrize("demo", [d.name for d in DEMOS if d.name != "vm-no-gpu"])
def test_every_demo_gets_a_plan_in_the_documented_order(demo):
    report, plan = plan_for(demo)
    order = [
        "repair",
        "preflight",
        "sources",
        "cuda-pin",
        "update",
        "stop-services",
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


def test_gtx1080_recommended_580_needs_dkms_under_secure_boot_570_ended_with_signed_modules():
    _, ended = plan_for("gtx1080-secureboot", "nvidia-driver-570-server")
    assert ended.modules == "signed"
    assert any("past its end of life" in w for w in ended.warnings)
    _, recommended = plan_for("gtx1080-secureboot")
    assert recommended.driver == "nvidia-driver-580-server" and recommended.modules == "dkms"
    report, plan = plan_for("gtx1080-secureboot", "nvidia-driver-580")
    assert plan.modules == "dkms"
    # the running kernel's headers, and the metapackage that brings the next kernels' (it
    # follows the installed linux-image-generic)
    assert plan.install_list[-3:] == [
        "nvidia-dkms-580",
        f"linux-headers-{report.kernel}",
        "linux-headers-generic",
    ]
    assert not [w for w in plan.warnings if "headers metapackage" in w]
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


# -- Debian 12 and 13: Debian's own packages, DKMS always ------------------------------------


def debian_headers(demo: str) -> list[str]:
    """The running kernel's headers and the metapackage that follows its updates."""
    kernel = demo_host(demo).read("uname-r.txt").strip()
    return [f"linux-headers-{kernel}", "linux-headers-amd64"]


def test_debian12_default_plan_installs_the_security_updated_driver_headless():
    # nvidia-driver 535.309.01 (bookworm-security) over nvidia-tesla-535-driver 535.216.03
    report, plan = plan_for("debian12-t4")
    assert plan.driver == "nvidia-driver" and plan.branch == 535
    assert plan.install_list[:6] == HEADLESS_CURRENT
    assert report.candidate("nvidia-driver").version == "535.309.01-0+deb12u1"


def test_debian_headless_plan_installs_the_tesla_compute_stack_with_dkms():
    report, plan = plan_for("debian12-t4", "nvidia-tesla-535-driver")
    assert plan.driver == "nvidia-tesla-535-driver" and plan.branch == 535
    assert plan.modules == "dkms" and plan.flavour == "tesla-535"
    assert plan.install_list == [
        "nvidia-tesla-535-kernel-dkms",
        "nvidia-tesla-535-smi",
        "libnvidia-tesla-535-cuda1",
        "libnvidia-tesla-535-cfg1",
        "nvidia-persistenced",
        "firmware-nvidia-tesla-535-gsp",  # the T4 (Turing) has a GSP
        *debian_headers("debian12-t4"),
    ]
    install = plan.step("install").commands[0]
    assert install[install.index("install") + 1] == "--no-install-recommends"
    assert not [n for n in plan.install_list if n.startswith(("nvidia-driver-", "linux-modules"))]
    assert plan.step("fabric-manager") is None and plan.step("sources") is None
    assert any("past its end of life (2026-06)" in w for w in plan.warnings)
    assert f"DKMS builds nvidia-tesla-535-kernel-dkms for kernel {report.kernel}" in (
        plan.step("install").why
    )


HEADLESS_CURRENT = ["nvidia-kernel-dkms", "nvidia-smi", "libcuda1", "libnvidia-cfg1"]
HEADLESS_CURRENT += ["nvidia-persistenced", "firmware-nvidia-gsp"]
HEADLESS_OPEN = ["nvidia-open-kernel-dkms", *HEADLESS_CURRENT[1:]]


@pytest.mark.parametrize(
    ("demo", "driver", "headless", "expected"),
    [
        ("debian12-t4", "nvidia-driver", True, HEADLESS_CURRENT),
        # desktop: the metapackage does not pull nvidia-smi, which Verify runs
        ("debian12-t4", "nvidia-driver", False, ["nvidia-driver", "nvidia-smi"]),
        (
            "debian12-t4",
            "nvidia-tesla-535-driver",
            False,
            ["nvidia-tesla-535-driver", "nvidia-tesla-535-smi"],
        ),
        (
            "debian12-t4",
            "nvidia-tesla-470-driver",  # no GSP firmware package for 470
            True,
            ["nvidia-tesla-470-kernel-dkms", "nvidia-tesla-470-smi", "libnvidia-tesla-470-cuda1"]
            + ["libnvidia-tesla-470-cfg1", "nvidia-persistenced"],
        ),
        ("debian13-l4", "nvidia-driver", True, HEADLESS_CURRENT),
        ("debian13-l4", "nvidia-open-kernel-dkms", True, HEADLESS_OPEN),
        # the open modules first, so apt takes them for nvidia-driver's kernel-module dependency
        (
            "debian13-l4",
            "nvidia-open-kernel-dkms",
            False,
            ["nvidia-open-kernel-dkms", "nvidia-driver", "nvidia-smi"],
        ),
        (
            "debian13-l4",
            "nvidia-tesla-535-driver",
            True,
            ["nvidia-tesla-535-kernel-dkms", "nvidia-tesla-535-smi", "libnvidia-tesla-535-cuda1"]
            + ["libnvidia-tesla-535-cfg1", "nvidia-persistenced", "firmware-nvidia-tesla-535-gsp"],
        ),
    ],
)
def test_debian_plans_per_driver_and_kind(demo, driver, headless, expected):
    _, plan = plan_for(demo, driver, headless=headless)
    assert plan.install_list == expected + debian_headers(demo)
    assert plan.modules == "dkms"


def test_debian_branch_comes_from_apts_version():
    _, plan = plan_for("debian13-l4", "nvidia-driver")
    assert plan.branch == 550  # nvidia-driver 550.163.01-2: no branch in the name
    report = build_report(demo_host("debian13-l4"))
    report.gpus, report.driver_candidates = [], []  # an image build: no GPU, no candidates
    plan = build_plan(report, Choices(driver="nvidia-driver"))
    assert plan.branch == 550 and not [w for w in plan.warnings if "apt does not offer" in w]


def test_debian_refuses_the_open_modules_that_lag_the_driver():
    with pytest.raises(RefusedError, match=r"lag nvidia-driver \(535.309.01-0\+deb12u1\)"):
        plan_for("debian12-t4", "nvidia-open-kernel-dkms")
    with pytest.raises(RefusedError, match="Choose nvidia-driver"):
        plan_for("debian12-t4", "nvidia-open-kernel-dkms", headless=False)


def test_debian_archives_no_longer_have_the_legacy_and_unnumbered_tesla_drivers():
    for driver in ("nvidia-legacy-390xx-driver", "nvidia-tesla-driver"):
        with pytest.raises(UsageError, match="not offered for this machine"):
            plan_for("debian12-t4", driver)


def test_debian_under_secure_boot_warns_about_the_dkms_mok():
    report = build_report(demo_host("debian12-t4"))
    report.secure_boot = "enabled"
    plan = build_plan(report, default_choices(report))
    (warning,) = [w for w in plan.warnings if "Machine Owner Key" in w]
    # a demo's: what the demo does, and the real machine's steps said as such
    assert "On this demo the simulated boot rejects the module" in warning
    assert "On a real machine: after the install, run `sudo mokutil --import " in warning
    assert "/var/lib/dkms/mok.pub` in a terminal (it asks twice for a one-time password)" in warning
    assert "Canonical's signed modules" not in warning  # Debian has none
    report.source, report.demo = "this machine", None  # the same machine, real
    plan = build_plan(report, default_choices(report))
    (warning,) = [w for w in plan.warnings if "Machine Owner Key" in w]
    assert "Debian's dkms queues no enrolment" in warning
    assert "sudo mokutil --import /var/lib/dkms/mok.pub" in warning and "SSH" in warning
    report.secure_boot = "unsupported"
    plan = build_plan(report, default_choices(report))
    assert not [w for w in plan.warnings if "Machine Owner Key" in w]


def test_ubuntu_names_are_not_offered_on_debian_and_bad_names_say_what_is_expected():
    with pytest.raises(UsageError, match="not offered for this machine"):
        plan_for("debian12-t4", "nvidia-driver-535-server")
    with pytest.raises(UsageError, match="on Debian nvidia-driver, nvidia-open-kernel-dkms"):
        plan_for("debian12-t4", "nvidia-tesla-535-smi")


@pytest.mark.parametrize(
    ("kernel", "headers"),
    [
        ("6.12.118+deb13-cloud-amd64", ["linux-headers-cloud-amd64"]),
        ("6.12.118+deb13-rt-amd64", ["linux-headers-rt-amd64"]),
        ("6.12.118+deb13-arm64", ["linux-headers-arm64"]),
        ("6.12.12+bpo-amd64", []),  # backports: warned, not guessed
        ("6.18.44-custom", []),  # not Debian's: warned
    ],
)
def test_debian_headers_follow_every_kernel_flavour(kernel, headers):
    report = build_report(demo_host("debian13-l4"))
    report.kernel = kernel
    plan = build_plan(report, Choices(driver="nvidia-driver"))
    assert plan.install_list[-1 - len(headers) :] == [f"linux-headers-{kernel}", *headers]
    warned = [w for w in plan.warnings if "headers metapackage" in w or "not one of" in w]
    assert bool(warned) == (not headers)


def test_the_end_of_life_warning_is_judged_on_the_reports_day_not_the_clock():
    """Branch 535 ended in 2026-06: a report made for a day before that gets no warning, one
    after it does, whatever the machine's clock says."""
    before = build_report(demo_host("gtx1080-secureboot"), today=dt.date(2026, 1, 15))
    plan = build_plan(before, default_choices(before, "nvidia-driver-535-server"))
    assert not [w for w in plan.warnings if "end of life" in w]
    after = build_report(demo_host("gtx1080-secureboot"), today=dt.date(2026, 7, 1))
    plan = build_plan(after, default_choices(after, "nvidia-driver-535-server"))
    assert (
        "Branch 535 is a long-term support branch (LTSB), past its end of life (2026-06): "
        "NVIDIA no longer fixes bugs or security issues in it."
    ) in plan.warnings


@pytest.mark.parametrize(
    ("kernel", "metas", "headers", "warned"),
    [
        # linux-image-generic is installed (and linux-headers-generic offered): its headers
        ("6.8.0-94-generic", None, ["linux-headers-generic"], None),
        # no kernel metapackage: the ABI headers only, and the plan says so
        ("5.15.0-1045-aws", [], [], "No kernel metapackage (such as linux-image-aws)"),
        ("6.18.44-fc-v1272", None, [], "Kernel 6.18.44-fc-v1272 is not one of Ubuntu's"),
    ],
)
def test_ubuntu_dkms_headers_are_the_running_kernels_and_its_metapackages(
    kernel, metas, headers, warned
):
    """The exact linux-headers-$(uname -r) and the headers metapackage of each installed
    kernel metapackage (so DKMS builds for the next kernel too); none is derived from a kernel
    name that is not Ubuntu's (never linux-headers-v1272), and a warning says why."""
    report = build_report(demo_host("rtx3090-fresh"), today=TODAY)
    assert report.kernel_metapackages == ["linux-image-generic"]
    report.kernel = kernel
    if metas is not None:
        report.kernel_metapackages = report.headers_metapackages = metas
    plan = build_plan(report, default_choices(report))
    assert [p for p in plan.install_list if p.startswith("linux-headers")] == [
        f"linux-headers-{kernel}",
        *headers,
    ]
    assert bool([w for w in plan.warnings if warned and warned in w]) == bool(warned)
    if warned is None:
        assert not [w for w in plan.warnings if "headers" in w]
    assert not [p for p in plan.install_list if "v1272" in p and kernel not in p]
