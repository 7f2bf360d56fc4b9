from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices, KeptPackage
from nvwizard.plan.replaced import pair_replacements
from nvwizard.plan.simulate import (
    Simulation,
    check_simulation,
    kept_after,
    parse_simulation,
    simulate,
    simulation_commands,
)
from nvwizard.plan.text import format_simulation
from tests.engine.sandboxhost import SandboxHost
from tests.plan.reports import KERNEL, candidate, hopper_server, installed
from tests.plan.stepwise import apply_step_by_step

INSTALL_OUTPUT = """\
NOTE: This is only a simulation!
      apt-get needs root privileges for real execution.
Reading package lists...
The following packages will be REMOVED:
  nvidia-utils-535-server
Remv nvidia-utils-535-server [535.247.01-0ubuntu0.24.04.1]
Inst libnvidia-compute-580-server (580.95.05-0ubuntu0.24.04.2 Ubuntu:24.04/noble-updates [amd64])
Inst nvidia-utils-580-server (580.95.05-0ubuntu0.24.04.2 Ubuntu:24.04/noble-updates [amd64])
Inst libc6:amd64 [2.39-0ubuntu8.3] (2.39-0ubuntu8.4 Ubuntu:24.04/noble-updates [amd64]) []
Inst nvidia-fabricmanager-580 (580.95.05-1 Ubuntu:24.04/noble-updates [amd64])
Conf nvidia-utils-580-server (580.95.05-0ubuntu0.24.04.2 Ubuntu:24.04/noble-updates [amd64])
"""


def test_parse_simulation_reads_installs_upgrades_and_removals():
    result = parse_simulation(INSTALL_OUTPUT)
    assert result.install == {
        "libnvidia-compute-580-server": "580.95.05-0ubuntu0.24.04.2",
        "nvidia-utils-580-server": "580.95.05-0ubuntu0.24.04.2",
        "nvidia-fabricmanager-580": "580.95.05-1",
    }
    assert result.upgrade == {"libc6": ("2.39-0ubuntu8.3", "2.39-0ubuntu8.4")}
    assert result.remove == {"nvidia-utils-535-server": "535.247.01-0ubuntu0.24.04.1"}


def test_parse_simulation_keeps_errors():
    result = parse_simulation("Reading package lists...\nE: Unable to locate package x\n", [], 100)
    assert not result.ok and result.errors == ["E: Unable to locate package x"]


def _plan():
    report = hopper_server()
    return build_plan(report, Choices(driver="nvidia-driver-580-server-open"))


def test_simulation_commands_are_read_only_and_use_the_exact_lists():
    plan = _plan()
    commands = simulation_commands(plan)
    assert commands["purge"] == ["apt-get", "-s", "purge", *plan.purge_list]
    assert commands["autoremove"][:4] == ["apt-get", "-s", "purge", "--autoremove"]
    assert commands["install"] == [
        "apt-get",
        "-s",
        "install",
        "--no-install-recommends",
        *plan.install_list,
    ]


def test_check_stops_when_apt_removes_an_unconfirmed_package():
    plan = _plan()
    purge = parse_simulation(
        "\n".join(f"Purg {p} [1]" for p in plan.purge_list) + "\nPurg cuda-drivers-535 [1]\n"
    )
    sim = Simulation(purge=purge, autoremove=None, install=parse_simulation(INSTALL_OUTPUT))
    check = check_simulation(plan, sim)
    assert not check.ok
    assert any("cuda-drivers-535" in p for p in check.problems)


def test_check_stops_when_autoremove_would_take_a_kept_package():
    plan = _plan()
    plan.kept_list.append(KeptPackage("libnvidia-container1", "container runtime"))
    purge_text = "\n".join(f"Purg {p} [1]" for p in plan.purge_list)
    purge = parse_simulation(purge_text)
    autoremove = parse_simulation(purge_text + "\nPurg libnvidia-container1 [1]\nPurg dkms [1]")
    check = check_simulation(plan, Simulation(purge, autoremove, None))
    assert Simulation(purge, autoremove, None).also_removed == ["dkms", "libnvidia-container1"]
    assert check.problems == ["autoremove would remove kept packages: libnvidia-container1"]


def test_check_names_the_branch_a_transitional_package_really_installs():
    report = hopper_server()
    plan = build_plan(report, Choices(driver="nvidia-driver-535-server", purge=False))
    install = parse_simulation(INSTALL_OUTPUT.replace("Remv nvidia-utils-535-server", "Xx"))
    check = check_simulation(plan, Simulation(None, None, install))
    assert check.ok, check.problems
    assert check.installed_branches == [580]
    assert "really installs branch 580" in check.notes[0]


