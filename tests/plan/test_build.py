from dataclasses import replace

import pytest

from nvwizard.detect.models import DpkgEntry, GpuProcess, LockHolder
from nvwizard.errors import RefusedError, UsageError
from nvwizard.knowledge.packages import holdable
from nvwizard.plan.build import apt_options, build_plan, default_choices, planned_purge
from nvwizard.plan.models import Choices
from nvwizard.report.build import build_report
from nvwizard.report.models import Gpu, Report
from nvwizard.simulator import demo_host
from tests.plan.reports import CONTAINER, KERNEL, OLD_DRIVER, hopper_server, pascal_secure_boot

APT = apt_options(300)


def test_apt_options_are_noninteractive_with_lock_wait_and_status_fd():
    assert APT == [
        "-y",
        "-o",
        "DPkg::Lock::Timeout=300",
        "-o",
        "Dpkg::Options::=--force-confdef",
        "-o",
        "Dpkg::Options::=--force-confold",
        "-o",
        "APT::Status-Fd=3",
    ]


def test_hgx_plan_has_every_step_in_order_with_exact_argv():
    report = hopper_server()
    plan = build_plan(report, default_choices(report))

    assert [s.id for s in plan.steps] == [
        "preflight",
        "update",
        "purge",
        "autoremove",
        "install",
        "fabric-manager",
        "persistenced",
        "verify",
    ]
    purge = sorted([*OLD_DRIVER, "nvidia-fabricmanager-535", "libnvidia-nscq-535"])
    assert plan.purge_list == purge
    assert plan.step("purge").commands == [["apt-get", *APT, "purge", *purge]]
    assert plan.step("autoremove").commands == [["apt-get", *APT, "autoremove", "--purge"]]
    install = [
        "nvidia-headless-no-dkms-580-server-open",
        "nvidia-utils-580-server",
        f"linux-modules-nvidia-580-server-open-{KERNEL}",
        "linux-modules-nvidia-580-server-open-generic",
        "nvidia-fabricmanager-580",
        "libnvidia-nscq-580",
    ]
    assert plan.step("install").commands == [
        ["apt-get", *APT, "install", "--no-install-recommends", *install]
    ]
    assert plan.install_list == install
    assert plan.step("preflight").commands == [["dpkg", "--audit"]]
    assert plan.step("update").commands == [["apt-get", "-o", "DPkg::Lock::Timeout=300", "update"]]
    assert plan.step("verify").commands == [
        ["dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n", *install]
    ]
    assert plan.modules == "signed" and plan.flavour == "580-server-open" and plan.branch == 580
    assert not plan.step("verify").changes_system and plan.step("purge").changes_system


def test_purge_keeps_the_container_toolkit_and_never_uses_a_pattern():
    report = hopper_server()
    plan = build_plan(report, default_choices(report))
    kept = {k.name: k.reason for k in plan.kept_list}
    assert set(CONTAINER) <= set(kept)
    assert "bash" not in plan.purge_list and "bash" not in kept
    for argv in plan.step("purge").commands:
        assert not [a for a in argv if any(c in a for c in "*?[^$")]
        assert not set(CONTAINER) & set(argv)


def test_old_fabric_manager_is_replaced_by_the_new_branch_with_a_warning():
    report = hopper_server()
    plan = build_plan(report, default_choices(report))
    assert "nvidia-fabricmanager-535" in plan.purge_list
    assert any("nvidia-fabricmanager-535 is replaced" in w for w in plan.warnings)


def test_user_can_untick_a_package_and_opt_in_to_purging_a_kept_one():
    report = hopper_server()
    choices = Choices(
        driver="nvidia-driver-580-server-open",
        keep=("nvidia-dkms-535-server",),
        also_purge=("nvidia-container-toolkit",),
    )
    plan = build_plan(report, choices)
    assert "nvidia-dkms-535-server" not in plan.purge_list
    assert "nvidia-container-toolkit" in plan.purge_list
    assert "nvidia-container-toolkit-base" not in plan.purge_list


def test_keep_installed_skips_purge_and_autoremove():
    report = hopper_server(nvswitch_count=0)
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server-open", purge=False))
    assert plan.step("purge") is None and plan.step("autoremove") is None
    assert plan.purge_list == []
    assert "nvidia-driver-535-server" in {k.name for k in plan.kept_list}


