"""The advice that resolves a simulation's stop on packages the purge would drag along is
decided once (plan/dragged_advice.py) and said in each front end's words
(report/wording.py): `install`'s options, the wizard's screens and keys."""

from __future__ import annotations

from dataclasses import replace

from nvwizard.cli.simulation_check import what_to_do
from nvwizard.plan import models as pm
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.dragged_advice import dragged_advice
from nvwizard.plan.models import KeptPackage
from nvwizard.plan.simulate import SimulationCheck
from nvwizard.report.build import build_report
from nvwizard.report.wording import COMMAND_LINE, WIZARD
from nvwizard.simulator.select import demo_host
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.controllers.install import InstallController
from nvwizard.tui.state import WizardState

KEPT = ["nvidia-fabricmanager-535", "libnvidia-nscq-535"]  # kept by default, dragged along
BY_HAND = ["gpu-burn", "dcgm-exporter"]  # outside nvwizard's lists, needing the driver


def a_plan(keep: tuple[str, ...] = ()) -> pm.Plan:
    report = build_report(demo_host("hgx-h100"))
    choices = replace(default_choices(report), keep=keep)
    plan = build_plan(report, choices)
    plan.kept_list += [KeptPackage(name, "kept by default") for name in KEPT]
    return plan


def stop_on(names: list[str]) -> SimulationCheck:
    return SimulationCheck(False, ["the purge would also remove ..."], [], [], dragged=names)


def test_the_command_line_names_its_options():
    check = stop_on([*KEPT, *BY_HAND])
    assert what_to_do(a_plan(), check) == [
        "to purge them too, add --also-purge nvidia-fabricmanager-535 "
        "--also-purge libnvidia-nscq-535",
        "gpu-burn, dcgm-exporter need the driver: if no longer needed, remove them first "
        "(sudo apt-get purge gpu-burn dcgm-exporter)",
    ]


def test_a_package_kept_by_hand_is_named_not_called_them():
    """`--keep X` for a package that cannot stay: the command line said "them cannot stay"."""
    plan = a_plan(keep=tuple(KEPT))
    assert what_to_do(plan, stop_on(KEPT)) == [
        "nvidia-fabricmanager-535, libnvidia-nscq-535 cannot stay without the driver: drop "
        "--keep nvidia-fabricmanager-535 --keep libnvidia-nscq-535"
    ]


def test_the_wizard_names_its_screens_and_keys():
    plan = a_plan(keep=(KEPT[0],))
    assert dragged_advice(plan, stop_on([*KEPT, BY_HAND[0]]), WIZARD, demo=True) == [
        "To purge libnvidia-nscq-535 too, press b three times (back to Purge) and tick it "
        "there with Space (`nvwizard install` says it with --also-purge libnvidia-nscq-535)",
        "nvidia-fabricmanager-535 cannot stay without the driver: press b three times (back to "
        "Purge) and tick it again with Space",
        "gpu-burn needs the driver. On a real machine: if no longer needed, quit and remove it "
        "first (sudo apt-get purge gpu-burn); the wizard does not remove it from the demo",
    ]


def test_both_front_ends_take_their_phrases_from_the_wording(monkeypatch):
    """One place for the phrases: a changed phrase reaches `install` and the Install screen."""
    import nvwizard.report.wording as wording

    for name, words in (("COMMAND_LINE", COMMAND_LINE), ("WIZARD", WIZARD)):
        monkeypatch.setattr(wording, name, replace(words, dragged_purge_too="TICK {names}"))
    monkeypatch.setattr("nvwizard.tui.controllers.plan_view.WIZARD", wording.WIZARD, raising=True)
    plan, check = a_plan(), stop_on([KEPT[0]])
    assert what_to_do(plan, check) == [f"TICK {KEPT[0]}"]
    state = WizardState(host=demo_host("hgx-h100"), plan=plan)
    state.simulation_check = check
    problem = InstallController(state, LayersBackend()).simulation_problem
    assert problem == f"the purge would also remove .... TICK {KEPT[0]}"
