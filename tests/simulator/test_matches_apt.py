"""The demo cannot drift from apt: the same plans run on the simulator and on the real apt-get
and dpkg of the apt sandbox (tests/sandbox), and both must install, upgrade and remove the same
packages, in each `apt-get -s` simulation and after each step of the apply.

The simulated machine is the sandbox's twin: a bundle made from the sandbox's own dpkg database
(`dpkg-query`) and apt's view of its repository (`apt-cache dumpavail`: every stanza, with its
Depends, Provides, Conflicts and Replaces), as `nvwizard capture` records a machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from nvwizard.detect.dpkg import parse_dpkg_query
from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices, Plan
from nvwizard.plan.simulate import check_simulation, simulate
from nvwizard.simulator import bundle_host
from tests.engine.sandboxhost import SandboxHost
from tests.plan.reports import CONTAINER, KERNEL, candidate, hopper_server

OS_RELEASE = 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n'
QUICK = {"NVWIZARD_DEMO_SPEED": "0"}
OLD_BRANCH = ("nvidia-driver-535-server",)
OLD_FABRIC = ("nvidia-fabricmanager-535", "libnvidia-nscq-535")
# what a first install of 580-server-open on an NVSwitch board leaves installed
SAME_BRANCH = (
    "nvidia-headless-no-dkms-580-server-open",
    "nvidia-utils-580-server",
    f"linux-modules-nvidia-580-server-open-{KERNEL}",
    "linux-modules-nvidia-580-server-open-generic",
)
SAME_FABRIC = ("nvidia-fabricmanager-580", "libnvidia-nscq-580")
PACKAGE_TOOLS = ("apt-get", "apt", "apt-mark", "dpkg", "dpkg-query")


@pytest.fixture(autouse=True)
def _no_demo_settings(monkeypatch):
    for name in ("NVWIZARD_DEMO_FAIL", "NVWIZARD_DEMO_SPEED", "NVWIZARD_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sandbox(apt_sandbox):
    apt_sandbox.run(["apt-get", "update"], check=True)
    return apt_sandbox


def twin_bundle(sandbox, folder: Path) -> Path:
    """The sandbox machine as a capture bundle: its packages, what apt offers, kernel, OS."""
    query = ["dpkg-query", "-W", "-f=${Package}\\t${Status}\\t${Version}\\n"]
    files = {
        "dpkg-query.txt": sandbox.run(query, check=True).stdout,
        "apt-cache-show.txt": sandbox.run(["apt-cache", "dumpavail"], check=True).stdout,
        "uname-r.txt": f"{KERNEL}\n",
        "os-release.txt": OS_RELEASE,
        "dpkg-audit.txt": "",
        "dpkg-updates.txt": "",
    }
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def simulated_states(host) -> dict[str, str]:
    """{package: dpkg state} on the simulated machine, as the sandbox's `status()` gives it."""
    entries = parse_dpkg_query(host.read("dpkg-query.txt") or "")
    return {e.name: e.state for e in entries if e.state[1:2] != "n"}