def test_keep_installed_on_nvswitch_purges_only_the_other_branchs_fabric_manager():
    report = hopper_server()
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server-open", purge=False))
    assert plan.purge_list == ["libnvidia-nscq-535", "nvidia-fabricmanager-535"]
    purge = plan.step("purge")
    assert purge is not None and purge.commands[0][-3:] == ["purge", *plan.purge_list]
    assert plan.step("autoremove") is None
    assert "nvidia-driver-535-server" in {k.name for k in plan.kept_list}
    assert any("nvidia-fabricmanager-535 is replaced by" in w for w in plan.warnings)


def test_pascal_desktop_gets_dkms_and_headers_and_a_secure_boot_warning():
    report = pascal_secure_boot(source="this machine")
    plan = build_plan(report, default_choices(report))
    assert plan.modules == "dkms"
    install = plan.step("install").commands[0]
    assert install[-3:] == [
        "nvidia-driver-580",
        "nvidia-dkms-580",
        "linux-headers-5.15.0-91-generic",
    ]
    assert "--no-install-recommends" not in install  # a desktop install keeps recommends
    assert "Secure Boot" in plan.step("install").why
    (warning,) = [w for w in plan.warnings if "Machine Owner Key" in w]
    # the install cannot queue the enrolment (apt is non-interactive), so the next boot asks
    # nothing by itself: the import comes from the person, the confirmation at the console
    assert "The next boot asks nothing by itself" in warning
    assert "Running in non-interactive mode, doing nothing." in warning
    assert (
        "after the install, run `sudo mokutil --import /var/lib/shim-signed/mok/MOK.der` in a "
        "terminal (it asks twice for a one-time password), then at the next boot, on the "
        "console or BMC: MOK Manager (press a key within 10 seconds) -> Enroll MOK"
    ) in warning
    assert "not SSH alone" in warning
    assert "the next boot asks on the console" not in warning
    assert plan.mok_certificate == "/var/lib/shim-signed/mok/MOK.der"
    assert plan.to_json()["mok_certificate"] == plan.mok_certificate
    assert plan.step("fabric-manager") is None
    assert plan.step("purge") is None  # nothing installed


def test_open_driver_on_pascal_is_refused_with_the_reason():
    with pytest.raises(RefusedError, match="Pascal GPUs cannot use the open kernel modules"):
        build_plan(pascal_secure_boot(), Choices(driver="nvidia-driver-580-open"))


def test_proprietary_driver_on_blackwell_is_refused():
    report = pascal_secure_boot(
        gpus=[Gpu("0000:01:00.0", "2b85", "GeForce RTX 5090", "Blackwell", "required", "GB202")],
        driver_candidates=[],
    )
    with pytest.raises(RefusedError, match="needs the open kernel modules"):
        build_plan(report, Choices(driver="nvidia-driver-580"))


def test_unknown_driver_is_a_usage_error_naming_what_is_offered():
    with pytest.raises(UsageError, match="not offered.*nvidia-driver-580-server-open"):
        build_plan(hopper_server(), Choices(driver="nvidia-driver-999-server"))
    with pytest.raises(UsageError, match="not an NVIDIA driver package name"):
        build_plan(hopper_server(), Choices(driver="nvidia-*"))


def test_no_gpu_machine_may_get_a_named_driver_with_a_warning():
    report = pascal_secure_boot(gpus=[], driver_candidates=[], recommended_driver=None)
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server", headless=True))
    assert any("No NVIDIA GPU was found" in w for w in plan.warnings)
    assert plan.step("install") is not None


def test_interrupted_dpkg_and_blocking_holds_are_repaired_first():
    report = hopper_server(
        dpkg_interrupted=True, held_packages=["nvidia-utils-535-server", "openssh-server"]
    )
    plan = build_plan(report, default_choices(report))
    assert plan.steps[0].id == "repair"
    assert plan.steps[0].commands == [
        ["dpkg", "--configure", "-a"],
        ["apt-mark", "unhold", "nvidia-utils-535-server"],
    ]
    assert plan.steps[0].title == "Repair the package manager and release the hold on 1 package"
    assert plan.steps[1].id == "preflight"


def test_a_step_that_only_releases_holds_is_titled_for_that():
    report = hopper_server(held_packages=["nvidia-fabricmanager-535", "nvidia-utils-535-server"])
    step = build_plan(report, default_choices(report)).steps[0]
    assert step.commands == [
        ["apt-mark", "unhold", "nvidia-fabricmanager-535", "nvidia-utils-535-server"]
    ]
    assert step.title == "Release the holds on 2 packages"
    assert "dpkg" not in step.on_failure


