"""Putting the administrator's holds back when an apply stops before it carried them over.

A plan that changes held packages releases their holds in its repair step (`apt-mark unhold`)
and holds what takes their place in its hold step (plan/holds.py). An apply that stops in
between (cancelled, or a step failed) must not leave them released in silence: the engine
then runs one more step, listed, logged and journaled like the others, that holds again those
of the released packages that are still installed, and those of their planned replacements
that are installed already (what the hold step would have held). A released package that is
gone (purged) with nothing installed in its place cannot be held: the outcome names it.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from nvwizard.host.base import Host
from nvwizard.plan import models as pm
from nvwizard.plan.models import Plan, Step
from nvwizard.plan.replaced import pair_replacements

STEP_ID = "restore-holds"
REPAIR_STEP_ID = "repair"  # the step that releases the holds (plan/repair.py)
HOLD_STEP_ID = "hold"  # the step that carries them over (plan/services.py)
# dpkg's package states that mean "not installed": not-installed, config-files
_NOT_INSTALLED = ("n", "c")


def states_argv(packages: list[str]) -> list[str]:
    """dpkg-query for each package's state (one `name<TAB>abbrev` line per known package)."""
    return ["dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\n", *packages]


def installed_of(text: str) -> set[str]:
    """The packages `states_argv`'s output shows installed (any state but not-installed and
    config-files: a half-configured package is still there to hold)."""
    found = set()
    for line in text.splitlines():
        name, _, abbrev = line.partition("\t")
        if len(abbrev) >= 2 and abbrev[1] not in _NOT_INSTALLED:
            found.add(name.strip())
    return found


def installed_now(host: Host, plan: Plan, env: Mapping[str, str]) -> set[str]:
    """Which of the released packages and their replacements are installed now (when dpkg
    cannot be asked: the released ones, held again as they were)."""
    try:
        command = host.start(states_argv(plan.released_holds + plan.carried_holds), env)
        text = "\n".join(out.text for out in command.lines() if out.stream == "stdout")
        command.wait()
    except OSError:
        return set(plan.released_holds)
    return installed_of(text)


def holds_left_released(plan: Plan, started: list[str], done: list[str]) -> bool:
    """The apply released holds (its repair step ran) and stopped before carrying them over
    (its hold step did not succeed). `started`: the steps it began; `done`: those that
    succeeded."""
    return bool(plan.released_holds) and REPAIR_STEP_ID in started and HOLD_STEP_ID not in done


@dataclass(frozen=True)
class HoldsBack:
    """What putting the holds back does, from the packages installed now."""

    put_back: list[str]  # released, still installed: held again
    carried: list[str]  # replacements the hold step would have held, installed already
    gone: list[str]  # released, no longer installed, and nothing installed holds in its place
    waiting: list[str]  # what would take the hold of those, not installed yet

    @classmethod
    def of(cls, plan: Plan, installed: set[str]) -> HoldsBack:
        pairs = pair_replacements(plan.released_holds, plan.carried_holds)
        named = {p.new for p in pairs}
        carried = [p for p in plan.carried_holds if p in installed]
        # a held driver package with no namesake passes its hold to the new driver's packages
        others_in = any(p not in named for p in carried)
        gone = [
            p
            for p in pairs
            if p.old not in installed and not (p.new in installed or (p.new is None and others_in))
        ]
        return cls(
            put_back=[p.old for p in pairs if p.old in installed],
            carried=carried,
            gone=[p.old for p in gone],
            waiting=[p for p in plan.carried_holds if p not in installed],
        )

    @property
    def hold(self) -> list[str]:
        return self.put_back + [p for p in self.carried if p not in self.put_back]

    def step(self) -> Step:
        """The listed step that holds again what is installed (run only when something is)."""
        gone = f" ({', '.join(self.gone)}: no longer installed)" if self.gone else ""
        return Step(
            id=STEP_ID,
            title="Put the administrator's holds back",
            why="The apply stopped after releasing the holds an administrator set and before "
            f"carrying them over{gone}; holds are never dropped in silence.",
            commands=[["apt-mark", "hold", *self.hold]],
            changes_system=True,
            on_failure=f"Run `{shlex.join(['apt-mark', 'hold', *self.hold])}`: they are not "
            "on hold until then.",
            kind=pm.HOLD,
        )

    def said(self, held: bool, simulated: bool) -> str:
        """The outcome's words (`held`: the step succeeded; `simulated`: a demo or bundle,
        which no `apt-mark` typed on this computer reaches)."""
        parts = []
        if self.hold and not held:
            parts.append(f"the administrator's holds could not be put back on {_names(self.hold)}")
        elif self.put_back:
            parts.append(f"the administrator's holds were put back on {_names(self.put_back)}")
        if held and self.carried:
            parts.append(
                f"the administrator's holds were carried over to {_names(self.carried)}, "
                "which replaced the held packages"
            )
        if self.gone:
            lost = f"no longer installed, so no longer held: {_names(self.gone)}"
            if self.waiting and simulated:
                lost += f" (the install's `--hold` holds {_names(self.waiting)} with the rest)"
            elif self.waiting:
                hold = shlex.join(["sudo", "apt-mark", "hold", *self.waiting])
                lost += f" (hold what replaces them once installed: `{hold}`)"
            parts.append(lost)
        return "; ".join(parts)


def _names(packages: list[str]) -> str:
    return ", ".join(packages)
