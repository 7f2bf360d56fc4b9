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