def test_a_dpkg_repair_alone_keeps_its_title():
    plan = build_plan(hopper_server(dpkg_interrupted=True), default_choices(hopper_server()))
    assert plan.steps[0].title == "Repair the package manager"


def test_optional_hold_and_reboot_steps_come_only_when_chosen():
    report = hopper_server()
    plan = build_plan(
        report, Choices(driver="nvidia-driver-580-server-open", hold=True, reboot=True)
    )
    assert [s.id for s in plan.steps][-3:] == ["hold", "verify", "reboot"]
    assert plan.step("hold").commands == [["apt-mark", "hold", *holdable(plan.install_list)]]
    assert plan.step("reboot").commands[0][:3] == ["shutdown", "-r", "+1"]
    assert build_plan(report, default_choices(report)).step("reboot") is None


def test_an_administrators_holds_pass_to_what_replaces_the_held_packages():
    report = hopper_server(held_packages=["nvidia-fabricmanager-535", "openssh-server"])
    plan = build_plan(report, default_choices(report))
    assert ["apt-mark", "unhold", "nvidia-fabricmanager-535"] in plan.steps[0].commands
    hold = plan.step("hold")
    assert hold is not None and hold.commands == [["apt-mark", "hold", "nvidia-fabricmanager-580"]]
    assert "An administrator held nvidia-fabricmanager-535" in hold.why
    ids = [s.id for s in plan.steps]
    assert ids.index("install") < ids.index("hold") < ids.index("verify")
    said = next(w for w in plan.warnings if w.startswith("Held by an administrator"))
    assert "nvidia-fabricmanager-535 -> nvidia-fabricmanager-580" in said
    assert "openssh-server" not in said  # not changed by the plan: its hold stays as it is
    # no hold released, no hold step
    assert build_plan(hopper_server(), default_choices(hopper_server())).step("hold") is None


def test_a_held_driver_package_with_no_namesake_passes_its_hold_to_the_new_driver():
    # headless: nothing named nvidia-driver-* is installed; nvidia-utils-* has a namesake
    report = hopper_server(held_packages=["nvidia-driver-535-server", "nvidia-utils-535-server"])
    plan = build_plan(report, default_choices(report))
    held = plan.step("hold").commands[0][2:]
    assert "nvidia-headless-no-dkms-580-server-open" in held
    assert "nvidia-utils-580-server" in held
    assert "nvidia-fabricmanager-580" not in held  # nothing held was fabric manager
    said = next(w for w in plan.warnings if w.startswith("Held by an administrator"))
    assert "nvidia-driver-535-server -> the new driver's packages" in said


def test_a_held_package_installed_again_is_held_again():
    from nvwizard.plan.holds import carry_holds

    carried = carry_holds(
        ["nvidia-fabricmanager-595"], ["nvidia-utils-595-server", "nvidia-fabricmanager-595"], []
    )
    assert carried.packages == ["nvidia-fabricmanager-595"]
    assert "nvidia-fabricmanager-595 (installed again)" in carried.warning()


def test_hold_option_holds_everything_and_still_says_which_holds_it_carries():
    report = hopper_server(held_packages=["nvidia-fabricmanager-535"])
    plan = build_plan(report, replace(default_choices(report), hold=True))
    assert plan.step("hold").commands == [["apt-mark", "hold", *holdable(plan.install_list)]]
    assert any(w.startswith("Held by an administrator") for w in plan.warnings)


def test_gpu_processes_and_the_lock_holder_are_warned_about():
    report = hopper_server(
        gpu_processes=[GpuProcess(4242, "python3", "alice", "/dev/nvidia0")],
        lock_holders=[LockHolder(812, "unattended-upgr", "/var/lib/dpkg/lock-frontend")],
    )
    plan = build_plan(report, default_choices(report))
    assert any("python3 (pid 4242)" in w for w in plan.warnings)
    assert any("unattended-upgr (pid 812)" in w and "300 s" in w for w in plan.warnings)


def test_the_gpu_services_daemons_are_not_warned_about_as_processes_that_fail():
    daemon = GpuProcess(2981, "nvidia-persiste", "nvidia-persistenced", "/dev/nvidia0")
    job = GpuProcess(4242, "python3", "alice", "/dev/nvidia0")
    report = hopper_server(gpu_processes=[daemon])
    assert not [w for w in build_plan(report, default_choices(report)).warnings if "pid" in w]
    report = hopper_server(gpu_processes=[daemon, job])
    (warning,) = [w for w in build_plan(report, default_choices(report)).warnings if "pid" in w]
    assert "python3 (pid 4242)" in warning and "2981" not in warning


