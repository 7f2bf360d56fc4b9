"""InProcessApply: a demo or bundle apply in this process, under its state directory's lock.

The applies here run on the demo simulator at speed 0; a listener that waits on an event holds
one in the middle of a step (after the journal wrote the step's start), so "while it runs" is a
fact the test controls, not a timing guess.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from nvwizard.engine import events as ev
from nvwizard.engine.in_process import InProcessApply
from nvwizard.engine.journal import check_can_journal, read_events
from nvwizard.engine.lock import HOLDER_NAME, ApplyBusyError, current_holder
from nvwizard.engine.paths import PlaceError
from nvwizard.errors import EXIT_REFUSED, EXIT_USAGE, RefusedError
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from tests.waiting import wait_for

DEMO = "rtx3090-fresh"
WAIT_S = 60.0  # a safety net, not a speed check


@pytest.fixture(autouse=True)
def instant_demo(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def demo_and_plan(name: str = DEMO):
    host = demo_host(name)
    report = build_report(host)
    return host, build_plan(report, default_choices(report))


class Gate:
    """A listener that holds the apply when `step` starts, until `open()`."""

    def __init__(self, step: str):
        self.step = step
        self.reached = threading.Event()
        self._open = threading.Event()

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.StepStarted) and event.step == self.step:
            self.reached.set()
            assert self._open.wait(WAIT_S), "the test never opened the gate"

    def open(self) -> None:
        self._open.set()


class Background:
    """`apply.run()` on a thread; `result()` is its outcome or raises what it raised."""

    def __init__(self, apply: InProcessApply):
        self.outcome: ev.Outcome | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(apply,), daemon=True)
        self.thread.start()

    def _run(self, apply: InProcessApply) -> None:
        try:
            self.outcome = apply.run()
        except BaseException as error:
            self.error = error

    def result(self) -> ev.Outcome:
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


def test_the_lock_names_the_running_apply_and_is_released_at_its_end(places):
    state, log = places
    host, plan = demo_and_plan()
    gate = Gate("install")
    apply = InProcessApply(host, plan, [gate])
    running = Background(apply)
    try:
        assert gate.reached.wait(WAIT_S)
        holder = current_holder(state)
        assert holder is not None
        assert (holder.driver, holder.host, holder.run_id) == (
            plan.driver,
            f"demo {DEMO}",
            apply.run_id,
        )
        assert holder.journal == apply.events_path and Path(holder.journal).parent == log
        refused = InProcessApply(*demo_and_plan())
        with pytest.raises(ApplyBusyError) as busy:
            refused.refuse_to_start()
        assert busy.value.exit_code == EXIT_REFUSED
        assert f"an apply of {plan.driver} to demo {DEMO} (pid " in str(busy.value)
    finally:
        gate.open()
    assert running.result().status == ev.DONE
    assert current_holder(state) is None and not (state / HOLDER_NAME).exists()


def test_two_applies_started_together_in_one_state_dir_one_runs_one_is_refused(places):
    """Both past the early check at once: the lock itself lets one through. (Two threads of
    one process: a second flock on the same file in the same process must not let both in.)"""
    state, log = places
    gates = [Gate("update"), Gate("update")]
    applies = [InProcessApply(*demo_and_plan(), listeners=[gate]) for gate in gates]
    for apply in applies:
        apply.refuse_to_start()  # nobody runs yet: both would go ahead
    runs = [Background(apply) for apply in applies]
    try:
        # the second acquire gives up after file_lock.RETRY_S
        wait_for(lambda: any(r.error for r in runs), "one apply refused", WAIT_S)
        loser = next(r for r in runs if r.error is not None)
        with pytest.raises(ApplyBusyError):
            loser.result()
        winner, gate = next((r, g) for r, g in zip(runs, gates, strict=True) if r is not loser)
        assert gate.reached.wait(WAIT_S)  # the winner goes on with its apply
    finally:
        for gate in gates:
            gate.open()
    assert winner.result().status == ev.DONE
    assert len(list(log.glob("apply-*.jsonl"))) == 1  # the refused one wrote no journal


def test_the_lock_is_released_when_the_apply_fails(places, monkeypatch):
    state, _ = places
    host, plan = demo_and_plan()
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", next(p for p in plan.install_list if "utils" in p))
    outcome = InProcessApply(host, plan).run()
    assert outcome.status == ev.FAILED
    assert current_holder(state) is None


def test_cancelled_before_it_started_it_stops_before_the_first_step(places):
    host, plan = demo_and_plan()
    apply = InProcessApply(host, plan)
    apply.cancel()
    outcome = apply.run()
    assert outcome.status == ev.CANCELLED and apply.engine is not None
    kinds = [e.kind for e in read_events(apply.events_path)]
    assert ev.STEP_STARTED not in kinds


def test_a_demo_machine_changed_elsewhere_since_it_was_loaded_is_not_applied_to(places):
    """Two processes on one saved demo: the one that loaded it before the other's apply must
    not write its stale machine over the other's changes."""
    state, log = places
    stale_host, stale_plan = demo_and_plan()  # loaded now, applied later
    other_host, other_plan = demo_and_plan()
    assert InProcessApply(other_host, other_plan).run().status == ev.DONE
    saved = state / "demo-machines" / f"{DEMO}.json"
    after_other = saved.read_text()

    with pytest.raises(RefusedError) as refused:
        InProcessApply(stale_host, stale_plan).run()
    assert refused.value.exit_code == EXIT_REFUSED
    assert str(refused.value) == (
        f"the demo machine saved in {saved} was changed by another nvwizard process since "
        "this one read it; nothing more is changed here: run the command again to go on from "
        "its changes"
    )
    assert saved.read_text() == after_other
    assert len(list(log.glob("apply-*.jsonl"))) == 1  # no journal for the refused apply
    assert current_holder(state) is None

    fresh_host, fresh_plan = demo_and_plan()  # a new command sees the other's changes
    assert fresh_host.label.startswith(f"demo {DEMO} (after your changes: ")


