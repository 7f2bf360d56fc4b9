"""The wizard draws a full screen: a dumb terminal or a pipe gets one line, exit 3, and no
escape codes (it once drew the whole app into TERM=dumb)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nvwizard.cli.wizard_cmd import refuse_unless_full_screen
from nvwizard.errors import EXIT_REFUSED, RefusedError


def _wizard(env_term: str | None, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TERM"}
    if env_term is not None:
        env["TERM"] = env_term
    return subprocess.run(
        [sys.executable, "-m", "nvwizard", "--demo"],
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("term", "said"), [("dumb", "TERM=dumb"), (None, "TERM is not set")])
def test_a_dumb_terminal_gets_one_line_and_no_screen(term, said):
    done = _wizard(term)
    assert done.returncode == EXIT_REFUSED
    assert done.stdout == ""  # nothing drawn
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and said in lines[0] and "nvwizard detect" in lines[0]


def test_output_into_a_pipe_gets_one_line():
    done = _wizard("xterm-256color")  # stdin /dev/null, stdout a pipe
    assert done.returncode == EXIT_REFUSED
    assert done.stdout == ""
    assert "is not a terminal" in done.stderr and "\x1b" not in done.stderr


@pytest.mark.parametrize(
    ("stdin_tty", "stdout_tty", "which"), [(False, True, "input"), (True, False, "output")]
)
def test_which_side_is_not_a_terminal_is_named(stdin_tty, stdout_tty, which):
    with pytest.raises(RefusedError, match=f"wizard's {which} is not a terminal"):
        refuse_unless_full_screen({"TERM": "xterm"}, stdin_tty, stdout_tty)


def test_a_real_terminal_is_accepted():
    assert refuse_unless_full_screen({"TERM": "screen-256color"}, True, True) is None