def test_plan_json_round_trips_through_json():
    import json

    report = hopper_server()
    data = json.loads(json.dumps(build_plan(report, default_choices(report)).to_json()))
    assert data["driver"] == "nvidia-driver-580-server-open"
    assert data["steps"][0]["commands"] == [["dpkg", "--audit"]]
    assert "nvidia-container-toolkit" in {k["name"] for k in data["kept_list"]}
    assert data["choices"]["keep"] == []


def test_plan_from_json_is_the_inverse_of_to_json():
    import json

    from nvwizard.plan.models import KeptPackage, Plan

    report = hopper_server()
    choices = Choices(driver="nvidia-driver-580-server-open", keep=("nvidia-dkms-535-server",))
    plan = build_plan(report, choices)
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again == plan
    assert again.choices.keep == ("nvidia-dkms-535-server",)
    toolkit = replace(choices, also_purge=("nvidia-container-toolkit",))
    plan = build_plan(report, toolkit)
    assert plan.autoremoved_list  # carried by the JSON (the detached apply reads it back)
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan
    assert isinstance(again.kept_list[0], KeptPackage)
    with pytest.raises(KeyError):
        Plan.from_json({"steps": []})


def test_keep_and_also_purge_must_name_listed_packages():
    report = hopper_server()
    with pytest.raises(UsageError, match="--keep bash: not in the purge list"):
        build_plan(report, Choices(driver="nvidia-driver-580-server-open", keep=("bash",)))
    with pytest.raises(UsageError, match="--also-purge bash"):
        build_plan(report, Choices(driver="nvidia-driver-580-server-open", also_purge=("bash",)))


def test_also_purge_of_a_package_not_installed_is_said_not_refused():
    """One command serves hosts that differ, and a rollout run again after the purge (the
    package is gone then): nothing to purge is a warning, as an --accept not needed is."""
    report = hopper_server()
    plan = build_plan(
        report,
        Choices(driver="nvidia-driver-580-server-open", also_purge=("nvidia-docker2",)),
    )
    assert "nvidia-docker2" not in plan.purge_list
    assert (
        "Not needed: --also-purge nvidia-docker2 (not among the NVIDIA packages installed "
        "here: nothing to purge)" in plan.warnings
    )
    assert plan.purge_list == build_plan(report, Choices(driver=plan.driver)).purge_list


def test_keep_installed_refuses_keep_and_also_purge_instead_of_ignoring_them():
    """The plan layer refuses what no front end may pass (the CLI and export check first)."""
    report = hopper_server()
    base = Choices(driver="nvidia-driver-580-server-open", purge=False)
    for option, choices in (
        ("--also-purge nvidia-container-toolkit", replace(base, also_purge=CONTAINER[:1])),
        ("--keep nvidia-dkms-535-server", replace(base, keep=("nvidia-dkms-535-server",))),
    ):
        with pytest.raises(UsageError, match=f"^--keep-installed and {option} contradict"):
            build_plan(report, choices)
        with pytest.raises(UsageError, match=f"^--keep-installed and {option} contradict"):
            planned_purge(report, choices)
    assert build_plan(report, base).purge_list == ["libnvidia-nscq-535", "nvidia-fabricmanager-535"]


def test_signed_modules_meta_comes_with_the_abi_package_or_not_at_all():
    driver = "nvidia-driver-580-server-open"
    abi = f"linux-modules-nvidia-580-server-open-{KERNEL}"
    meta = "linux-modules-nvidia-580-server-open-generic"
    abi_only = hopper_server(signed_modules_available=[abi])
    plan = build_plan(abi_only, default_choices(abi_only))
    assert plan.modules == "signed" and abi in plan.install_list and meta not in plan.install_list
    # a meta without a package for the running kernel cannot load a module before a reboot
    # into another kernel: DKMS builds one for this kernel instead
    meta_only = hopper_server(signed_modules_available=[meta])
    plan = build_plan(meta_only, default_choices(meta_only))
    assert plan.modules == "dkms" and meta not in plan.install_list
    assert f"nvidia-dkms-{driver.removeprefix('nvidia-driver-')}" in plan.install_list


def test_hwe_kernel_plans_take_the_hwe_meta():
    abi = f"linux-modules-nvidia-580-server-open-{KERNEL}"
    hwe = "linux-modules-nvidia-580-server-open-generic-hwe-24.04"
    report = hopper_server(signed_modules_available=[abi, hwe])
    plan = build_plan(report, default_choices(report))
    assert plan.install_list[2:4] == [abi, hwe]


