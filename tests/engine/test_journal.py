import json
import threading

from nvwizard.engine import events as ev
from nvwizard.engine.journal import (
    Journal,
    follow,
    journal_dirs_for,
    latest_journal,
    read_events,
    read_state,
    write_state,
)
from nvwizard.engine.runner import Engine
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
    assert state["driver"] == "nvidia-driver-580" and state["flavour"] == "580"
    assert state["steps"] == {"update": "done", "install": "done"}
    assert state["outcome"] == "done"
    assert state["reboot_pending"] is True and state["verify_pending"] is True
    assert state["log"] == str(journal.log_path)
    assert [p["id"] for p in state["planned"]] == ["update", "install"]
    assert not list((tmp_path / "state").glob(".state.json.*"))  # no temp file left behind


def test_state_is_replaced_atomically(tmp_path):
    write_state({"outcome": "running"}, tmp_path)
    first = (tmp_path / "state.json").stat().st_ino
    write_state({"outcome": "done"}, tmp_path)
    assert (tmp_path / "state.json").stat().st_ino != first  # a new file renamed over the old
    assert read_state(tmp_path) == {"outcome": "done"}


def test_read_state_of_nothing_or_garbage_is_none(tmp_path):
    assert read_state(tmp_path) is None
    (tmp_path / "state.json").write_text("{not json")
    assert read_state(tmp_path) is None


def test_read_events_skips_a_torn_last_line(tmp_path):
    path = tmp_path / "apply-1.jsonl"
    good = json.dumps(ev.Event(ev.PLAN_STARTED, data={"pid": 1}).to_json())
    path.write_text(good + "\n" + good[:20])
    assert [e.kind for e in read_events(path)] == [ev.PLAN_STARTED]


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
    path.write_text(json.dumps(ev.Event(ev.PLAN_STARTED).to_json()) + "\n")
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