def test_check_flags_a_fabric_manager_at_another_version():
    install = parse_simulation(INSTALL_OUTPUT.replace("580.95.05-1 ", "580.82.07-1 "))
    plan = _plan()
    check = check_simulation(plan, Simulation(None, None, install))
    assert any("fabric manager refuses to start" in p for p in check.problems)


def test_simulation_against_real_apt_keeps_the_container_toolkit(apt_sandbox):
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install(
        "nvidia-driver-535-server", "nvidia-container-toolkit", "nvidia-fabricmanager-535"
    )
    report = hopper_server(
        installed_packages=installed(
            *[p for p, s in apt_sandbox.status().items() if s == "ii" and p != "sandbox-base"]
        )
    )
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server-open"))
    host = SandboxHost(apt_sandbox)
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)

    assert check.ok, check.problems
    assert "nvidia-container-toolkit" not in sim.purge.remove
    assert set(sim.purge.remove) == set(plan.purge_list)
    assert "dkms" in sim.also_removed
    assert "nvidia-utils-580-server" in sim.install.install
    assert check.installed_branches == [580]
    read_only = (["apt-get", "-s"], ["apt-config", "shell"])
    assert all(argv[:2] in read_only for argv in host.started)
    before = apt_sandbox.status()
    assert before["nvidia-driver-535-server"] == "ii"  # a simulation changes nothing


def test_simulation_of_an_unknown_package_is_a_problem(apt_sandbox):
    apt_sandbox.run(["apt-get", "update"], check=True)
    report = hopper_server(installed_packages=[], nvswitch_count=0, signed_modules_available=[])
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server-open"))
    plan.install_list.append("nvidia-does-not-exist")
    check = check_simulation(plan, simulate(SandboxHost(apt_sandbox), plan))
    assert not check.ok
    assert "Unable to locate package nvidia-does-not-exist" in check.problems[0]


# -- the simulation equals the apply, step by step (issue 9 items 7 and 11) --------------------


def _sandbox_report(apt_sandbox, driver: str, **changes):
    """The HGX report with what the sandbox has installed and offers for `driver`."""
    flavour = driver.removeprefix("nvidia-driver-")
    present = [p for p, s in apt_sandbox.status().items() if s == "ii" and p != "sandbox-base"]
    defaults = {
        "installed_packages": installed(*present),
        "nvswitch_count": 0,
        "driver_candidates": [candidate(driver)],
        "recommended_driver": driver,
        "signed_modules_available": [
            f"linux-modules-nvidia-{flavour}-{KERNEL}",
            f"linux-modules-nvidia-{flavour}-generic",
        ],
    }
    return hopper_server(**{**defaults, **changes})


def _assert_apply_matches(sim, changes):
    if sim.purge is not None:
        assert changes["purge"].removed == set(sim.purge.remove)
        assert changes["autoremove"].removed == set(sim.also_removed)
    install = changes["install"]
    assert install.added == set(sim.install.install)
    assert install.changed_version == set(sim.install.upgrade)
    assert install.removed == set(sim.install.remove)


def test_real_apt_install_is_simulated_after_the_purge_as_it_applies(apt_sandbox):
    """Same library base (580-server -> 580-server-open): the purge takes the libraries and the
    install brings them back; simulated on today's state, the install missed them."""
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install("nvidia-driver-580-server", "nvidia-container-toolkit")
    report = _sandbox_report(apt_sandbox, "nvidia-driver-580-server-open")
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server-open"))
    host = SandboxHost(apt_sandbox)
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)
    assert check.ok, check.problems
    assert "libnvidia-compute-580-server" in sim.install.install
    assert "libnvidia-compute-580-server" in sim.reinstalled
    assert not sim.install.remove  # nothing left to replace once the old driver is purged
    _assert_apply_matches(sim, apply_step_by_step(host, plan))
    assert apt_sandbox.status()["nvidia-container-toolkit"] == "ii"


def test_real_apt_branch_replacement_in_place_is_allowed_and_shown(apt_sandbox):
    """--keep-installed, 535-server -> 570-server: apt's Conflicts replace the old branch."""
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install("nvidia-driver-535-server", "nvidia-container-toolkit")
    report = _sandbox_report(apt_sandbox, "nvidia-driver-570-server")
    plan = build_plan(report, Choices(driver="nvidia-driver-570-server", purge=False))
    host = SandboxHost(apt_sandbox)
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)

    assert check.ok, check.problems
    replaced = {r.old: r.new for r in check.replaced}
    assert replaced["nvidia-utils-535-server"] == "nvidia-utils-570-server"
    assert replaced["libnvidia-compute-535-server"] == "libnvidia-compute-570-server"
    assert replaced["nvidia-driver-535-server"] is None  # headless: no metapackage takes over
    assert set(replaced) == set(sim.install.remove)
    text = format_simulation(sim, check)
    assert "nvidia-utils-535-server -> nvidia-utils-570-server" in text
    assert "STOP" not in text
    changes = apply_step_by_step(host, plan)
    _assert_apply_matches(sim, changes)
    assert changes["install"].removed == set(replaced)
    assert apt_sandbox.status()["nvidia-container-toolkit"] == "ii"


