import json
import threading
from dataclasses import replace

import pytest

from nvwizard.engine import events as ev
from nvwizard.engine.journal import (
    Journal,
    JournalError,
    follow,
    journal_dirs_for,
    latest_journal,
    read_events,
)
from nvwizard.engine.runner import Engine
from nvwizard.engine.state import read_state
from nvwizard.plan import models as pm
from nvwizard.plan.models import Choices, Plan, Step
from tests.engine.fakehost import FakeHost, Script


def small_plan() -> Plan:
    steps = [
        Step(
            id="update",
            title="Refresh",
            why="why",
            commands=[["apt-get", "update"]],
            changes_system=True,
            on_failure="retry",
            kind=pm.UPDATE,
        ),
        Step(
            id="install",
            title="Install",
            why="why",
            commands=[["apt-get", "install"]],
            changes_system=True,
            on_failure="read",
            kind=pm.INSTALL,
        ),
    ]
    return Plan(
        steps=steps,
        choices=Choices(driver="nvidia-driver-580"),
        host_label="fake",
        driver="nvidia-driver-580",
        flavour="580",
        branch=580,
        modules="dkms",
    )


def test_journal_writes_human_log_events_and_state(tmp_path):
    host = FakeHost({("apt-get", "install"): Script([("stdout", "Setting up nvidia-utils-580")])})
    with Journal(tmp_path / "log", tmp_path / "state") as journal:
        Engine(host, small_plan(), journal).run()

    events = read_events(journal.events_path)
    assert [e.kind for e in events] == [
        ev.PLAN_STARTED,
        ev.STEP_STARTED,
        ev.STEP_FINISHED,
        ev.STEP_STARTED,
        ev.OUTPUT,
        ev.STEP_FINISHED,
        ev.PLAN_FINISHED,
    ]
    human = journal.log_path.read_text()
    assert "== Install [install]" in human
    assert "    $ apt-get install" in human
    assert "Setting up nvidia-utils-580" in human
    assert "apply done" in human
    state = read_state(tmp_path / "state")
    apply = state.apply
    assert apply.driver == "nvidia-driver-580" and apply.flavour == "580"
    assert apply.steps == {"update": "done", "install": "done"}
    assert apply.outcome == "done"
    assert apply.reboot_pending is True and state.verify_pending is True
    assert apply.log == str(journal.log_path)
    assert [p.id for p in apply.planned] == ["update", "install"]
    assert not list((tmp_path / "state").glob(".state.json.*"))  # no temp file left behind


def stack_only_plan(keeps_driver: bool) -> Plan:
    """A toolkit added: no step after which a new driver waits for a reboot."""
    plan = small_plan()
    toolkit = Step(
        id="stack-install",
        title="Install the CUDA toolkit",
        why="why",
        commands=[["apt-get", "install"]],
        changes_system=True,
        on_failure="read",
        kind=pm.STACK_INSTALL,
    )
    return replace(plan, steps=[plan.steps[0], toolkit], keeps_driver=keeps_driver)


@pytest.mark.parametrize("keeps_driver", [True, False])
def test_a_plan_that_keeps_the_running_driver_leaves_its_verify_pending(tmp_path, keeps_driver):
    """What a plan added beside the running driver (plan.keeps_driver) was not verified: no
    reboot comes first, so verify is pending as soon as the apply is done (it was not, and
    `status` said "nothing to do"). A plan that keeps no driver and needs no reboot (not one
    nvwizard makes) leaves nothing pending, as before."""
    with Journal(tmp_path / "log", tmp_path / "state") as journal:
        outcome = Engine(FakeHost({}), stack_only_plan(keeps_driver), journal).run()

    assert outcome.ok and not outcome.reboot_required and not outcome.reboot_scheduled
    state = read_state(tmp_path / "state")
    assert state.apply.reboot_pending is False
    assert state.verify_pending is keeps_driver


