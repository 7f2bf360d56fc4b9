"""The simulation before an apply (`apt-get -s`, read-only), as `install` runs it before it
asks and `plan --simulate` runs it alone: apt's install and remove sets, and a refusal (exit
3) naming the options that resolve a stop."""

from __future__ import annotations

import shlex
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
    """The options that resolve a stop on packages the purge would drag along. On a `demo`, a
    package only a person at a real machine would remove is said as that."""
    # lazy: only when a command simulates (see cli/commands.py)
    from nvwizard.host.demo_advice import on_a_real_machine
    from nvwizard.plan.simulate import dragged_packages

    dragged = dragged_packages(plan, check)
    advice = []
    if dragged.purge_too:
        options = shlex.join(arg for name in dragged.purge_too for arg in ("--also-purge", name))
        advice.append(f"to purge {_them(dragged.purge_too)} too, add {options}")
    if dragged.unkeep:
        options = shlex.join(arg for name in dragged.unkeep for arg in ("--keep", name))
        advice.append(f"{_them(dragged.unkeep)} cannot stay without the driver: drop {options}")
    if dragged.by_hand:
        names, it = " ".join(dragged.by_hand), _them(dragged.by_hand)
        purge = shlex.join(["sudo", "apt-get", "purge", *dragged.by_hand])
        remove = f"if no longer needed, remove {it} first ({purge})"
        if demo:  # this computer's apt-get never reaches the demo, nor does nvwizard remove it
            remove = f"{on_a_real_machine(remove)}; no nvwizard command removes {it} from the demo"
        need = "needs" if len(dragged.by_hand) == 1 else "need"
        advice.append(f"{names} {need} the driver{'. ' if demo else ': '}{remove}")
    return advice


def _them(names: list[str]) -> str:
    return "it" if len(names) == 1 else "them"