def test_keep_of_another_branchs_fabric_manager_keeps_it_and_says_why():
    """The new branch would replace it; --keep (the wizard's untick) keeps it instead."""

    report = build_report(demo_host("hgx-h100"))
    choices = replace(default_choices(report), keep=("nvidia-fabricmanager-535",))
    plan = build_plan(report, choices)
    assert "nvidia-fabricmanager-535" not in plan.purge_list
    assert "libnvidia-nscq-535" in plan.purge_list  # the other one is still replaced
    kept = {k.name: k.reason for k in plan.kept_list}
    assert kept["nvidia-fabricmanager-535"] == "kept: unticked by you"
    assert planned_purge(report, choices) == (plan.purge_list, plan.kept_list)


SAME_BRANCH = (
    "nvidia-headless-no-dkms-580-server-open",
    "nvidia-utils-580-server",
    "libnvidia-compute-580-server",
    "nvidia-kernel-common-580-server",
)
FABRIC_580 = ("nvidia-fabricmanager-580", "libnvidia-nscq-580")


def _after_a_580_install(driver_state: str = "ii") -> Report:
    """hopper_server once 580-server-open is installed, with its fabric manager and NSCQ."""
    version = "580.95.05-0ubuntu0.24.04.2"
    packages = [DpkgEntry(n, version, driver_state) for n in SAME_BRANCH]
    packages += [DpkgEntry(n, version, "ii") for n in (*FABRIC_580, *CONTAINER)]
    return hopper_server(installed_packages=packages)


def test_the_same_branch_again_purges_its_fabric_manager_and_installs_it_again():
    """The purge takes the 580 driver, which fabric manager 580 needs: it is in the purge list
    the user confirms, with a warning (its settings file is reset), and installed again."""
    report = _after_a_580_install()
    choices = default_choices(report, "nvidia-driver-580-server-open")
    plan = build_plan(report, choices)
    assert plan.purge_list == sorted([*SAME_BRANCH, *FABRIC_580])
    assert not {k.name for k in plan.kept_list} & set(FABRIC_580)
    assert plan.install_list[-2:] == list(FABRIC_580)
    assert plan.step("fabric-manager") is not None
    fabric, nscq = (next(w for w in plan.warnings if w.startswith(n)) for n in FABRIC_580)
    assert "goes with the branch 580 driver this plan purges" in fabric
    assert "installed again with the driver" in nscq
    assert "fabricmanager.cfg" in fabric and "fabricmanager.cfg" not in nscq
    assert planned_purge(report, choices) == (plan.purge_list, plan.kept_list)


def test_the_same_branch_fabric_manager_stays_when_its_driver_does():
    """Only config files of the 580 driver are left (rc): nothing fabric manager needs goes,
    so it stays, and the install keeps it in place. --keep keeps it all the same (the
    simulation then says it cannot stay without the driver)."""
    report = _after_a_580_install(driver_state="rc")
    plan = build_plan(report, default_choices(report, "nvidia-driver-580-server-open"))
    assert not set(FABRIC_580) & set(plan.purge_list)
    assert not any("fabricmanager.cfg" in w for w in plan.warnings)
    report = _after_a_580_install()
    choices = replace(default_choices(report, "nvidia-driver-580-server-open"), keep=FABRIC_580)
    kept = {k.name: k.reason for k in build_plan(report, choices).kept_list}
    assert {n: kept[n] for n in FABRIC_580} == dict.fromkeys(FABRIC_580, "kept: unticked by you")


def test_the_reset_of_fabric_managers_settings_is_said_when_another_branch_replaces_it():
    plan = build_plan(hopper_server(), default_choices(hopper_server()))
    warning = next(w for w in plan.warnings if w.startswith("nvidia-fabricmanager-535"))
    assert "/usr/share/nvidia/nvswitch/fabricmanager.cfg" in warning


def test_the_warnings_name_what_to_do_in_the_front_ends_own_words():
    """The wizard has no --activate or --desktop: its plan's warnings name its screens."""
    from nvwizard.report.wording import WIZARD

    report = hopper_server(nouveau_loaded=True, headless=None)
    choices = default_choices(report)
    cli = " ".join(build_plan(report, choices).warnings)
    assert "(--activate checks that)" in cli and "Use --desktop" in cli
    wizard = " ".join(build_plan(report, choices, WIZARD).warnings)
    assert "(Load it now, on the Reboot screen, checks that)" in wizard
    assert "untick Headless" in wizard
    assert "--activate" not in wizard and "--desktop" not in wizard
