"""The simulation before an apply (`apt-get -s`, read-only), as `install` runs it before it
asks and `plan --simulate` runs it alone: apt's install and remove sets, and a refusal (exit
3) naming the options that resolve a stop."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from nvwizard.errors import RefusedError

if TYPE_CHECKING:
    from nvwizard.host.base import Host
    from nvwizard.plan.models import Plan
    from nvwizard.plan.simulate import Simulation, SimulationCheck


def simulate_or_refuse(host: Host, plan: Plan, out: TextIO) -> tuple[Simulation, SimulationCheck]:
    """Ask apt what the plan would do, print it to `out`; RefusedError when it says stop."""
    # lazy: only when a command simulates (see cli/commands.py)
    from nvwizard.plan.simulate import check_simulation, simulate
    from nvwizard.plan.text import format_simulation

    simulation = simulate(host, plan)
    check = check_simulation(plan, simulation)
    print(format_simulation(simulation, check), file=out, flush=True)
    if not check.ok:
        advice = "".join(f"; {line}" for line in what_to_do(plan, check, host.kind == "demo"))
        raise RefusedError("the simulation says stop: " + "; ".join(check.problems) + advice)
    return simulation, check


def what_to_do(plan: Plan, check: SimulationCheck, demo: bool = False) -> list[str]:
    """The options that resolve a stop on packages the purge would drag along, in the command
    line's words (plan/dragged_advice.py says them for both front ends)."""
    # lazy: only when a command simulates (see cli/commands.py)
    from nvwizard.plan.dragged_advice import dragged_advice
    from nvwizard.report.wording import COMMAND_LINE

    return dragged_advice(plan, check, COMMAND_LINE, demo)