def test_real_apt_replacement_stops_when_another_package_would_go(apt_sandbox):
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install("nvidia-driver-535-server", "site-gpu-agent")
    report = _sandbox_report(apt_sandbox, "nvidia-driver-570-server")
    plan = build_plan(report, Choices(driver="nvidia-driver-570-server", purge=False))
    check = check_simulation(plan, simulate(SandboxHost(apt_sandbox), plan))
    assert not check.ok
    assert check.problems == [
        "the install would remove packages you did not confirm: site-gpu-agent"
    ]
    assert "nvidia-utils-535-server" in {r.old for r in check.replaced}


def test_a_package_the_user_kept_is_never_replaced_silently():
    report = hopper_server()
    plan = build_plan(
        report,
        Choices(driver="nvidia-driver-580-server-open", keep=("nvidia-utils-535-server",)),
    )
    install = parse_simulation(
        "Remv nvidia-utils-535-server [535.247.01-0ubuntu0.24.04.1]\n"
        "Inst nvidia-utils-580-server (580.95.05-0ubuntu0.24.04.2 Ubuntu:24.04/noble [amd64])\n"
    )
    check = check_simulation(plan, Simulation(None, None, install))
    assert check.problems == [
        "the install would remove packages you did not confirm: nvidia-utils-535-server"
    ]
    assert check.replaced == []


def test_replacements_pair_old_and_new_by_name_without_the_branch():
    pairs = pair_replacements(
        [
            "nvidia-utils-535-server",
            "nvidia-firmware-535-server-535.247.01",
            "nvidia-kernel-source-535-server",
            "nvidia-dkms-535-server",
        ],
        [
            "nvidia-utils-570-server",
            "nvidia-firmware-570-server-570.211.01",
            "nvidia-kernel-source-570-server-open",
        ],
    )
    assert [(p.old, p.new) for p in pairs] == [
        ("nvidia-dkms-535-server", None),
        ("nvidia-firmware-535-server-535.247.01", "nvidia-firmware-570-server-570.211.01"),
        ("nvidia-kernel-source-535-server", "nvidia-kernel-source-570-server-open"),
        ("nvidia-utils-535-server", "nvidia-utils-570-server"),
    ]


TOOLKIT_PARTS = [
    "libnvidia-container-tools",
    "libnvidia-container1",
    "nvidia-container-toolkit-base",
]


def _purge_the_toolkit_too(apt_sandbox):
    """580-server and the container toolkit installed (its parts as its dependencies); the plan
    for 580-server-open that purges the toolkit too."""
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install("nvidia-driver-580-server", "nvidia-container-toolkit")
    report = _sandbox_report(apt_sandbox, "nvidia-driver-580-server-open")
    choices = Choices(
        driver="nvidia-driver-580-server-open", also_purge=("nvidia-container-toolkit",)
    )
    return build_plan(report, choices)


def test_real_apt_autoremove_of_a_purged_toolkits_parts_is_planned_not_kept(apt_sandbox):
    plan = _purge_the_toolkit_too(apt_sandbox)
    assert plan.autoremoved_list == TOOLKIT_PARTS
    assert not {k.name for k in plan.kept_list} & set(TOOLKIT_PARTS)
    host = SandboxHost(apt_sandbox)
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)
    assert check.ok, check.problems
    assert set(TOOLKIT_PARTS) <= set(sim.also_removed)
    assert kept_after(plan, sim) == sorted(k.name for k in plan.kept_list)
    _assert_apply_matches(sim, apply_step_by_step(host, plan))
    after = apt_sandbox.status()
    assert all(after.get(k.name) == "ii" for k in plan.kept_list)  # what is kept stays
    assert not any(after.get(name) == "ii" for name in TOOLKIT_PARTS)


def test_real_apt_keeps_a_toolkit_part_installed_by_hand_and_says_so(apt_sandbox):
    plan = _purge_the_toolkit_too(apt_sandbox)
    apt_sandbox.run(["apt-mark", "manual", "libnvidia-container1"], check=True)
    host = SandboxHost(apt_sandbox)
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)
    assert check.ok, check.problems
    assert "libnvidia-container1" not in sim.also_removed
    assert "libnvidia-container1" in kept_after(plan, sim)
    assert any(note.startswith("autoremove leaves libnvidia-container1 (") for note in check.notes)
    apply_step_by_step(host, plan)
    assert apt_sandbox.status()["libnvidia-container1"] == "ii"
