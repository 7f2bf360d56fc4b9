"""A command started on this machine runs the program found on the PATH it is given."""

from __future__ import annotations

import os

import pytest

from nvwizard.host.local_command import LocalCommand


def _program(folder, name: str, says: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\necho {says}\n")
    script.chmod(0o755)


def test_the_passed_path_wins_over_the_callers(tmp_path, monkeypatch):
    # The sandbox's fake `shutdown` must run, never the real one on the caller's PATH.
    _program(tmp_path / "callers", "nvw-probe", "caller program")
    _program(tmp_path / "sandbox", "nvw-probe", "sandbox program")
    monkeypatch.setenv("PATH", f"{tmp_path / 'callers'}{os.pathsep}{os.environ['PATH']}")
    env = {"PATH": f"{tmp_path / 'sandbox'}{os.pathsep}/usr/bin:/bin"}

    command = LocalCommand(["nvw-probe"], env)
    lines = [line.text for line in command.lines()]

    assert command.wait() == 0
    assert lines == ["sandbox program"]


def test_a_program_missing_from_the_passed_path_is_not_found(tmp_path, monkeypatch):
    _program(tmp_path / "callers", "nvw-probe", "caller program")
    monkeypatch.setenv("PATH", f"{tmp_path / 'callers'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(FileNotFoundError):
        LocalCommand(["nvw-probe"], {"PATH": str(tmp_path / "empty")})


def test_a_path_with_a_slash_is_run_as_given(tmp_path):
    _program(tmp_path / "bin", "nvw-probe", "by its path")
    command = LocalCommand([str(tmp_path / "bin" / "nvw-probe")], {"PATH": "/nonexistent"})
    assert [line.text for line in command.lines()] == ["by its path"]
    assert command.wait() == 0


def test_lines_already_read_come_as_one_burst_and_a_lone_line_comes_at_once(tmp_path):
    """bursts() hands on what was read together, and never waits for more to arrive: the
    last line is printed only after the test has seen the first 200 (it creates the file the
    command waits for), so a reader that waited for more would see it time out."""
    go = tmp_path / "go"
    script = (
        "seq 1 200; i=0; "
        f"while [ ! -e {go} ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; "
        f"[ -e {go} ] && echo last || echo timed-out"
    )
    command = LocalCommand(["sh", "-c", script], {"PATH": os.environ["PATH"]})
    seen: list[str] = []
    bursts = 0
    for burst in command.bursts():
        bursts += 1
        seen += [line.text for line in burst]
        if len(seen) == 200:
            go.touch()
    assert command.wait() == 0
    assert seen == [str(n) for n in range(1, 201)] + ["last"]
    assert bursts < len(seen)  # lines read together were handed on together
