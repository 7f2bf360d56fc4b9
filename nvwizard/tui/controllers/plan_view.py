"""The Install screen's plan, as lines: the driver (purged and installed, or kept as it runs),
the developer stack, apt's simulation, the warnings and every step with its commands."""

from __future__ import annotations

import shlex

from nvwizard.plan.blockers import what_accepting_means
from nvwizard.plan.dragged_advice import dragged_advice
from nvwizard.plan.models import Plan
from nvwizard.plan.nothing_to_do import nothing_to_do_line
from nvwizard.plan.removals import removed_packages
from nvwizard.plan.simulate import Simulation, kept_after
from nvwizard.report.wording import WIZARD
from nvwizard.tui.controllers.lines import COMMAND, DANGER, DIM, HEADING, OK, WARN, Line
from nvwizard.tui.state import WizardState

# The key that switches between the plan that keeps the running driver and its reinstall
REINSTALL_KEY = "r"


def simulation_problem(state: WizardState) -> str | None:
    """Why the simulation refuses the plan and what resolves it, or None."""
    plan, check = state.plan, state.simulation_check
    if plan is None or check is None or not check.problems:
        return None
    advice = dragged_advice(plan, check, WIZARD, demo=state.host.kind == "demo")
    return ". ".join(["; ".join(check.problems), *advice])


def simulation_notes(state: WizardState) -> list[str]:
    sim, check = state.simulation, state.simulation_check
    if sim is None or check is None:
        return []
    notes = list(check.notes)
    if sim.reinstalled:
        notes.append(
            "purged, then installed fresh (configuration files return to the packaged "
            "ones): " + " ".join(sim.reinstalled)
        )
    if check.replaced:
        notes.append(
            "replaced by the new driver through apt's Conflicts (old -> new): "
            + ", ".join(r.describe() for r in check.replaced)
        )
    return notes


def plan_lines(state: WizardState) -> list[Line]:
    plan, sim, check = state.plan, state.simulation, state.simulation_check
    assert plan is not None, "the plan is built before it is shown"
    lines = []
    if state.apply_refusal:
        lines.append(Line(f"✗ Cannot apply: {state.apply_refusal}", DANGER, hang=2))
    problem = simulation_problem(state)
    if problem:  # first, where it is seen without scrolling
        lines.append(Line(f"! {problem}", DANGER, hang=2))
    if plan.nothing_to_do:
        return lines + nothing_to_do_lines(plan)
    lines += driver_lines(state, plan, sim)
    if plan.has_stack:
        added = ", ".join(plan.stack_list) or "nothing new (installed already)"
        lines.append(Line(f"Then the developer stack: {added}", HEADING))
    if sim is not None and check is not None:
        install, remove, upgrade = _package_sets(sim)
        lines.append(Line("The simulation (apt-get -s) says:", HEADING))
        if _install_not_simulated(plan, sim):  # see the check's note
            lines.append(Line("  install: not simulated yet", WARN))
        else:
            lines += _package_set("install", install, OK)
        lines += _package_set("remove", remove, DANGER)
        lines += _package_set("upgrade", upgrade, WARN)
        lines += [Line(f"  note: {note}", WARN) for note in simulation_notes(state)]
    lines += [Line(f"! {w}", WARN) for w in plan.warnings]
    lines.append(Line(""))
    return lines + _step_lines(plan)


def driver_lines(state: WizardState, plan: Plan, sim: Simulation | None) -> list[Line]:
    """What happens to the driver: kept as it runs (then only the stack is added), or purged
    and installed (again, when it runs and the user asked for the reinstall)."""
    key = REINSTALL_KEY
    if plan.keeps_driver and plan.mok_certificate is not None:  # Secure Boot rejects it
        return [
            Line(f"Driver {plan.driver} is installed: it stays as it is", HEADING),
            Line(
                "  Secure Boot rejects its DKMS-built module until the key is enrolled (below): "
                "a reinstall would build the same module, rejected again. Only what you chose "
                f"that it lacks is added. {key}: reinstall the driver instead.",
                WARN,
                hang=2,
            ),
        ]
    if plan.keeps_driver:
        return [
            Line(f"Driver {plan.driver} runs: it stays as it is", HEADING),
            Line(
                "  It is installed and loaded: nothing is purged, no driver is installed, no "
                "reboot is needed; only what you chose that it lacks is added. "
                f"{key}: reinstall the driver "
                "instead (purge, install, reboot).",
                OK,
                hang=2,
            ),
        ]
    lines = [Line(f"Driver {plan.driver} ({plan.modules} kernel modules)", HEADING)]
    if state.reinstall and state.runs_planned_driver:
        lines.append(
            Line(
                f"  It runs already: reinstalled as you asked. {key}: keep it instead (no "
                "purge, no reboot; only what you chose that it lacks is added).",
                WARN,
                hang=2,
            )
        )
    return lines + _blocker_lines(plan) + _purge_lines(plan, sim)


