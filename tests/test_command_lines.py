"""Every place that shows a command shows it with `shlex.join`: a `$` line pasted into a shell
runs the same argv. The verify step's `-f=${Package}\\t...` is the hard case: with `" ".join`
the shell would expand `${Package}` and lose the backslashes."""

from __future__ import annotations

import io
import shlex

from nvwizard.cli.apply_console import ProgressPrinter, print_outcome
from nvwizard.cli.simulation_check import what_to_do
from nvwizard.engine import events as ev
from nvwizard.engine.journal import Journal
from nvwizard.plan import models as pm
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.models import KeptPackage
from nvwizard.plan.simulate import SimulationCheck
from nvwizard.plan.text import format_plan
from nvwizard.report.build import build_report
from nvwizard.simulator.select import demo_host
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.controllers.apply_progress import ApplyProgress
from nvwizard.tui.controllers.install import InstallController
from nvwizard.tui.state import WizardState

ODD_REPAIR = ("dpkg", "--configure", "-a", "--force-confdef *", "it's")
# names as a damaged or hand-edited bundle may carry them: the advice must still paste back
ODD_NAMES = ["it's", "two words"]


def a_plan() -> pm.Plan:
    report = build_report(demo_host("hgx-h100"))
    return build_plan(report, default_choices(report))


def dollar_lines(text: str) -> list[list[str]]:
    """The argv each `$ ...` line of `text` runs when pasted into a shell."""
    commands = []
    for line in text.splitlines():
        head, sep, command = line.partition("$ ")
        if sep and not head.strip():
            commands.append(shlex.split(command))
    return commands


def verify_step(plan: pm.Plan) -> pm.Step:
    step = next(s for s in plan.steps if s.kind == pm.VERIFY)
    assert any(arg.startswith("-f=${Package}\\t") for arg in step.commands[0])
    return step


def events_of(plan: pm.Plan) -> list[ev.Event]:
    step = verify_step(plan)
    argv = tuple(tuple(a) for a in step.commands)
    failed = ev.Outcome(ev.FAILED, failed_step=step.id, repair=ODD_REPAIR, message="x")
    return [
        ev.PlanStarted(plan, 1, "this machine"),
        ev.StepStarted(step.id, step.title, argv, step.kind),
        ev.StepFinished(step.id, 1, 0.1, False),
        ev.PlanFinished(failed),
    ]


def test_the_journal_human_log_pastes_back_as_the_same_argv(tmp_path):
    plan = a_plan()
    with Journal(tmp_path / "log", tmp_path / "state") as journal:
        for event in events_of(plan):
            journal(event)
    human = journal.log_path.read_text(encoding="utf-8")
    assert dollar_lines(human) == verify_step(plan).commands
    repair = next(line for line in human.splitlines() if "repair: " in line)
    assert shlex.split(repair.split("repair: ", 1)[1]) == list(ODD_REPAIR)


def test_the_cli_progress_and_outcome_paste_back_as_the_same_argv():
    plan = a_plan()
    out = io.StringIO()
    printer = ProgressPrinter(out)
    for event in events_of(plan):
        printer(event)
    assert dollar_lines(out.getvalue()) == verify_step(plan).commands
    said = io.StringIO()
    print_outcome(printer.finished, is_real=False, out=said)
    repair = next(line for line in said.getvalue().splitlines() if line.startswith("Repair: "))
    assert shlex.split(repair.removeprefix("Repair: ")) == list(ODD_REPAIR)


def test_the_wizard_log_and_plan_text_paste_back_as_the_same_argv():
    plan = a_plan()
    progress = ApplyProgress(plan)
    shown: list[str] = []
    for event in events_of(plan):
        shown += progress.apply(event)
    assert dollar_lines("\n".join(shown)) == verify_step(plan).commands
    every_command = [argv for step in plan.steps for argv in step.commands]
    assert dollar_lines(format_plan(plan)) == every_command


def dragged_along(plan: pm.Plan, names: list[str], kept: bool) -> SimulationCheck:
    """A stop on `names`, which the purge would drag along (kept ones by default, or not)."""
    if kept:
        plan.kept_list += [KeptPackage(n, "kept by default") for n in names]
    return SimulationCheck(False, ["dragged"], [], [], dragged=names)


def test_the_wizard_advice_to_remove_a_dragged_package_pastes_back_as_the_same_argv():
    plan = a_plan()
    state = WizardState(host=demo_host("hgx-h100"), plan=plan)
    state.simulation_check = dragged_along(plan, ODD_NAMES, kept=False)
    problem = InstallController(state, LayersBackend()).simulation_problem
    assert problem is not None
    # on a demo: "On a real machine: ... remove them first (<argv>); the wizard does not ..."
    shown = problem.partition("remove them first (")[2].rpartition(")")[0]
    assert shlex.split(shown) == ["sudo", "apt-get", "purge", *ODD_NAMES]


def test_the_options_that_resolve_a_stop_paste_back_as_the_same_argv():
    plan = a_plan()
    wizard = WizardState(host=demo_host("hgx-h100"), plan=plan)
    wizard.simulation_check = dragged_along(plan, ODD_NAMES, kept=True)
    problem = InstallController(wizard, LayersBackend()).simulation_problem
    assert problem is not None
    said = problem.rpartition("`nvwizard install` says it with ")[2].removesuffix(")")
    cli = what_to_do(plan, dragged_along(a_plan(), ODD_NAMES, kept=True))
    options = ["--also-purge", ODD_NAMES[0], "--also-purge", ODD_NAMES[1]]
    assert shlex.split(said) == options
    assert shlex.split(cli[0].removeprefix("to purge them too, add ")) == options
