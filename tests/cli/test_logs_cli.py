"""`nvwizard logs [-f]`: the running or last apply's log."""

from __future__ import annotations

from pathlib import Path

from tests.cli.run import nvwizard
from tests.detach.journal_fixtures import write_journal

REPO_ROOT = Path(__file__).resolve().parents[2]


def logs(*args: str):
    return nvwizard("logs", *args)


def test_prints_the_last_apply(places):
    state, log = places
    write_journal(log, state)
    result = logs()
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].endswith("apply started on this machine: nvidia-driver-580-server (pid 4242)")
    untimed = [line.split(" ", 1)[1] if line[:2].isdigit() else line for line in lines]
    assert "== Install the driver [install]" in untimed
    assert "    $ apt-get install" in untimed
    assert "Setting up nvidia-dkms-580-server ..." in untimed
    assert "-- install: ok in 1.0 s" in untimed
    assert lines[-1].endswith(" apply done")


def test_the_newest_apply_wins(places):
    state, log = places
    write_journal(log, state, outcome="failed")
    write_journal(log, state)
    assert logs().stdout.splitlines()[-1].endswith(" apply done")


def test_follow_on_a_finished_apply_prints_it_and_ends(places):
    state, log = places
    write_journal(log, state, outcome="failed")
    result = logs("-f")
    assert result.returncode == 0
    assert " apply failed" in result.stdout


def test_follow_ends_when_the_worker_died_mid_apply(places):
    state, log = places
    write_journal(log, state, upto="install-running")
    result = logs("-f")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "Setting up nvidia-dkms-580-server ..."


def test_no_log_yet(places):
    """Exit 3 (refused: nothing to show), not 1, which means that a step of an apply failed."""
    result = logs()
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == "nvwizard: no apply log on this machine yet\n"


def test_no_log_yet_when_following(places):
    result = logs("-f")
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == "nvwizard: no apply log on this machine yet\n"
