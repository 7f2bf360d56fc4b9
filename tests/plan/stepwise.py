"""Apply a plan's package steps one at a time and record what each really changed, to compare
with what the pre-apply simulation said (on the demo simulator and on real apt alike)."""

from __future__ import annotations

from dataclasses import dataclass

from nvwizard.host.base import Host
from nvwizard.plan.models import Plan
from nvwizard.plan.verify import VERIFY_FORMAT


@dataclass(frozen=True)
class StepChange:
    removed: frozenset[str]  # gone from dpkg, or its files gone (config files left: "rc")
    added: frozenset[str]  # fully installed after, not before
    changed_version: frozenset[str]  # fully installed before and after, at another version


def package_states(host: Host) -> dict[str, tuple[str, str]]:
    """{package: (dpkg state, version)} of every package dpkg knows (not "not-installed")."""
    command = host.start(["dpkg-query", "-W", VERIFY_FORMAT])
    text = [line.text for line in command.lines() if line.stream == "stdout"]
    assert command.wait() == 0
    states = {}
    for line in text:
        name, state, version = (line.split("\t") + ["", ""])[:3]
        if state.strip()[1:2] not in ("", "n"):
            states[name] = (state.strip(), version)
    return states


def _removed(state_before: str, after: tuple[str, str] | None) -> bool:
    if after is None:
        return True
    return state_before[1:2] != "c" and after[0][1:2] == "c"


def _installed(states: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {name: version for name, (state, version) in states.items() if state == "ii"}


STEP_IDS = ("repair", "purge", "autoremove", "install")


def apply_step_by_step(host: Host, plan: Plan, step_ids=STEP_IDS) -> dict[str, StepChange]:
    """{step id: StepChange} for each of `step_ids` the plan has, run in the plan's order
    (the repair first: it unholds what the purge must change)."""
    changes = {}
    for step in plan.steps:
        if step.id not in step_ids:
            continue
        before = package_states(host)
        for argv in step.commands:
            command = host.start(argv)
            output = [line.text for line in command.lines()]
            assert command.wait() == 0, "\n".join(output[-30:])
        after = package_states(host)
        was, now = _installed(before), _installed(after)
        changes[step.id] = StepChange(
            removed=frozenset(n for n in before if _removed(before[n][0], after.get(n))),
            added=frozenset(now.keys() - was.keys()),
            changed_version=frozenset(n for n in was.keys() & now.keys() if was[n] != now[n]),
        )
    return changes
