"""The state file: written whole, read back typed; anything else is one line, never trusted."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from nvwizard.engine import events as ev
from nvwizard.engine.state import (
    ApplyRecord,
    RecordedState,
    StateFileError,
    VerifyCheck,
    VerifyResult,
    read_state,
    state_path,
    write_state,
)
from tests.detach.helpers import install_plan


def a_state() -> RecordedState:
    started = ev.PlanStarted(install_plan("nvidia-driver-580-server"), 4242, "this machine", 10.0)
    record = ApplyRecord.of_plan_started(started, "/l/apply-1.log", "/l/apply-1.jsonl")
    record = record.with_step("install", "done").finished_with(
        ev.PlanFinished(ev.Outcome(ev.FAILED, failed_step="install", repair=("dpkg", "-a")), 20.0)
    )
    checks = [VerifyCheck("module-loaded", True, "loaded"), VerifyCheck("nouveau", False, "x", "y")]
    return RecordedState(
        apply=record,
        reboot_scheduled=True,
        verify_pending=True,
        verify=VerifyResult(checks, host="this machine", at=30.0),
    )


def test_the_state_round_trips_through_the_file(tmp_path):
    state = a_state()
    write_state(state, tmp_path)
    assert read_state(tmp_path) == state
    assert not list(tmp_path.glob(".state.json.*"))  # no temp file left behind


def test_state_is_replaced_atomically(tmp_path):
    write_state(RecordedState(verify_pending=True), tmp_path)
    first = state_path(tmp_path).stat().st_ino
    write_state(RecordedState(), tmp_path)
    assert state_path(tmp_path).stat().st_ino != first  # a new file renamed over the old
    assert read_state(tmp_path) == RecordedState()


def test_no_file_is_an_empty_state(tmp_path):
    assert read_state(tmp_path) == RecordedState()
    assert read_state(tmp_path).apply is None


def test_a_verify_alone_is_a_state_without_an_apply(tmp_path):
    only_verify = {"verify": a_state().verify.to_json(), "verify_pending": True}
    state_path(tmp_path).write_text(json.dumps(only_verify))
    state = read_state(tmp_path)
    assert state.apply is None and state.verify == a_state().verify and state.verify_pending


def test_files_written_before_the_machine_keys_existed_still_read(tmp_path):
    old = a_state().apply.to_json() | {"reboot_scheduled": False, "verify_pending": True}
    state_path(tmp_path).write_text(json.dumps(old))  # no "verify" key at all
    state = read_state(tmp_path)
    assert state.apply == a_state().apply and state.verify is None


def test_files_written_before_the_purpose_existed_are_installs(tmp_path):
    old = a_state().to_json()
    del old["purpose"]
    state_path(tmp_path).write_text(json.dumps(old))
    assert read_state(tmp_path).apply.purpose == "install"


def test_an_activation_records_its_purpose(tmp_path):
    plan = replace(install_plan("nvidia-driver-580-server"), purpose="activate")
    started = ev.PlanStarted(plan, 4242, "this machine", 10.0)
    record = ApplyRecord.of_plan_started(started, "/l/a.log", "/l/a.jsonl")
    write_state(RecordedState(apply=record), tmp_path)
    assert read_state(tmp_path).apply.purpose == "activate"
    state_path(tmp_path).write_text(json.dumps(record.to_json() | {"purpose": "reinstall"}))
    with pytest.raises(StateFileError, match="'purpose' must be one of"):
        read_state(tmp_path)


@pytest.mark.parametrize(
    "content, said",
    [
        ("[1,2]", "(expected a JSON object, found [1, 2])"),
        ('{"finished":"y"}', "(the last apply: missing 'branch', 'driver', "),
        ('{"events":7}', "(the last apply: missing 'branch', 'driver', "),
        ("", "not JSON"),
        ('{"outcome": "done", "driv', "not JSON"),
        ('{"verify_pending": "yes"}', "'verify_pending' must be true or false, not 'yes'"),
        ('{"surprise": 1}', "(unexpected 'surprise')"),
        ('{"verify": {"ok": true}}', "verify: missing 'at', 'checks', 'host'"),
    ],
)
def test_a_damaged_file_is_one_line_saying_where_and_what_to_do(tmp_path, content, said):
    path = state_path(tmp_path)
    path.write_text(content)
    with pytest.raises(StateFileError) as caught:
        read_state(tmp_path)
    message = str(caught.value)
    assert "\n" not in message and caught.value.exit_code == 2
    assert said in message
    assert f"the state file {path} is damaged" in message
    assert f"`mv {path} {path}.damaged`" in message


def test_a_wrong_type_deep_inside_is_damage_too(tmp_path):
    good = a_state().to_json()
    for where, value in [
        (("steps",), {"install": "maybe"}),
        (("planned",), [{"id": 1, "title": "x"}]),
        (("pid",), "4242"),
        (("pid",), True),
        (("branch",), 580.5),
        (("repair",), "dpkg --configure -a"),
        (("verify", "checks"), [{"name": "x", "ok": 1, "detail": "d", "fix": None}]),
        (("verify", "ok"), True),  # disagrees with its checks (one failed)
    ]:
        damaged = json.loads(json.dumps(good))
        holder = damaged
        for key in where[:-1]:
            holder = holder[key]
        holder[where[-1]] = value
        state_path(tmp_path).write_text(json.dumps(damaged))
        with pytest.raises(StateFileError):
            read_state(tmp_path)


def test_an_unreadable_file_is_one_line(tmp_path):
    state_path(tmp_path).mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(StateFileError, match="cannot read the state file .*state.json"):
        read_state(tmp_path)
    state_path(tmp_path).rmdir()
    state_path(tmp_path).write_bytes(b'{"verify_pending": "\xff"}')
    with pytest.raises(StateFileError, match="not UTF-8"):
        read_state(tmp_path)


# -- fuzz: random JSON shapes and truncations read into a valid state or one StateFileError ---


def _random_json(rng: random.Random, depth: int = 0):
    choices = ["null", "bool", "int", "float", "str", "list", "dict"]
    kind = rng.choice(choices if depth < 4 else choices[:5])
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.randint(-5, 5000)
    if kind == "float":
        return rng.uniform(-1e3, 1e10)
    if kind == "str":
        return rng.choice(["", "done", "running", "pending", "x" * rng.randint(1, 40), "é"])
    if kind == "list":
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {_random_key(rng): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _random_key(rng: random.Random) -> str:
    known = list(a_state().to_json()) + ["checks", "ok", "at", "host", "name", "detail", "fix"]
    return rng.choice(known + ["", "other"])


def _mutate(rng: random.Random, obj):
    """The good state with one value somewhere replaced, dropped or added."""
    if isinstance(obj, dict) and obj and rng.random() < 0.8:
        key = rng.choice(list(obj))
        roll = rng.random()
        if roll < 0.2:
            return {k: v for k, v in obj.items() if k != key}
        if roll < 0.3:
            return {**obj, _random_key(rng): _random_json(rng)}
        return {**obj, key: _mutate(rng, obj[key])}
    if isinstance(obj, list) and obj and rng.random() < 0.7:
        index = rng.randrange(len(obj))
        return obj[:index] + [_mutate(rng, obj[index])] + obj[index + 1 :]
    return _random_json(rng)


def _check_one(tmp_path, content: bytes) -> str:
    state_path(tmp_path).write_bytes(content)
    try:
        state = read_state(tmp_path)
    except StateFileError as error:
        message = str(error)
        assert "\n" not in message and ("is damaged" in message or "cannot read" in message)
        return "damaged"
    assert isinstance(state, RecordedState)
    write_state(state, tmp_path)  # what was accepted is a state nvwizard itself writes
    assert read_state(tmp_path) == state
    return "valid"


def test_fuzzed_state_files_read_valid_or_raise_the_one_documented_error(tmp_path):
    rng = random.Random(20261207)
    good = json.dumps(a_state().to_json(), indent=2).encode()
    seen = {"valid": 0, "damaged": 0}
    for _ in range(300):  # random shapes
        seen[_check_one(tmp_path, json.dumps(_random_json(rng)).encode())] += 1
    for _ in range(300):  # the real file with one value changed, dropped or added
        seen[_check_one(tmp_path, json.dumps(_mutate(rng, json.loads(good))).encode())] += 1
    for cut in range(0, len(good), 7):  # truncated anywhere, as a crash could leave it
        seen[_check_one(tmp_path, good[:cut])] += 1
    for _ in range(100):  # random bytes flipped
        damaged = bytearray(good)
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        seen[_check_one(tmp_path, bytes(damaged))] += 1
    assert seen["valid"] > 5 and seen["damaged"] > 500, seen


def test_the_journal_listener_never_reads_the_state_it_replaces(tmp_path):
    """A new apply starts a fresh state: an old damaged file is replaced, not trusted."""
    from nvwizard.engine.journal import Journal

    state_path(tmp_path / "state").parent.mkdir(parents=True)
    state_path(tmp_path / "state").write_text("[1,2]")
    with Journal(tmp_path / "log", tmp_path / "state") as journal:
        journal(ev.PlanStarted(install_plan("nvidia-driver-580-server"), 1, "this machine"))
    state = read_state(tmp_path / "state")
    assert state.apply.driver == "nvidia-driver-580-server"
    assert replace(state, apply=None) == RecordedState()
