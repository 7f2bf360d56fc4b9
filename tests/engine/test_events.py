"""Engine events: one frozen dataclass per kind, one JSON pair each; damage fails loudly."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from nvwizard.engine import events as ev
from nvwizard.engine.diagnose import BrokenPackage
from tests.detach.helpers import install_plan

AT = 1_700_000_000.25


def one_of_each() -> list[ev.Event]:
    failed = ev.Outcome(
        status=ev.FAILED,
        failed_step="install",
        message="Install failed: nvidia-dkms-580 is half-configured",
        next_action="Run `dpkg --configure -a`.",
        repair=("dpkg", "--configure", "-a"),
        broken_packages=(BrokenPackage("nvidia-dkms-580", "iF", "half-configured"),),
        last_lines=("E: Sub-process /usr/bin/dpkg returned an error code (1)",),
        log_path="/var/log/nvwizard/apply-x.log",
        reboot_required=True,
        reboot_scheduled=False,
        steps_done=("preflight", "update"),
    )
    return [
        ev.PlanStarted(install_plan("nvidia-driver-580-server"), 4242, "this machine", AT),
        ev.StepStarted("install", "Install", (("apt-get", "-y", "install", "x"),), "install", AT),
        ev.StepOutput("install", "stderr", ("one", "two é\t")),
        ev.StepProgress("install", 42.5, "Unpacking x", "install", AT),
        ev.StepFinished("install", 100, 12.5, False, AT),
        ev.PlanFinished(failed, AT),
    ]


def test_every_kind_has_a_class_and_its_json_round_trips():
    events = one_of_each()
    assert [e.kind for e in events] == list(ev.KINDS)
    for event in events:
        assert dataclasses.is_dataclass(event)
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.time = 0.0  # type: ignore[misc]
        record = json.loads(json.dumps(event.to_json()))
        assert record.keys() == {"kind", "step", "data", "time"}
        assert ev.event_from_json(record) == event
        assert type(event).from_json(record) == event


def test_the_journal_record_keeps_its_field_names():
    """What other tools reading the JSON-lines journal rely on."""
    data = {e.kind: e.to_json()["data"] for e in one_of_each()}
    assert set(data[ev.PLAN_STARTED]) == {"plan", "pid", "host"}
    assert data[ev.STEP_STARTED] == {
        "title": "Install",
        "argv": [["apt-get", "-y", "install", "x"]],
        "kind": "install",
    }
    assert data[ev.OUTPUT] == {"stream": "stderr", "lines": ["one", "two é\t"]}
    assert data[ev.PROGRESS] == {"percent": 42.5, "text": "Unpacking x", "phase": "install"}
    assert data[ev.STEP_FINISHED] == {"exit_code": 100, "duration_s": 12.5, "ok": False}
    finished = data[ev.PLAN_FINISHED]
    assert finished["outcome"] == "failed" and finished["repair"] == ["dpkg", "--configure", "-a"]
    assert finished["broken_packages"] == [
        {"name": "nvidia-dkms-580", "state": "iF", "meaning": "half-configured"}
    ]


def _cases():
    """(event kind, what was done to its record) for every field of every kind."""
    for event in one_of_each():
        record = event.to_json()
        for key in record["data"]:
            yield event.kind, record, ("data", key)
        for key in ("step", "time"):
            yield event.kind, record, (key,)


def _renamed(record: dict, path: tuple[str, ...]) -> dict:
    damaged = copy.deepcopy(record)
    holder = damaged["data"] if path[0] == "data" else damaged
    key = path[-1]
    holder[key + "_renamed"] = holder.pop(key)
    return damaged


def _removed(record: dict, path: tuple[str, ...]) -> dict:
    damaged = copy.deepcopy(record)
    holder = damaged["data"] if path[0] == "data" else damaged
    del holder[path[-1]]
    return damaged


def _wrong_type(record: dict, path: tuple[str, ...]) -> dict:
    damaged = copy.deepcopy(record)
    holder = damaged["data"] if path[0] == "data" else damaged
    key = path[-1]
    holder[key] = {"not": "this"} if not isinstance(holder[key], dict) else 7
    return damaged


@pytest.mark.parametrize("damage", [_renamed, _removed, _wrong_type])
def test_a_renamed_missing_or_mistyped_field_raises_event_format_error(damage):
    checked = 0
    for kind, record, path in _cases():
        damaged = damage(record, path)
        with pytest.raises(ev.EventFormatError) as caught:
            ev.event_from_json(damaged)
        message = str(caught.value)
        assert kind in message and path[-1] in message, message
        assert "\n" not in message
        checked += 1
    assert checked == sum(len(e.to_json()["data"]) + 2 for e in one_of_each())


@pytest.mark.parametrize(
    "record, said",
    [
        ([1, 2], "not an event record"),
        (None, "not an event record"),
        ({"kind": "reboot", "step": None, "data": {}, "time": 1.0}, "unknown event kind"),
        ({"step": None, "data": {}, "time": 1.0}, "unknown event kind None"),
        (
            {"kind": "output", "step": "x", "data": {"stream": "a", "lines": ["b"]}, "time": True},
            "'time' must be a time",
        ),
        (
            {"kind": "output", "step": "x", "data": {"stream": "a", "lines": [1]}, "time": 1},
            "'lines' must be a list of strings",
        ),
        (
            {
                "kind": "plan-started",
                "step": None,
                "data": {"plan": {"steps": []}, "pid": 1, "host": "h"},
                "time": 1,
            },
            "'plan' is not a plan",
        ),
    ],
)
def test_records_that_are_no_event_at_all(record, said):
    with pytest.raises(ev.EventFormatError, match=said):
        ev.event_from_json(record)


def test_an_outcome_status_outside_the_three_is_refused():
    record = ev.PlanFinished(ev.Outcome(ev.DONE), AT).to_json()
    record["data"]["outcome"] = "succeeded"
    with pytest.raises(ev.EventFormatError, match="'outcome' must be done, failed or cancelled"):
        ev.event_from_json(record)