def started_line(pid: int = 1) -> str:
    return json.dumps(ev.PlanStarted(small_plan(), pid, "fake").to_json())


def test_read_events_skips_a_torn_last_line(tmp_path):
    path = tmp_path / "apply-1.jsonl"
    good = started_line()
    path.write_text(good + "\n" + good[:20])
    assert [e.kind for e in read_events(path)] == [ev.PLAN_STARTED]


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not an event record"),
        (
            '{"kind": "output", "step": "x", "data": {"stream": "stdout", "line": "a"}, "time": 1}',
            "output event data: missing 'lines'; unexpected 'line'",
        ),
        (
            '{"kind": "step-finished", "step": "x", "data": {"exit_code": 0, "duration_s": 1.0, '
            '"ok": "yes"}, "time": 1}',
            "'ok' must be true or false, not 'yes'",
        ),
        ('{"kind": "reboot", "step": null, "data": {}, "time": 1}', "unknown event kind 'reboot'"),
    ],
)
def test_a_damaged_line_is_a_one_line_journal_error_naming_where(tmp_path, damage, reason):
    path = tmp_path / "apply-1.jsonl"
    path.write_text(started_line() + "\n" + damage + "\n" + started_line() + "\n")
    for read in (read_events, lambda p: list(follow(p, poll_s=0.01, stop=lambda: True))):
        with pytest.raises(JournalError) as caught:
            read(path)
        message = str(caught.value)
        assert "\n" not in message and caught.value.exit_code == 2
        assert f"{path} is damaged at line 2 (" in message
        assert reason in message
        assert f"read the human log {tmp_path / 'apply-1.log'}" in message


def test_a_journal_that_is_not_utf8_is_damaged_not_a_traceback(tmp_path):
    path = tmp_path / "apply-1.jsonl"
    path.write_bytes(started_line().encode() + b"\n\xff\xfe{}\n")
    with pytest.raises(JournalError, match="line 2 .*UTF-8"):
        read_events(path)


def test_follow_yields_events_as_they_are_appended_and_ends_with_the_plan(tmp_path):
    release = threading.Event()
    host = FakeHost({("apt-get", "install"): Script(on_start=lambda: release.wait(10))})
    journal = Journal(tmp_path / "log", tmp_path / "state")
    worker = threading.Thread(target=Engine(host, small_plan(), journal).run)
    worker.start()

    seen = []
    for event in follow(journal.events_path, poll_s=0.01):
        seen.append(event.kind)
        if event.kind == ev.STEP_STARTED and event.step == "install":
            assert worker.is_alive()  # we are reading live, not after the fact
            release.set()
    worker.join(10)
    journal.close()
    assert seen[-1] == ev.PLAN_FINISHED and seen.count(ev.STEP_FINISHED) == 2


def test_follow_stops_when_asked(tmp_path):
    path = tmp_path / "apply-x.jsonl"
    path.write_text(started_line() + "\n")
    assert [e.kind for e in follow(path, poll_s=0.01, stop=lambda: True)] == [ev.PLAN_STARTED]


def test_latest_journal_is_the_newest_event_log(tmp_path):
    assert latest_journal(tmp_path) is None
    first = Journal(tmp_path, tmp_path / "s")
    second = Journal(tmp_path, tmp_path / "s")
    first.close()
    second.close()
    assert latest_journal(tmp_path) == second.events_path != first.events_path


def test_demo_runs_never_write_into_the_real_places(monkeypatch, tmp_path):
    monkeypatch.delenv("NVWIZARD_LOG_DIR", raising=False)
    monkeypatch.delenv("NVWIZARD_STATE_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    log_dir, state_dir = journal_dirs_for(FakeHost())
    assert str(log_dir).startswith(str(tmp_path)) and str(state_dir).startswith(str(tmp_path))

    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(tmp_path / "L"))
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path / "S"))
    assert journal_dirs_for(FakeHost()) == (tmp_path / "L", tmp_path / "S")
