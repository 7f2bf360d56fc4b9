"""The state file and the journal are read only as regular files of a size nvwizard writes.

A state.json that is a symlink to /dev/zero or a FIFO, or whose "events" names one, once made
`status` and `logs` hang (and /dev/zero eat gigabytes). Each is now the one-line
damaged-file message. The commands run in a subprocess with a time limit: a hang fails.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from nvwizard.engine.journal import JournalError, follow, read_events
from nvwizard.engine.state import StateFileError, read_state, state_path
from nvwizard.host.record_files import RECORD_LIMIT, UnusableFile, read_capped
from tests.cli.run import nvwizard as run_nvwizard
from tests.engine.test_state import a_journal, a_state

LIMIT_S = 30  # a hang is what fails; this only bounds it


def nvwizard(*args: str) -> subprocess.CompletedProcess:
    return run_nvwizard(*args, timeout=LIMIT_S)


@pytest.fixture
def state_dir(places):
    state, _log = places
    state.mkdir(parents=True)
    return state


def make(kind: str, path) -> None:
    if kind == "a symlink to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "a FIFO":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/null")


NOT_REGULAR = ["a symlink to /dev/zero", "a FIFO", "a symlink to /dev/null"]


@pytest.mark.parametrize("kind", NOT_REGULAR)
def test_a_state_file_that_is_not_a_regular_file_is_damaged_not_read(state_dir, kind):
    make(kind, state_path(state_dir))
    said = {"a FIFO": "a FIFO"}.get(kind, "a character device")
    with pytest.raises(StateFileError, match=f"is damaged \\(not a regular file: {said}\\)"):
        read_state(state_dir)
    for argv in (["status"], ["status", "--json"]):
        result = nvwizard(*argv)
        assert result.returncode == 2 and result.stdout == "", result
        assert result.stderr.count("\n") == 1 and "not a regular file" in result.stderr
    logs = nvwizard("logs")  # warns, then has no log to show
    assert logs.returncode == 3 and "not a regular file" in logs.stderr


def test_a_state_file_larger_than_nvwizard_writes_is_damaged(state_dir):
    padded = json.dumps(a_state().to_json()) + " " * RECORD_LIMIT  # valid JSON, too big
    state_path(state_dir).write_text(padded)
    with pytest.raises(StateFileError, match="larger than 16 MiB"):
        read_state(state_dir)


@pytest.mark.parametrize("kind", NOT_REGULAR)
def test_a_journal_that_is_not_a_regular_file_is_damaged_not_read(state_dir, tmp_path, kind):
    journal = tmp_path / "apply-2.jsonl"
    make(kind, journal)
    with pytest.raises(JournalError, match="is damaged \\(not a regular file"):
        read_events(journal)
    with pytest.raises(JournalError, match="is damaged \\(not a regular file"):
        next(follow(journal, poll_s=0.01))
    state_path(state_dir).write_text(json.dumps(a_state().to_json() | {"events": str(journal)}))
    status = nvwizard("status")
    assert status.returncode == 0, status.stderr
    assert f"progress unknown: the apply journal {journal} is damaged (not a regular" in (
        status.stdout
    )
    for argv in (["logs"], ["logs", "-f"]):
        result = nvwizard(*argv)
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1 and "not a regular file" in result.stderr


def test_a_journal_line_longer_than_nvwizard_writes_is_damage(tmp_path):
    journal = a_journal(tmp_path)
    lines = journal.read_bytes().splitlines(keepends=True)
    huge = b'{"kind": "output", "data": "' + b"x" * RECORD_LIMIT + b'"}\n'
    journal.write_bytes(b"".join([*lines[:5], huge, lines[5]]))  # before plan-finished
    said = "damaged at line 6 \\(a line longer than 16 MiB\\)"
    with pytest.raises(JournalError, match=said):
        read_events(journal)
    events = follow(journal, poll_s=0.01)
    assert len([next(events) for _ in range(5)]) == 5  # the good ones first
    with pytest.raises(JournalError, match=said):
        next(events)


def test_a_directory_is_still_cannot_read_and_a_small_file_reads_whole(tmp_path):
    with pytest.raises(IsADirectoryError):
        read_capped(tmp_path)
    (tmp_path / "f").write_bytes(b"12345")
    assert read_capped(tmp_path / "f", limit=5) == b"12345"
    with pytest.raises(UnusableFile, match="larger than 4 bytes"):
        read_capped(tmp_path / "f", limit=4)