def run(host, argv: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    command = host.start(argv, env)
    lines = [line.text for line in command.lines()]
    return command.wait(), lines


@dataclass
class Twins:
    real: SandboxHost
    simulated: object  # a BundleHost with its simulated machine
    sandbox: object

    def run_both(self, argv: list[str]) -> None:
        """A package command on both machines: the same exit code, the same packages after.
        Other commands (systemctl, ...) touch no package: they run on the simulator only (the
        sandbox has no systemd to compare with)."""
        sim_code, sim_lines = run(self.simulated, argv, QUICK)
        if argv[0] not in PACKAGE_TOOLS:
            assert sim_code == 0, (argv, sim_lines[-8:])
            return
        real_code, real_lines = run(self.real, argv, {})
        assert sim_code == real_code, (argv, real_lines[-8:], sim_lines[-8:])
        assert simulated_states(self.simulated) == self.sandbox.status(), argv

    def simulation_sets(self, host, plan: Plan) -> dict[str, dict[str, list[str]]]:
        sets = {}
        for name, result in vars(simulate(host, plan)).items():
            if result is not None:
                sets[name] = {
                    "exit": [str(result.exit_code)],
                    "install": sorted(result.install),
                    "upgrade": sorted(result.upgrade),
                    "remove": sorted(result.remove),
                }
        return sets


def twins(sandbox, tmp_path, *preset: str) -> Twins:
    if preset:
        sandbox.install(*preset)
    return Twins(
        SandboxHost(sandbox), bundle_host(twin_bundle(sandbox, tmp_path / "twin")), sandbox
    )


def report_of(sandbox, nvswitches: int):
    """The sandbox's installed packages with their real versions (a plan reads branches from
    them: which fabric manager goes with a purged driver)."""
    query = ["dpkg-query", "-W", "-f=${Package}\\t${Status}\\t${Version}\\n"]
    present = [
        entry
        for entry in parse_dpkg_query(sandbox.run(query, check=True).stdout)
        if entry.name != "sandbox-base" and entry.state == "ii"
    ]
    report = hopper_server(installed_packages=present, nvswitch_count=nvswitches)
    report.driver_candidates.append(candidate("nvidia-driver-580"))  # for the desktop plan
    return report


PLANS = {
    "fresh install, signed modules, held": (
        (),
        Choices(driver="nvidia-driver-580-server-open", hold=True, persistenced=True),
        0,
    ),
    "old branch purged, new one with DKMS, toolkit kept": (
        (*OLD_BRANCH, *CONTAINER),
        Choices(driver="nvidia-driver-580-server"),
        0,
    ),
    "server-open with fabric manager, old fabric manager purged": (
        (*OLD_BRANCH, *OLD_FABRIC, *CONTAINER),
        Choices(driver="nvidia-driver-580-server-open", also_purge=OLD_FABRIC),
        4,
    ),
    "the same branch again: its fabric manager and NSCQ purged and installed again": (
        (*SAME_BRANCH, *SAME_FABRIC, *CONTAINER),
        Choices(driver="nvidia-driver-580-server-open"),
        4,
    ),
    "desktop driver over the old branch": (
        OLD_BRANCH,
        Choices(driver="nvidia-driver-580", headless=False),
        0,
    ),
}


@pytest.mark.parametrize("name", PLANS)
def test_a_plan_does_on_the_simulator_what_it_does_with_real_apt(sandbox, tmp_path, name):
    preset, choices, nvswitches = PLANS[name]
    pair = twins(sandbox, tmp_path, *preset)
    plan = build_plan(report_of(sandbox, nvswitches), choices)
    assert plan.install_list

    # what `nvwizard install` shows before it asks: apt-get -s of the purge, the autoremove
    # and the install; real apt removes nothing the user did not confirm
    assert pair.simulation_sets(pair.simulated, plan) == pair.simulation_sets(pair.real, plan)
    check = check_simulation(plan, simulate(pair.real, plan))
    assert check.ok, check.problems

    # and the apply, step by step: the same exit codes and the same packages in each state
    for step in plan.steps:
        for argv in step.commands:
            pair.run_both(argv)
    assert all(sandbox.status()[p] in ("ii", "hi") for p in plan.install_list)


def test_a_dkms_plan_installs_the_headers_metapackage_on_both(sandbox, tmp_path):
    """With linux-image-generic installed, a plan whose module DKMS builds installs
    linux-headers-generic beside the running kernel's headers: the real apt resolves it to
    those headers, and the simulator does the same."""
    pair = twins(sandbox, tmp_path, *OLD_BRANCH, "linux-image-generic")
    report = report_of(sandbox, 0)
    report.kernel_metapackages = ["linux-image-generic"]
    report.headers_metapackages = ["linux-headers-generic"]
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server"))
    assert plan.modules == "dkms"
    assert plan.install_list[-2:] == [f"linux-headers-{KERNEL}", "linux-headers-generic"]

    assert pair.simulation_sets(pair.simulated, plan) == pair.simulation_sets(pair.real, plan)
    for step in plan.steps:
        for argv in step.commands:
            pair.run_both(argv)
    assert sandbox.status()["linux-headers-generic"] == "ii"


APT_Y = ["apt-get", "-y"]


def test_installing_another_branch_replaces_the_old_one_through_conflicts(sandbox, tmp_path):
    """apt's in-place branch change: the new branch's packages conflict with (and replace) the
    old ones' shared virtual names, so apt removes the old branch and what needs it."""
    pair = twins(sandbox, tmp_path, *OLD_BRANCH, *CONTAINER)
    argv = ["install", "nvidia-driver-580-server"]

    real = run(pair.real, ["apt-get", "-s", *argv], {})[1]
    simulated = run(pair.simulated, ["apt-get", "-s", *argv], QUICK)[1]
    moves = sorted(line.split(" (")[0] for line in real if line.startswith(("Inst", "Remv")))
    assert any(m.startswith("Remv nvidia-utils-535-server") for m in moves)
    assert (
        sorted(line.split(" (")[0] for line in simulated if line.startswith(("Inst", "Remv")))
        == moves
    )

    pair.run_both([*APT_Y, *argv])


def test_a_purge_then_autoremove_leave_the_same_packages_and_config_files(sandbox, tmp_path):
    """autoremove without --purge leaves packages with conffiles in state rc, as dpkg does."""
    pair = twins(sandbox, tmp_path, *OLD_BRANCH, *CONTAINER)
    pair.run_both([*APT_Y, "purge", "nvidia-driver-535-server"])
    pair.run_both([*APT_Y, "autoremove"])
    assert sandbox.status()["nvidia-kernel-common-535-server"] == "rc"
    pair.run_both([*APT_Y, "purge", "nvidia-kernel-common-535-server"])


# -- held packages: what real apt refuses, the simulator refuses the same way ----------------

HELD_NOT_ALLOWED = (
    "E: Held packages were changed and -y was used without --allow-change-held-packages."
)
HELD_BREAKS = (
    "E: Error, pkgProblemResolver::Resolve generated breaks, this may be caused by held packages."
)


def run_both_saying(pair: Twins, argv: list[str], said: str | None) -> int:
    """`argv` on both machines: the same exit code and packages after (run_both), and both
    print `said` (None: neither prints either of apt's held-package errors)."""
    pair.run_both(argv)
    code, real = run(pair.real, argv, {})
    simulated = run(pair.simulated, argv, QUICK)[1]
    for lines in (real, simulated):
        held_errors = [line for line in lines if line in (HELD_NOT_ALLOWED, HELD_BREAKS)]
        assert held_errors == ([said] if said else []), (argv, lines[-12:])
    return code


def test_a_held_package_named_for_removal_is_refused_under_yes_and_shown_in_a_simulation(
    sandbox, tmp_path
):
    pair = twins(sandbox, tmp_path, *OLD_BRANCH)
    pair.run_both(["apt-mark", "hold", "nvidia-utils-535-server"])
    purge = ["purge", "nvidia-utils-535-server"]
    assert run_both_saying(pair, ["apt-get", "-s", *purge], None) == 0
    for machine, env in ((pair.real, {}), (pair.simulated, QUICK)):
        lines = run(machine, ["apt-get", "-s", *purge], env)[1]
        held = lines.index("The following held packages will be changed:")
        assert lines[held + 1].strip() == "nvidia-utils-535-server"
    assert run_both_saying(pair, [*APT_Y, *purge], HELD_NOT_ALLOWED) == 100
    allowed = [*APT_Y, "--allow-change-held-packages", *purge]
    assert run_both_saying(pair, allowed, None) == 0


def test_a_held_package_is_never_replaced_through_conflicts_even_in_a_simulation(sandbox, tmp_path):
    """Installing another branch would remove the held nvidia-utils-535-server (its Conflicts):
    real apt's resolver refuses, in a simulation and with --allow-change-held-packages too.
    The simulator removed it in a simulation, and under -y said `Held packages were changed`."""
    pair = twins(sandbox, tmp_path, *OLD_BRANCH)
    pair.run_both(["apt-mark", "hold", "nvidia-utils-535-server"])
    install = ["install", "nvidia-driver-580-server"]
    assert run_both_saying(pair, ["apt-get", "-s", *install], HELD_BREAKS) == 100
    assert run_both_saying(pair, [*APT_Y, *install], HELD_BREAKS) == 100
    allowed = [*APT_Y, "--allow-change-held-packages", *install]
    assert run_both_saying(pair, allowed, HELD_BREAKS) == 100
    for machine, env in ((pair.real, {}), (pair.simulated, QUICK)):
        lines = run(machine, ["apt-get", "-s", *install], env)[1]
        assert "The following packages have unmet dependencies:" in lines
        assert any(line.startswith(" nvidia-utils-535-server : Conflicts: ") for line in lines)


def test_a_held_package_is_never_removed_with_what_it_depends_on(sandbox, tmp_path):
    pair = twins(sandbox, tmp_path, *OLD_BRANCH)
    pair.run_both(["apt-mark", "hold", "nvidia-driver-535-server"])
    purge = ["purge", "nvidia-kernel-common-535-server"]
    assert run_both_saying(pair, ["apt-get", "-s", *purge], HELD_BREAKS) == 100
    assert run_both_saying(pair, [*APT_Y, *purge], HELD_BREAKS) == 100
    for machine, env in ((pair.real, {}), (pair.simulated, QUICK)):
        lines = run(machine, ["apt-get", "-s", *purge], env)[1]
        assert (
            " nvidia-driver-535-server : Depends: nvidia-kernel-common-535-server but it is "
            "not going to be installed"
        ) in lines


def test_autoremove_keeps_a_held_package_and_what_it_needs(sandbox, tmp_path):
    pair = twins(sandbox, tmp_path, *OLD_BRANCH)
    pair.run_both(["apt-mark", "hold", "nvidia-dkms-535-server"])
    pair.run_both([*APT_Y, "purge", "nvidia-driver-535-server"])
    assert run_both_saying(pair, [*APT_Y, "autoremove", "--purge"], None) == 0
    left = sandbox.status()
    assert left["nvidia-dkms-535-server"] == "hi"
    assert left["nvidia-kernel-common-535-server"] == "ii"  # the held package needs it


def test_a_plan_that_releases_the_holds_runs_on_the_simulator_as_with_real_apt(sandbox, tmp_path):
    """nvwizard's own plan releases the administrator's holds in its repair step (and the
    simulations before it assume them released), purges, installs, and holds the new
    namesakes: the same on the simulator as with real apt."""
    pair = twins(sandbox, tmp_path, *OLD_BRANCH, *OLD_FABRIC, *CONTAINER)
    report = report_of(sandbox, 4)  # its packages as installed (report_of takes ii only)
    pair.run_both(["apt-mark", "hold", *OLD_FABRIC, "nvidia-utils-535-server"])
    report.held_packages = [*OLD_FABRIC, "nvidia-utils-535-server"]
    for purge in (True, False):  # the purge, and --keep-installed (replaced in place)
        plan = build_plan(report, Choices(driver="nvidia-driver-580-server-open", purge=purge))
        assert plan.step("repair") is not None
        assert pair.simulation_sets(pair.simulated, plan) == pair.simulation_sets(pair.real, plan)
        check = check_simulation(plan, simulate(pair.simulated, plan))
        assert check.ok, (purge, check.problems)
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server-open"))
    for step in plan.steps:
        for argv in step.commands:
            pair.run_both(argv)
    held = pair.real.start(["apt-mark", "showhold"])
    names = sorted(line.text for line in held.lines() if line.stream == "stdout")
    held.wait()
    assert names == sorted(plan.carried_holds)
    assert (pair.simulated.read("apt-mark-showhold.txt") or "").split() == names


def test_a_purge_that_would_drag_a_held_package_names_it_with_real_apt_and_the_simulator(
    sandbox, tmp_path
):
    """Without NVSwitch the held fabric manager and NSCQ are kept, but depend on the purged
    driver's kernel-common package: real apt refuses the purge (its resolver keeps held
    packages), and the plan's check names them as packages the purge would drag along, with
    the option that purges them too."""
    pair = twins(sandbox, tmp_path, *OLD_BRANCH, *OLD_FABRIC)
    report = report_of(sandbox, 0)
    pair.run_both(["apt-mark", "hold", *OLD_FABRIC])
    report.held_packages = list(OLD_FABRIC)
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server-open"))
    assert not set(OLD_FABRIC) & set(plan.purge_list)
    for machine in (pair.real, pair.simulated):
        sim = simulate(machine, plan)
        assert sim.purge is not None and sim.purge.exit_code == 100
        assert sorted(sim.purge.held) == sorted(OLD_FABRIC)
        check = check_simulation(plan, sim)
        assert sorted(check.dragged) == sorted(OLD_FABRIC)
        assert not any(p.startswith("apt cannot simulate the purge") for p in check.problems)
        held = (
            "the purge would also remove packages you did not confirm: libnvidia-nscq-535, "
            "nvidia-fabricmanager-535 (held: apt never removes a held package it is not told to)"
        )
        assert held in check.problems, check.problems
