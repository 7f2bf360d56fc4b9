"""On the demo simulator, the pre-apply simulation equals what the apply then does (issue 9
items 7 and 11), and a refusal says which option or tick resolves it."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from nvwizard.cli.main import main
from nvwizard.host.demo import find_demo
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.simulate import check_simulation, kept_after, simulate
from nvwizard.plan.text import format_simulation
from nvwizard.report.build import build_report
from nvwizard.simulator import bundle_host, demo_host
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.controllers.install import InstallController
from nvwizard.tui.state import WizardState
from tests.plan.stepwise import STEP_IDS, apply_step_by_step

FABRIC_535 = "nvidia-fabricmanager-535"
NSCQ_535 = "libnvidia-nscq-535"
DRIVER_595 = "nvidia-driver-595-server-open"
FABRIC_595 = "nvidia-fabricmanager-595"
NSCQ_595 = "libnvidia-nscq-595"
TOOLKIT = "nvidia-container-toolkit"
TOOLKIT_PARTS = [
    "libnvidia-container-tools",
    "libnvidia-container1",
    "nvidia-container-toolkit-base",
]


@pytest.fixture(autouse=True)
def _instant(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")


def _hgx_plan(driver: str, **choices):
    host = demo_host("hgx-h100")
    report = build_report(host)
    plan = build_plan(report, replace(default_choices(report, driver), **choices))
    return host, report, plan


def test_same_branch_switch_simulates_the_install_after_the_purge():
    host, _, plan = _hgx_plan("nvidia-driver-535-server-open", also_purge=(FABRIC_535,))
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)
    assert check.ok, check.problems
    # purged, then installed fresh: never "removed" and "upgraded" at once
    assert FABRIC_535 in sim.purge.remove and FABRIC_535 in sim.install.install
    assert not set(sim.purge.remove) & set(sim.install.upgrade)
    assert FABRIC_535 in sim.reinstalled
    changes = apply_step_by_step(host, plan)
    assert changes["purge"].removed == set(sim.purge.remove)
    assert changes["autoremove"].removed == set(sim.also_removed)
    assert changes["install"].added == set(sim.install.install)
    assert changes["install"].changed_version == set(sim.install.upgrade)
    assert changes["install"].removed == set(sim.install.remove) == set()


def test_the_counts_shown_are_the_counts_apt_prints_when_applying(capsys, places):
    """The same branch in place (--keep-installed): the install upgrades fabric manager, NSCQ
    and nvidia-utils, replaces the old flavour's three packages, and says so. (NSCQ kept while
    its driver is purged cannot be: it depends on the driver's nvidia-kernel-common.)"""
    args = ["install", "--demo", "--driver", "nvidia-driver-535-server-open"]
    assert main([*args, "--keep-installed", "--yes", "--accept", "gpu-processes"]) == 0
    out = capsys.readouterr().out
    simulation = out[out.index("Simulation (apt-get -s):") : out.index("==> applying")]
    assert "  install (4):" in simulation
    assert "  upgrade (3):" in simulation
    assert "replaced by the new driver through apt's Conflicts (3, old -> new):" in simulation
    install_step = out[out.index("] Install nvidia-driver-535-server-open") :]
    assert "3 upgraded, 4 newly installed, 3 to remove" in install_step


def test_installing_the_same_branch_again_purges_and_reinstalls_its_fabric_manager(capsys, places):
    """The demo's own advice after an install (the same command again, to reboot after it):
    fabric manager 595 needs the 595 driver the purge takes, so the plan purges it too, in the
    list shown, with what that does to its settings file, and installs it again."""
    args = [
        "install",
        "--demo",
        "hgx-h100",
        "--driver",
        "nvidia-driver-595-server-open",
        "--yes",
        "--accept",
        "gpu-processes",
    ]
    assert main(args) == 0
    capsys.readouterr()
    assert main([*args, "--reinstall"]) == 0  # the same branch again, whatever is loaded
    out = capsys.readouterr().out
    purge = out[out.index("Purge (13 packages, exactly these):") : out.index("Keep (")]
    assert {FABRIC_595, NSCQ_595} <= set(purge.split())
    warnings = out[out.index("Warnings:") : out.index("Purge (")].replace("\n", " ")
    assert f"{FABRIC_595} goes with the branch 595 driver this plan purges" in warnings
    assert "/usr/share/nvidia/nvswitch/fabricmanager.cfg" in warnings
    assert "STOP" not in out
    fresh = out[out.index("purged, then installed fresh") : out.index("==> applying")]
    assert {FABRIC_595, NSCQ_595} <= set(fresh.split())
    assert "] Enable fabric manager" in out
    assert out.rstrip().count("Done: every step succeeded.") == 1
    installed = {p.name: p.state for p in build_report(demo_host("hgx-h100")).installed_packages}
    # installed, and on hold again: the admin held the 535 ones, the first install carried the
    # holds over, and this one releases them to purge and reinstall, then holds them again
    assert installed[FABRIC_595] == installed[NSCQ_595] == "hi"
    assert f"$ apt-mark hold {FABRIC_595} {NSCQ_595}" in out


