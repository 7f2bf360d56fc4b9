"""What resolves a simulation's stop on packages the purge would drag along, in one front end's
words (report/wording.py): the same advice for `install` and the wizard's Install screen, each
package named, and the install options that say it always pasted back as the same argv."""

from __future__ import annotations

import shlex

from nvwizard.host.demo_advice import on_a_real_machine
from nvwizard.plan.models import Plan
from nvwizard.plan.simulate import SimulationCheck, dragged_packages
from nvwizard.report.wording import FrontEndWords


def dragged_advice(
    plan: Plan, check: SimulationCheck, words: FrontEndWords, demo: bool = False
) -> list[str]:
    """One line per way out of the stop. On a `demo`, a package only a person at a real
    machine would remove is said as that (this computer's apt-get never reaches the demo)."""
    dragged = dragged_packages(plan, check)
    advice = []
    if dragged.purge_too:
        advice.append(words.dragged_purge_too.format(**_fields(dragged.purge_too)))
    if dragged.unkeep:
        advice.append(words.dragged_unkeep.format(**_fields(dragged.unkeep)))
    if dragged.by_hand:
        fields = _fields(dragged.by_hand)
        remove = words.dragged_remove.format(**fields)
        if demo:
            not_here = words.dragged_not_from_demo.format(**fields)
            remove = f"{on_a_real_machine(remove)}; {not_here}"
        need = "needs" if len(dragged.by_hand) == 1 else "need"
        advice.append(f"{fields['names']} {need} the driver{'. ' if demo else ': '}{remove}")
    return advice


def _fields(names: list[str]) -> dict[str, str]:
    return {
        "names": ", ".join(names),
        "it": "it" if len(names) == 1 else "them",
        "also_purge": shlex.join(arg for name in names for arg in ("--also-purge", name)),
        "keep": shlex.join(arg for name in names for arg in ("--keep", name)),
        "purge": shlex.join(["sudo", "apt-get", "purge", *names]),
    }
