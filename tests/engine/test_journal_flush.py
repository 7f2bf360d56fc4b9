"""When the journal's lines reach the disk: output in batches, everything else at once."""

import json
import time

from nvwizard.engine import events as ev
from nvwizard.engine.journal import Journal, event_json_line, human_text, read_events
from nvwizard.engine.state import read_state
from tests.detach.helpers import install_plan
from tests.waiting import wait_for


def output(line: str) -> ev.StepOutput:
    return ev.StepOutput("install", "stdout", (line,))


def wait_for_text(path, text: str) -> None:
    wait_for(lambda: text in path.read_text(encoding="utf-8"), f"{text!r} in {path.name}")


def test_output_reaches_the_disk_without_another_event_or_close(tmp_path):
    journal = Journal(tmp_path / "log", tmp_path / "state")
    try:
        journal(ev.StepStarted("install", "Install", (), "install"))
        journal(output("Building module for 6.8.0-45-generic"))
        # Nothing else is written: the flusher alone must bring the line to a follower.
        wait_for_text(journal.log_path, "Building module")
        wait_for_text(journal.events_path, "Building module")
    finally:
        journal.close()


def test_a_step_event_flushes_the_output_before_it_at_once(tmp_path):
    journal = Journal(tmp_path / "log", tmp_path / "state")
    try:
        journal(ev.PlanStarted(install_plan("nvidia-driver-580-server"), 1, "this machine"))
        for number in range(100):
            journal(output(f"line {number}"))
        journal(ev.StepFinished("install", 0, 1.0, True))
        # Read at once, no waiting: the step event was flushed, and the lines before it too.
        events = read_events(journal.events_path)
        assert [e.lines[0] for e in events if isinstance(e, ev.StepOutput)] == [
            f"line {n}" for n in range(100)
        ]
        assert events[-1].kind == ev.STEP_FINISHED
        assert "line 99" in journal.log_path.read_text(encoding="utf-8")
        steps = read_state(tmp_path / "state").apply.steps
        assert steps == {"install": "done", "verify-packages": "pending"}
    finally:
        journal.close()


def test_close_flushes_everything_and_a_second_close_is_harmless(tmp_path):
    journal = Journal(tmp_path / "log", tmp_path / "state")
    for number in range(1000):
        journal(output(f"line {number}"))
    journal(ev.StepProgress("install", 50.0, "x", "install"))
    journal.close()
    journal.close()
    assert len(read_events(journal.events_path)) == 1001
    assert journal.log_path.read_text(encoding="utf-8").splitlines()[-1] == "line 999"


def test_event_json_is_the_plain_fields():
    event = ev.StepOutput("install", "stderr", ("é [x]", "second"), time=12.5)
    obj = json.loads(json.dumps(event.to_json()))
    assert obj == {
        "kind": ev.OUTPUT,
        "step": "install",
        "data": {"stream": "stderr", "lines": ["é [x]", "second"]},
        "time": 12.5,
    }
    assert ev.event_from_json(obj) == event


def test_human_text_of_output_is_the_bare_lines_and_progress_is_not_shown():
    assert human_text(output("Setting up nvidia-utils-580")) == "Setting up nvidia-utils-580"
    several = ev.StepOutput("install", "stdout", ("one", "two"))
    assert human_text(several) == "one\ntwo"
    assert human_text(ev.StepOutput("install", "stdout", ())) is None
    assert human_text(ev.StepProgress("install", 1.0, "x", "install")) is None
    finished = ev.StepFinished("install", 0, 1.0, True, time=0.0)
    assert human_text(finished).endswith("-- install: ok in 1.0 s")


def test_several_lines_in_one_output_event_reach_both_logs(tmp_path):
    with Journal(tmp_path / "log", tmp_path / "state") as journal:
        journal(ev.StepOutput("install", "stdout", ("one", "two", "three")))
        journal(ev.StepOutput("install", "stdout", ()))
        journal(output("four"))
    assert journal.log_path.read_text(encoding="utf-8") == "one\ntwo\nthree\nfour\n"
    lines = [e.lines for e in read_events(journal.events_path)]
    assert lines == [("one", "two", "three"), (), ("four",)]


def test_output_lines_are_the_same_json_as_the_general_encoder():
    texts = ["plain", 'quote " back \\ tab\t', "é ü 中 \x1b[0m \u2028", ""]
    for lines in [(text,) for text in texts] + [tuple(texts), ()]:
        event = ev.StepOutput("install", "stderr", lines, time=time.time())
        line = event_json_line(event)
        assert line == json.dumps(event.to_json(), ensure_ascii=False) + "\n"
        assert ev.event_from_json(json.loads(line)) == event