def test_the_same_branch_again_simulates_what_the_apply_does():
    """On one simulated machine: the first install, then the same driver again, whose
    simulation (fabric manager purged and installed fresh) is what the apply does."""
    host = demo_host("hgx-h100")
    report = build_report(host)
    apply_step_by_step(host, build_plan(report, default_choices(report, DRIVER_595)))
    again = build_plan(build_report(host), default_choices(report, DRIVER_595))
    assert {FABRIC_595, NSCQ_595} <= set(again.purge_list)
    assert again.step("fabric-manager") is not None
    sim = simulate(host, again)
    check = check_simulation(again, sim)
    assert check.ok, check.problems
    assert {FABRIC_595, NSCQ_595} <= set(sim.reinstalled)
    changes = apply_step_by_step(host, again)
    assert {FABRIC_595, NSCQ_595} <= changes["purge"].removed & changes["install"].added


def _without_nvswitch(tmp_path: Path) -> Path:
    """hgx-h100 as a board without NVSwitch bridges (class 0x0680): fabric manager 535 left
    installed, which no plan here installs again."""
    folder = tmp_path / "no-nvswitch"
    shutil.copytree(find_demo("hgx-h100").path, folder)
    sysfs = (folder / "sysfs-pci.txt").read_text().splitlines(keepends=True)
    (folder / "sysfs-pci.txt").write_text("".join(x for x in sysfs if "class=0x0680" not in x))
    # lspci: a device is its line and the indented lines under it
    devices = re.split(r"\n(?=\S)", (folder / "lspci-nn.txt").read_text())
    (folder / "lspci-nn.txt").write_text("\n".join(d for d in devices if "[0680]" not in d))
    assert build_report(bundle_host(folder)).nvswitch_count == 0
    return folder


def test_the_refusal_names_the_option_that_resolves_it(capsys, places, tmp_path):
    machine = str(_without_nvswitch(tmp_path))
    driver = "nvidia-driver-535-server-open"
    code = main(
        ["install", "--machine", machine, "--driver", driver, "--yes", "--accept", "gpu-processes"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 3
    assert len(err.splitlines()) == 1
    assert err.endswith(f"to purge them too, add --also-purge {NSCQ_535} --also-purge {FABRIC_535}")


def test_the_wizard_says_to_tick_it_on_purge(tmp_path):
    host = bundle_host(_without_nvswitch(tmp_path))
    report = build_report(host)
    plan = build_plan(report, default_choices(report, "nvidia-driver-535-server-open"))
    state = WizardState(host=host, report=report, plan=plan)
    state.simulation, state.simulation_check = LayersBackend().simulate(host, report, plan)
    problem = InstallController(state, LayersBackend()).simulation_problem
    assert problem.endswith(
        f"To purge {NSCQ_535}, {FABRIC_535} too, press b three times (back to Purge) and tick "
        f"them there with Space (`nvwizard install` says it with --also-purge {NSCQ_535} "
        f"--also-purge {FABRIC_535})"
    )


def test_branch_replacement_in_place_on_the_demo_matches_the_apply(capsys, places):
    host, _, plan = _hgx_plan("nvidia-driver-570-server", purge=False)
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)
    assert check.ok, check.problems
    replaced = {r.old: r.new for r in check.replaced}
    assert replaced["nvidia-utils-535-server"] == "nvidia-utils-570-server"
    assert replaced["nvidia-driver-535-server"] is None
    assert "nvidia-container-toolkit" not in replaced
    assert "nvidia-utils-535-server -> nvidia-utils-570-server" in format_simulation(sim, check)
    changes = apply_step_by_step(host, plan)
    assert changes["install"].removed == set(replaced)
    assert changes["install"].added == set(sim.install.install)


def test_branch_replacement_is_confirmed_with_every_removal_counted_and_named(
    capsys, places, monkeypatch
):
    """--keep-installed on hgx-h100: apt replaces 6 packages of the 535 driver, and the plan
    purges the 535 fabric manager and NSCQ: the question counts all 8, named above it."""
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["n"])
    monkeypatch.setattr("builtins.input", lambda question: print(question) or next(answers))
    code = main(["install", "--demo", "--driver", "nvidia-driver-570-server", "--keep-installed"])
    out = capsys.readouterr().out
    assert code == 3
    # the question names the blocking condition a yes accepts, listed right above it
    question = (
        "Apply these 11 steps to demo hgx-h100, removing the 8 packages named above, "
        "accepting gpu-processes?"
    )
    before = out[: out.index(question)].rstrip("\n").splitlines()
    assert before[-2] == "This plan has blocking conditions; answering yes accepts them:"
    assert before[-1].startswith("  [gpu-processes] Jobs use the GPU and will fail")
    removed = (
        "libnvidia-compute-535-server libnvidia-nscq-535 nvidia-compute-utils-535-server "
        "nvidia-dkms-535-server nvidia-driver-535-server nvidia-fabricmanager-535 "
        "nvidia-kernel-source-535-server nvidia-utils-535-server"
    )
    assert before[-3] == f"The apply removes 8 packages: {removed}"


