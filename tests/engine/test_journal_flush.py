"""When the journal's lines reach the disk: output in batches, everything else at once."""

import json
import time

from nvwizard.engine import events as ev
from nvwizard.engine.journal import (
    Journal,
    event_json_line,
    human_text,
    read_events,
    read_state,
)


def output(line: str) -> ev.Event:
    return ev.Event(ev.OUTPUT, "install", {"stream": "stdout", "line": line})


def wait_for_text(path, text: str, limit_s: float = 10.0) -> str:
    """The file's text once it contains `text` (polls; fails after `limit_s`)."""
    deadline = time.monotonic() + limit_s
    while True:
        content = path.read_text(encoding="utf-8")
        if text in content or time.monotonic() > deadline:
            return content
        time.sleep(0.01)


def test_output_reaches_the_disk_without_another_event_or_close(tmp_path):
    journal = Journal(tmp_path / "log", tmp_path / "state")
    try:
        journal(ev.Event(ev.STEP_STARTED, "install", {"title": "Install", "argv": []}))
        journal(output("Building module for 6.8.0-45-generic"))
        # Nothing else is written: the flusher alone must bring the line to a follower.
        assert "Building module" in wait_for_text(journal.log_path, "Building module")
        assert "Building module" in wait_for_text(journal.events_path, "Building module")
    finally:
        journal.close()


def test_a_step_event_flushes_the_output_before_it_at_once(tmp_path):
    journal = Journal(tmp_path / "log", tmp_path / "state")
    try:
        journal(
            ev.Event(ev.PLAN_STARTED, data={"plan": {"steps": [{"id": "install", "title": "I"}]}})
        )
        for number in range(100):
            journal(output(f"line {number}"))
        journal(ev.Event(ev.STEP_FINISHED, "install", {"exit_code": 0, "ok": True}))
        # Read at once, no waiting: the step event was flushed, and the lines before it too.
        events = read_events(journal.events_path)
        assert [e.data["line"] for e in events if e.kind == ev.OUTPUT] == [
            f"line {n}" for n in range(100)
        ]
        assert events[-1].kind == ev.STEP_FINISHED
        assert "line 99" in journal.log_path.read_text(encoding="utf-8")
        assert read_state(tmp_path / "state")["steps"] == {"install": "done"}
    finally:
        journal.close()


def test_close_flushes_everything_and_a_second_close_is_harmless(tmp_path):
    journal = Journal(tmp_path / "log", tmp_path / "state")
    for number in range(1000):
        journal(output(f"line {number}"))
    journal(ev.Event(ev.PROGRESS, "install", {"percent": 50.0, "text": "x", "phase": "install"}))
    journal.close()
    journal.close()
    assert len(read_events(journal.events_path)) == 1001
    assert journal.log_path.read_text(encoding="utf-8").splitlines()[-1] == "line 999"


def test_event_json_is_the_plain_fields():
    event = ev.Event(ev.OUTPUT, "install", {"stream": "stderr", "line": "é [x]"}, time=12.5)
    obj = json.loads(json.dumps(event.to_json()))
    assert obj == {
        "kind": ev.OUTPUT,
        "step": "install",
        "data": {"stream": "stderr", "line": "é [x]"},
        "time": 12.5,
    }
    assert ev.Event.from_json(obj) == event


def test_human_text_of_output_is_the_bare_line_and_progress_is_not_shown():
    assert human_text(output("Setting up nvidia-utils-580")) == "Setting up nvidia-utils-580"
    progress = ev.Event(ev.PROGRESS, "install", {"percent": 1.0, "text": "x", "phase": "install"})
    assert human_text(progress) is None
    finished = ev.Event(ev.STEP_FINISHED, "install", {"ok": True, "duration_s": 1.0}, time=0.0)
    assert human_text(finished).endswith("-- install: ok in 1.0 s")


def test_output_lines_are_the_same_json_as_the_general_encoder():
    texts = ["plain", 'quote " back \\ tab\t', "é ü 中 \x1b[0m \u2028", ""]
    for text in texts:
        event = ev.Event(ev.OUTPUT, "install", {"stream": "stderr", "line": text})
        line = event_json_line(event)
        assert line == json.dumps(event.to_json(), ensure_ascii=False) + "\n"
        assert ev.Event.from_json(json.loads(line)) == event
    odd = ev.Event(ev.OUTPUT, "install", {"stream": "stdout", "line": "x", "extra": 1})
    assert json.loads(event_json_line(odd))["data"] == {"stream": "stdout", "line": "x", "extra": 1}
