"""The state file: written whole, read back typed; anything else is one line, never trusted."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from nvwizard.cli.main import main
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


def test_the_plan_s_install_options_are_recorded_and_older_files_have_none(tmp_path):
    """`status`'s install again carries them (engine/attach.py); a file written before they
    were recorded still reads, with none."""
    options = ["--hold", "--cuda", "12.8"]
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=options)
    record = ApplyRecord.of_plan_started(ev.PlanStarted(plan, 1, "x", 1.0), "/l/a", "/l/b")
    write_state(RecordedState(apply=record), tmp_path)
    assert read_state(tmp_path).apply.install_options == tuple(options)
    old = a_state().to_json()
    del old["install_options"]
    state_path(tmp_path).write_text(json.dumps(old))
    assert read_state(tmp_path).apply == a_state().apply
    assert a_state().apply.install_options == ()
    state_path(tmp_path).write_text(json.dumps(old | {"install_options": "--hold"}))
    with pytest.raises(StateFileError, match="'install_options' must be a list of strings"):
        read_state(tmp_path)


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


# -- fuzz: random JSON shapes and truncations read into a valid state or one StateFileError, -
# -- and `status`, `status --json` and `logs` say the same in one line, never a traceback ------

# Numbers JSON (and Python's reader) allows that nvwizard never writes: each once crashed
# `status` or `logs` (OverflowError, ValueError) or made `status --json` print NaN.
ODD_NUMBERS = [1e300, -1e300, float("nan"), float("inf"), 2**70, -(2**70), -1, 1e-300]


def _random_json(rng: random.Random, depth: int = 0):
    choices = ["null", "bool", "int", "float", "odd", "str", "list", "dict"]
    kind = rng.choice(choices if depth < 4 else choices[:6])
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.randint(-5, 5000)
    if kind == "float":
        return rng.uniform(-1e3, 1e10)
    if kind == "odd":
        return rng.choice(ODD_NUMBERS)
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


def _no_constant(name: str):
    raise AssertionError(f"`status --json` printed {name}, which is not JSON")


def _renders_in_one_line(capsys) -> None:
    """`status`, `status --json` and `logs` on the file as it is: each ends with its documented
    exit code and at most one line per problem on stderr, never an exception (main() lets a
    traceback's exception through, which fails the test); the JSON is JSON."""
    for argv in (["status"], ["status", "--json"], ["logs"]):
        try:
            code = main(argv)
        except SystemExit as leaving:
            code = leaving.code
        out, err = capsys.readouterr()
        problems = err.strip().splitlines()
        assert code in (0, 2, 3), (argv, code, err)
        assert all(line.startswith("nvwizard: ") for line in problems), (argv, err)
        assert len(problems) <= (2 if argv == ["logs"] else 1), (argv, err)  # + the warning
        if argv == ["status", "--json"] and code == 0:
            json.loads(out, parse_constant=_no_constant)


def _check_one(tmp_path, content: bytes, capsys) -> str:
    state_path(tmp_path).write_bytes(content)
    _renders_in_one_line(capsys)
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


def a_journal(tmp_path) -> Path:
    """The journal of a_state()'s apply, as the Journal listener writes it."""
    from nvwizard.engine.journal import event_json_line

    plan = install_plan("nvidia-driver-580-server")
    events = [
        ev.PlanStarted(plan, 4242, "this machine", 10.0),
        ev.StepStarted("install", "Install", (("apt-get", "install"),), "apt", 11.0),
        ev.StepOutput("install", "stdout", ("Setting up nvidia-driver-580-server",), 12.0),
        ev.StepProgress("install", 50.0, "Installing", "install", 13.0),
        ev.StepFinished("install", 100, 8.5, False, 19.0),
        ev.PlanFinished(ev.Outcome(ev.FAILED, failed_step="install", repair=("dpkg", "-a")), 20.0),
    ]
    path = tmp_path / "log" / "apply-1.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(event_json_line(e) for e in events), encoding="utf-8")
    return path


@pytest.fixture
def journal_places(tmp_path, monkeypatch):
    """The state file in tmp_path, naming a real journal in tmp_path/log: its good JSON."""
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(tmp_path / "log"))
    journal = a_journal(tmp_path)
    good = a_state().to_json()
    good.update(events=str(journal), log=str(journal.with_suffix(".log")))
    return good, journal


def test_fuzzed_state_files_read_valid_or_raise_the_one_documented_error(
    tmp_path, journal_places, capsys
):
    rng = random.Random(20261207)
    good = json.dumps(journal_places[0], indent=2).encode()
    seen = {"valid": 0, "damaged": 0}

    def check(content: bytes) -> None:
        seen[_check_one(tmp_path, content, capsys)] += 1

    for _ in range(300):  # random shapes
        check(json.dumps(_random_json(rng)).encode())
    for _ in range(300):  # the real file with one value changed, dropped or added
        check(json.dumps(_mutate(rng, json.loads(good))).encode())
    for cut in range(0, len(good), 7):  # truncated anywhere, as a crash could leave it
        check(good[:cut])
    for _ in range(100):  # random bytes flipped
        damaged = bytearray(good)
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        check(bytes(damaged))
    assert seen["valid"] > 5 and seen["damaged"] > 500, seen


def test_fuzzed_journals_render_in_one_line(tmp_path, journal_places, capsys):
    """One record of the journal the state names changed, dropped or added: `status` and
    `logs` show what they can and say where it is damaged, in one line."""
    good, journal = journal_places
    state_path(tmp_path).write_text(json.dumps(good))
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    rng = random.Random(20261208)
    for _ in range(150):
        index = rng.randrange(len(records))
        changed = [*records[:index], _mutate(rng, records[index]), *records[index + 1 :]]
        journal.write_text("".join(json.dumps(r) + "\n" for r in changed))
        _renders_in_one_line(capsys)


@pytest.mark.parametrize("where", [("finished",), ("started",), ("verify", "at")])
@pytest.mark.parametrize("value", ODD_NUMBERS[:6])
def test_a_time_out_of_range_is_damage_not_a_crash(tmp_path, journal_places, capsys, where, value):
    damaged = journal_places[0]
    holder = damaged
    for key in where[:-1]:
        holder = holder[key]
    holder[where[-1]] = value
    state_path(tmp_path).write_text(json.dumps(damaged))
    with pytest.raises(StateFileError, match=f"'{where[-1]}' must be a time"):
        read_state(tmp_path)
    assert main(["status"]) == 2 and main(["status", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("is damaged") == 2 and len(err.splitlines()) == 2


@pytest.mark.parametrize("value", [1180591620717411303424, 1e300, -5, float("nan")])
def test_a_journal_time_out_of_range_is_damage_not_a_crash(tmp_path, journal_places, capsys, value):
    good, journal = journal_places
    state_path(tmp_path).write_text(json.dumps(good))
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    records[2]["time"] = value  # an output line
    journal.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["logs"]) == 2
    out, err = capsys.readouterr()
    assert f"the apply journal {journal} is damaged at line 3" in err
    assert "'time' must be a time" in err and len(err.splitlines()) == 1
    assert main(["status", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out, parse_constant=_no_constant)
    assert "damaged at line 3" in shown["progress_problem"]


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
