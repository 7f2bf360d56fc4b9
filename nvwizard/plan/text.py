"""Plans and simulations as plain text: what `nvwizard plan` and `nvwizard install` print.

Commands are shown with `shlex.join`, so each line can be pasted into a shell as it is.
"""

from __future__ import annotations

import shlex

from nvwizard.plan.blockers import what_accepting_means
from nvwizard.plan.keep_driver import kept_line
from nvwizard.plan.models import Plan
from nvwizard.plan.nothing_to_do import nothing_to_do_line
from nvwizard.plan.simulate import Simulation, SimulationCheck


def command_line(argv: list[str]) -> str:
    return shlex.join(argv)


def _names(names: list[str], indent: str = "    ", width: int = 96) -> list[str]:
    lines: list[str] = []
    current = indent
    for name in names:
        if len(current) + len(name) + 1 > width and current.strip():
            lines.append(current.rstrip())
            current = indent
        current += name + " "
    if current.strip():
        lines.append(current.rstrip())
    return lines


KEY_HINT = (
    "Every package it needs is at the version apt would install and nothing is pending: no "
    "step to run (--reinstall purges and installs it again; Secure Boot rejects that module "
    "as well until the key is enrolled)."
)
REINSTALL_HINT = (
    "Every package it needs is at the version apt would install, the loaded module is its "
    "own and nothing of it is pending: no step to run (--reinstall purges and installs it again)."
)


def format_plan(plan: Plan) -> str:
    modules = {
        "signed": "Canonical's signed precompiled modules",
        "dkms": "modules built by DKMS",
    }.get(plan.modules, plan.modules)
    kind = "headless" if plan.choices.headless else "desktop"
    lines = [
        f"Plan for {plan.host_label}: {plan.driver} (branch {plan.branch}, {kind}, {modules})",
    ]
    if plan.warnings:  # also with nothing to do: an option it does not use is said there
        lines.append("")
        lines.append("Warnings:")
        lines += [f"  ! {w}" for w in plan.warnings]
    if plan.nothing_to_do:
        line = nothing_to_do_line(plan.driver, plan.mok_certificate)
        hint = REINSTALL_HINT if plan.mok_certificate is None else KEY_HINT
        return "\n".join([*lines, "", f"{line}.", hint])
    lines += _blocking_conditions(plan)
    lines.append("")
    if plan.keeps_driver:
        lines.append(f"Driver: {kept_line(plan.driver, plan.mok_certificate)}.")
    else:
        lines += _driver_lists(plan)
    if plan.has_stack:
        lines.append(f"Then the developer stack ({len(plan.stack_list)} packages):")
        lines += _names(plan.stack_list) or ["    (installed already)"]
        if plan.repositories:
            lines.append(f"    from repositories the plan adds: {', '.join(plan.repositories)}")
    lines.append("")
    lines.append(format_plan_steps(plan))
    return "\n".join(lines)


def _driver_lists(plan: Plan) -> list[str]:
    """What the plan purges, keeps, leaves to autoremove and installs of the driver."""
    lines = []
    if plan.purge_list:
        lines.append(f"Purge ({len(plan.purge_list)} packages, exactly these):")
        lines += _names(plan.purge_list)
    else:
        lines.append("Purge: nothing")
    if plan.kept_list:
        lines.append(f"Keep ({len(plan.kept_list)} packages):")
        lines += [f"    {k.name}: {k.reason}" for k in plan.kept_list]
    if plan.autoremoved_list:
        lines.append(
            f"Left to autoremove ({len(plan.autoremoved_list)} packages only purged ones need; "
            "apt keeps any installed by hand):"
        )
        lines += _names(plan.autoremoved_list)
    lines.append(f"Install ({len(plan.install_list)} packages and their dependencies):")
    lines += _names(plan.install_list)
    return lines


def _blocking_conditions(plan: Plan) -> list[str]:
    """The plan's blocking conditions by id, with what applying it anyway means: a yes to
    `install`'s question accepts them; `install --yes` needs `--accept ID` for each."""
    if not plan.blockers:
        return []
    accept = shlex.join(word for b in plan.blockers for word in ("--accept", b.id))
    return [
        "",
        f"Blocking conditions (applying accepts them; `install --yes` needs {accept}):",
        *[f"  {what_accepting_means(b)}" for b in plan.blockers],
    ]


def format_plan_steps(plan: Plan) -> str:
    """Each step with why, its exact commands and what to do if it fails."""
    lines = ["Steps:"]
    total = len(plan.steps)
    for number, step in enumerate(plan.steps, start=1):
        effect = "changes the system" if step.changes_system else "read-only"
        lines.append(f"  {number}/{total} {step.title}  [{effect}]")
        lines.append(f"      why: {step.why}")
        for write in step.writes:
            lines.append(f"      writes {write.path} (mode {write.mode:o}):")
            lines += [f"        | {line}" for line in write.content.splitlines()]
        lines += [f"      $ {command_line(argv)}" for argv in step.commands]
        lines.append(f"      if it fails: {step.on_failure}")
    return "\n".join(lines)


def format_simulation(sim: Simulation, check: SimulationCheck) -> str:
    """What apt says each step will do, in the order they run, then any reason to stop."""
    lines = ["Simulation (apt-get -s):"]
    if sim.purge is not None:
        lines.append(f"  remove ({len(sim.purge.remove)}):")
        lines += _names(sorted(sim.purge.remove), "    ")
    also = sim.also_removed
    if also:
        lines.append(f"  autoremove also removes ({len(also)}):")
        lines += _names(also, "    ")
    if sim.install is not None:
        lines += _install_lines(sim, check)
    if sim.stack is not None and sim.stack.ok:
        alone = set(sim.install.install) if sim.install is not None else set()
        added = sorted(f"{p} {v}" for p, v in sim.stack.install.items() if p not in alone)
        lines.append(f"  then the developer stack installs ({len(added)}):")
        lines += [f"    {item}" for item in added]
    lines += [f"  note: {note}" for note in check.notes]
    lines += [f"  STOP: {problem}" for problem in check.problems]
    return "\n".join(lines)


def _install_lines(sim: Simulation, check: SimulationCheck) -> list[str]:
    assert sim.install is not None
    new = sorted(f"{p} {v}" for p, v in sim.install.install.items())
    after = " (after the purge)" if sim.purge is not None else ""
    lines = [f"  install{after} ({len(new)}):"]
    lines += [f"    {item}" for item in new]
    if sim.install.upgrade:
        lines.append(f"  upgrade ({len(sim.install.upgrade)}):")
        lines += [
            f"    {p} {old} -> {new_version}"
            for p, (old, new_version) in sorted(sim.install.upgrade.items())
        ]
    again = sim.reinstalled
    if again:
        lines.append(
            f"  purged, then installed fresh ({len(again)}; their configuration files "
            "return to the packaged ones):"
        )
        lines += _names(again, "    ")
    if check.replaced:
        lines.append(
            f"  replaced by the new driver through apt's Conflicts ({len(check.replaced)}, "
            "old -> new):"
        )
        lines += [f"    {r.describe()}" for r in check.replaced]
    return lines
