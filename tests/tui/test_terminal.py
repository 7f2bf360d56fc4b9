"""The real terminal path: SIGTERM and SIGHUP end the wizard and restore the terminal."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time

import pytest

ALT_SCREEN_OFF = b"\x1b[?1049l"
CURSOR_ON = b"\x1b[?25h"


def read_until(fd: int, needle: bytes, deadline: float) -> bytes:
    data = b""
    while needle not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_wizard_and_restores_the_terminal(signum):
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the wizard on a demo machine, in a real pseudo-terminal
        os.execvpe(sys.executable, [sys.executable, "-m", "nvwizard", "--demo"], env)
    deadline = time.monotonic() + 60  # a generous bound, not a timing assertion
    try:
        shown = read_until(fd, b"Detected", deadline)
        assert b"Detected" in shown, shown[-500:]
        os.kill(pid, signum)
        rest = read_until(fd, b"\x00never", deadline)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.WIFEXITED(status), status
    assert os.WEXITSTATUS(status) == 128 + signum
    assert ALT_SCREEN_OFF in rest and CURSOR_ON in rest