def nothing_to_do_lines(plan: Plan) -> list[Line]:
    """The driver runs and everything chosen is installed: nothing to run, nothing offered
    but the reinstall the user must ask for."""
    if plan.mok_certificate is not None:  # installed, and Secure Boot rejects its module
        lines = [Line(f"! {nothing_to_do_line(plan.driver, plan.mok_certificate)}.", WARN, 2)]
    else:
        lines = [Line(f"✓ {nothing_to_do_line(plan.driver)}, with all you chose.", OK, hang=2)]
    lines += [
        Line(
            "  Every package it needs is at the version apt would install"
            + (", the loaded module is its own" if plan.mok_certificate is None else "")
            + " and nothing is pending: nothing is purged, installed or rebooted.",
            DIM,
            hang=2,
        ),
    ]
    if plan.has_stack:
        lines.append(Line("  The developer stack you chose is installed already.", DIM, hang=2))
    lines += [Line(f"! {w}", WARN) for w in plan.warnings]
    lines.append(Line(""))
    lines.append(
        Line(
            f"{REINSTALL_KEY}: reinstall it anyway (purge, install, reboot; shown first). "
            "b: choose something else.",
            DIM,
            hang=2,
        )
    )
    return lines


def _step_lines(plan: Plan) -> list[Line]:
    lines = []
    for number, step in enumerate(plan.steps, 1):
        lines.append(Line(f"{number}. {step.title}", HEADING))
        lines.append(Line(f"   {step.why}", DIM))
        for write in step.writes:
            lines.append(Line(f"   writes {write.path}:", COMMAND))
            lines += [Line(f"     | {text}", DIM) for text in write.content.splitlines()]
        for argv in step.commands:
            # a file's content (a Debian sources step) shown line by line, as written
            first, *more = shlex.join(argv).split("\n")
            lines.append(Line(f"   $ {first}", COMMAND))
            lines += [Line(f"     {line}", COMMAND) for line in more]
    return lines


def _blocker_lines(plan: Plan) -> list[Line]:
    """The plan's blocking conditions by name (plan/blockers.py): Install is the consent to
    them that `install --yes` takes only as `--accept ID`."""
    if not plan.blockers:
        return []
    heading = Line("Blocking conditions (pressing Install accepts them):", DANGER)
    return [heading, *[Line(f"  {what_accepting_means(b)}", DANGER, hang=4) for b in plan.blockers]]


def _purge_lines(plan: Plan, sim: Simulation | None) -> list[Line]:
    """The purge in one line, counted as the Purge screen counts it; kept: what stays (what
    apt says, once simulated: autoremove takes what only purged packages needed)."""
    kept = ", ".join(kept_after(plan, sim) if sim else [k.name for k in plan.kept_list])
    kept = kept or "nothing"
    if not plan.purge_list:
        count = len(plan.kept_list)
        return (
            [Line(f"Nothing is purged: the {count} installed NVIDIA packages stay", HEADING)]
            if count
            else []
        )
    count = len(plan.purge_list)
    purged = f"Purge {count} package{'s' if count != 1 else ''}, as ticked on the Purge screen"
    if not plan.choices.purge:  # in place: only another branch's fabric manager and NSCQ
        purged = f"Purge the other branch's fabric manager: {', '.join(plan.purge_list)}"
    return [Line(f"{purged}; kept: {kept}", HEADING, hang=2)]


def _install_not_simulated(plan: Plan, sim: Simulation) -> bool:
    """apt cannot answer for the install before the plan's steps run: the sources a Debian
    plan enables first, or the repository a stack-only plan adds for its toolkit."""
    if sim.install is not None or sim.stack is not None:
        return False
    return plan.step("sources") is not None or bool(plan.stack_list)


def _package_sets(sim: Simulation) -> tuple[list[str], list[str], list[str]]:
    """(install, remove, upgrade) as one list each: everything the plan would remove, the
    purge, what autoremove also takes and what the install replaces, is one list here. The
    stack's simulation is the driver's install with the stack (the stack alone when the
    plan keeps the running driver)."""
    simulated = [result for result in (sim.install, sim.stack) if result is not None]
    installed = {name for result in simulated for name in result.install}
    upgraded = {name for result in simulated for name in result.upgrade}
    return sorted(installed), removed_packages(sim), sorted(upgraded)


def _package_set(verb: str, names: list[str], tone: str) -> list[Line]:
    if not names:
        return [Line(f"  {verb}: nothing", DIM)]
    return [Line(f"  {verb} {len(names)}: {' '.join(names)}", tone, hang=2)]