def test_the_install_screen_in_place_names_every_removal_and_keeps_none_of_them():
    """The wizard without a purge on hgx-h100: its Install screen lists the 8 packages the
    apply removes, says the 2 purged are the other branch's fabric manager (not ticked on
    the Purge screen), and never lists a replaced package as kept."""
    host, report, plan = _hgx_plan("nvidia-driver-595-server-open", purge=False)
    state = WizardState(host=host, report=report, plan=plan)
    state.simulation, state.simulation_check = LayersBackend().simulate(host, report, plan)
    lines = [line.text for line in InstallController(state, LayersBackend()).plan_lines()]
    removed = next(line for line in lines if line.startswith("  remove "))
    assert removed.startswith("  remove 8: ")
    names = removed.removeprefix("  remove 8: ").split()
    assert {FABRIC_535, NSCQ_535, "libnvidia-compute-535-server"} <= set(names)
    purge = next(line for line in lines if line.startswith("Purge "))
    assert purge.startswith(f"Purge the other branch's fabric manager: {NSCQ_535}, {FABRIC_535}; ")
    kept = purge.split("; kept: ", 1)[1].split(", ")
    assert not set(kept) & set(names)


def test_purging_the_container_toolkit_keeps_nothing_its_autoremove_takes():
    """hgx-h100 with the toolkit ticked: apt's autoremove takes its libraries, so the plan
    leaves them to autoremove instead of listing them kept (and the simulation agrees)."""
    host, _, plan = _hgx_plan("nvidia-driver-595-server-open", also_purge=(TOOLKIT,))
    assert plan.autoremoved_list == TOOLKIT_PARTS
    assert not {k.name for k in plan.kept_list} & {TOOLKIT, *TOOLKIT_PARTS}
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)
    assert check.ok, check.problems
    assert set(TOOLKIT_PARTS) <= set(sim.also_removed)
    assert kept_after(plan, sim) == [k.name for k in plan.kept_list] == []
    changes = apply_step_by_step(host, plan)
    assert changes["autoremove"].removed == set(sim.also_removed)


def test_plan_and_install_say_the_same_of_a_purged_container_toolkit(capsys, places):
    args = ["--demo", "hgx-h100", "--also-purge", TOOLKIT]
    assert main(["plan", *args]) == 0
    shown = capsys.readouterr().out
    assert "Keep (" not in shown
    left = shown[shown.index("Left to autoremove (3 packages") :].splitlines()[1]
    assert left.split() == TOOLKIT_PARTS
    assert main(["install", *args, "--yes", "--accept", "gpu-processes"]) == 0
    simulation = capsys.readouterr().out.split("Simulation (apt-get -s):")[1]
    autoremoved = simulation.split("autoremove also removes (4):")[1].split("install")[0]
    assert autoremoved.split() == ["dkms", *TOOLKIT_PARTS]
    assert "STOP" not in simulation


def test_a_purged_container_toolkit_installed_again_is_reinstalled_in_the_simulation(
    capsys, places
):
    """Purged and asked for again: the stack's install brings it back, and the simulation's
    "purged, then installed fresh" says so (with the parts autoremove took), as the apply does."""
    host, _, plan = _hgx_plan(
        "nvidia-driver-595-server-open", also_purge=(TOOLKIT,), container_toolkit=True
    )
    assert plan.stack_list == [TOOLKIT]
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)
    assert check.ok, check.problems
    assert {TOOLKIT, *TOOLKIT_PARTS} <= set(sim.reinstalled)
    shown = format_simulation(sim, check)
    fresh = shown.split("purged, then installed fresh (")[1].split("replaced by")[0]
    assert set(fresh.split()) >= {TOOLKIT, *TOOLKIT_PARTS}
    changes = apply_step_by_step(host, plan, (*STEP_IDS, "container-toolkit"))
    gone = changes["purge"].removed | changes["autoremove"].removed
    assert gone & changes["container-toolkit"].added == {TOOLKIT, *TOOLKIT_PARTS}