@pytest.mark.parametrize("setting", ["NVWIZARD_LOG_DIR", "NVWIZARD_STATE_DIR"])
@pytest.mark.parametrize("place", ["/dev/null", "/dev/null/sub", "a-file/sub"])
def test_an_apply_it_cannot_journal_is_refused_before_anything(
    places, tmp_path, monkeypatch, setting, place
):
    state, log = places
    (tmp_path / "a-file").write_text("not a folder\n")
    value = place if place.startswith("/") else str(tmp_path / place)
    blocking = "/dev/null" if place.startswith("/") else str(tmp_path / "a-file")
    monkeypatch.setenv(setting, value)
    host, plan = demo_and_plan()
    expected = (
        f"{blocking} is not a directory "
        f"(from {setting}={value}: it must name a folder nvwizard can write)"
    )
    for check in (
        lambda: check_can_journal(host),
        InProcessApply(host, plan).refuse_to_start,
        InProcessApply(host, plan).run,
    ):
        with pytest.raises(PlaceError) as refused:
            check()
        assert str(refused.value) == expected and refused.value.exit_code == EXIT_USAGE
    assert not state.exists() and not log.exists()  # nothing was created, nothing applied
    assert not host.simulator.state.changed


def test_a_demo_without_the_settings_journals_in_a_folder_of_its_own(monkeypatch, tmp_path):
    """Without NVWIZARD_STATE_DIR each process has its own temporary state directory: two demo
    applies cannot collide, and another process's `status` does not see them."""
    for name in ("NVWIZARD_LOG_DIR", "NVWIZARD_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read once, then cached
    host, plan = demo_and_plan()
    check_can_journal(host)  # nothing to check: the folder is made for the apply
    first, second = InProcessApply(host, plan), InProcessApply(*demo_and_plan())
    assert first.state_dir != second.state_dir
    assert first.state_dir.is_relative_to(tmp_path)
    gate = Gate("install")
    first.listeners.append(gate)
    running = Background(first)
    try:
        assert gate.reached.wait(WAIT_S)
        assert second.run().status == ev.DONE  # not refused: another state directory
    finally:
        gate.open()
    assert running.result().status == ev.DONE
    state = json.loads((first.state_dir / "state.json").read_text())
    assert state["outcome"] == "done"
