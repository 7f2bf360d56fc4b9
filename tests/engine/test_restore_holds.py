"""An apply that stops after releasing the administrator's holds and before carrying them over
puts them back (README, install step 7: holds "are never dropped in silence").

On the hgx-h100 demo an administrator held nvidia-fabricmanager-535 and libnvidia-nscq-535;
the plan releases them in its repair step and holds their 595 namesakes in its hold step.
Each apply here runs on the simulator at speed 0 and is stopped at a chosen step (cancelled
when it starts, or made to fail), then the demo's own apt-mark says what is held.
"""

from __future__ import annotations

import pytest

from nvwizard.engine import events as ev
from nvwizard.engine.restore_holds import STEP_ID, HoldsBack, installed_of
from nvwizard.engine.runner import CANCELLED, DONE, FAILED, Engine
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host

OLD = ["libnvidia-nscq-535", "nvidia-fabricmanager-535"]
NEW = ["nvidia-fabricmanager-595", "libnvidia-nscq-595"]


@pytest.fixture(autouse=True)
def instant_demo(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def held(host) -> list[str]:
    command = host.start(["apt-mark", "showhold"])
    names = [out.text for out in command.lines() if out.stream == "stdout"]
    command.wait()
    return sorted(names)


def apply_stopped_at(step: str, fail: bool = False, monkeypatch=None):
    """Apply the recommended plan on hgx-h100, cancelled as `step` starts."""
    host = demo_host("hgx-h100")
    report = build_report(host)
    plan = build_plan(report, default_choices(report))
    assert plan.released_holds == OLD and plan.carried_holds == NEW
    seen: list[ev.Event] = []
    engine = Engine(host, plan, listeners=[seen.append])

    def cancel_at(event: ev.Event) -> None:
        if isinstance(event, ev.StepStarted) and event.step == step and not fail:
            engine.cancel()

    engine._listeners.append(cancel_at)
    return host, engine.run(), seen


def test_a_cancel_before_the_purge_holds_the_old_packages_again():
    host, outcome, seen = apply_stopped_at("update")
    assert outcome.status == CANCELLED
    assert held(host) == sorted(OLD)
    restore = [e for e in seen if isinstance(e, ev.StepStarted) and e.step == STEP_ID]
    assert restore and restore[0].argv == (("apt-mark", "hold", *OLD),)
    assert "the administrator's holds were put back on libnvidia-nscq-535, " in outcome.message
    assert STEP_ID in outcome.steps_done


def test_a_cancel_after_the_purge_names_the_holds_it_cannot_put_back():
    host, outcome, seen = apply_stopped_at("autoremove")
    assert outcome.status == CANCELLED
    assert held(host) == []
    assert not any(isinstance(e, ev.StepStarted) and e.step == STEP_ID for e in seen)
    assert (
        "no longer installed, so no longer held: libnvidia-nscq-535, nvidia-fabricmanager-535 "
        "(the install's `--hold` holds nvidia-fabricmanager-595, libnvidia-nscq-595 with the "
        "rest)" in outcome.message
    )


def test_a_failure_after_the_install_carries_the_holds_over(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "libnvidia-nscq-595")
    host, outcome, _seen = apply_stopped_at("install", fail=True)
    assert outcome.status == FAILED
    assert held(host) == sorted(NEW)
    assert "the administrator's holds were carried over to nvidia-fabricmanager-595, " in (
        outcome.message
    )
    assert "no longer held" not in outcome.message


def test_an_apply_that_carried_them_over_runs_no_restore():
    host, outcome, seen = apply_stopped_at("never")
    assert outcome.status == DONE
    assert held(host) == sorted(NEW)
    assert not any(isinstance(e, ev.StepStarted) and e.step == STEP_ID for e in seen)


def test_installed_means_any_state_but_not_installed_and_config_files():
    text = "a\tii \nb\thi \nc\tiF \nd\trc \ne\tun \n"
    assert installed_of(text) == {"a", "b", "c"}


def test_a_held_driver_package_without_namesake_counts_as_carried_to_the_new_driver():
    host = demo_host("hgx-h100")
    plan = build_plan(build_report(host), default_choices(build_report(host)))
    plan.released_holds = ["nvidia-driver-535-server"]
    plan.carried_holds = ["nvidia-utils-595-server"]
    back = HoldsBack.of(plan, {"nvidia-utils-595-server"})
    assert back.gone == [] and back.hold == ["nvidia-utils-595-server"]
    nothing = HoldsBack.of(plan, set())
    assert nothing.gone == ["nvidia-driver-535-server"] and nothing.hold == []
