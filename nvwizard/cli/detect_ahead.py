"""Detect a demo or bundle machine in a child process while the wizard imports Textual.

Why: the wizard's first frame shows the detection result. Before this, one process did it all
in a row: import Textual (~140 ms of CPU, as much as a bare Textual app's whole start-up), then
the model and detection modules (~45 ms), detect (~25 ms), then draw. The two middle steps do
not need Textual, and servers have more than one core: a child forked before Textual is
imported does them on a second core while the parent imports Textual, and sends back what the
Detect screen will show (a `DetectView`, as JSON). The parent then draws its first frame from
that view, and builds its own state (host, layers, detection, as without the child) right
after it (tui/detected_ahead.py): the result is on screen sooner, the wizard acts on keys
about as soon as before (issue 12; `python -m benchmarks --only startup`).

The child runs the Detect screen's own code (`DetectController.detect_view`), never writes to
the terminal (stdout and stderr go to /dev/null) and leaves with `os._exit`, running nothing
of its parent's at exit. This machine (no --demo or --machine) is never forked for: its
detection runs commands for seconds, in a worker thread with a progress line. Whatever goes
wrong in the child (an error, a crash, a signal, no answer in time, no `os.fork` on this
platform) makes `view()` answer None, and the wizard starts as it did without the child: a bad
--machine or --demo then gets the same one-line error and exit code as ever, from the parent.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
from typing import NoReturn

from nvwizard.tui.controllers.detect import DetectController, DetectView
from nvwizard.tui.controllers.lines import Line

ANSWER_TIMEOUT_S = 10.0  # a bundle's files are read in milliseconds; never wait forever


class DetectingAhead:
    """A child detecting the machine; `view()` waits for its answer and reaps it."""

    def __init__(self, pid: int, answer_fd: int) -> None:
        self.pid = pid
        self.answer_fd = answer_fd

    def view(self, timeout_s: float = ANSWER_TIMEOUT_S) -> DetectView | None:
        """What the child detected, or None when it failed in any way."""
        answer = None
        try:
            answer = _read_until_closed(self.answer_fd, timeout_s)
        finally:  # also on Ctrl+C: no zombie left behind
            os.close(self.answer_fd)
            exited_well = _reap(self.pid, answered=answer is not None)
        if answer is None or not exited_well:
            return None
        try:
            return view_from_plain(json.loads(answer))
        except (ValueError, TypeError, KeyError):
            return None


def start(machine: str | None, demo: str | None) -> DetectingAhead | None:
    """Fork a child detecting the --machine bundle or --demo machine; None for this machine
    (or where nothing can be forked)."""
    if (machine is None and demo is None) or not hasattr(os, "fork"):
        return None
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:
        _child(read_fd, write_fd, machine, demo)
    os.close(write_fd)
    return DetectingAhead(pid, read_fd)


def _child(read_fd: int, write_fd: int, machine: str | None, demo: str | None) -> NoReturn:
    code = 1
    try:
        os.close(read_fd)
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        answer = json.dumps(plain_view(detect_view(machine, demo))).encode()
        while answer:
            answer = answer[os.write(write_fd, answer) :]
        code = 0
    except BaseException:  # noqa: BLE001  (Ctrl+C too: the parent starts without the child)
        pass
    finally:
        os._exit(code)


def detect_view(machine: str | None, demo: str | None) -> DetectView:
    """What the Detect screen shows of this machine: its own code, run here."""
    # lazy: the model and detection modules, the child's work (the parent's after its frame)
    from nvwizard.simulator import select as machines
    from nvwizard.tui.backend import LayersBackend
    from nvwizard.tui.state import WizardState

    state = WizardState(host=machines.host_from_args(machine, demo))
    return DetectController(state, LayersBackend()).detect_view(lambda _message: None)


def plain_view(view: DetectView) -> dict[str, object]:
    """`view` in plain builtins, for JSON."""
    fields = dict(vars(view))
    fields["summary"] = [[line.text, line.tone, line.hang] for line in view.summary]
    return fields


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "banner": (str, type(None)),
    "progress": (str,),
    "hint": (str,),
    "failed": (bool,),
    "next_step": (str, type(None)),
    "offers_demo": (bool,),
    "offers_verify": (bool,),
}


def view_from_plain(fields: dict[str, object]) -> DetectView:
    """The view `plain_view` wrote; TypeError, ValueError or KeyError when it is not one."""
    for name, types in _FIELD_TYPES.items():
        if not isinstance(fields[name], types):
            raise TypeError(f"{name}: {type(fields[name]).__name__}")
    summary = fields["summary"]
    if not isinstance(summary, list):
        raise TypeError("summary: not a list")
    lines = tuple(Line(text, tone, hang) for text, tone, hang in summary)
    if not all(isinstance(line.text, str) and isinstance(line.tone, str) for line in lines):
        raise TypeError("summary: not text lines")
    return DetectView(**{**fields, "summary": lines})  # type: ignore[arg-type]


def _read_until_closed(fd: int, timeout_s: float) -> bytes | None:
    """Everything written to `fd` until its writer closed it; None after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    readable = select.poll()
    readable.register(fd, select.POLLIN)
    chunks: list[bytes] = []
    while True:
        left_ms = (deadline - time.monotonic()) * 1000
        if left_ms <= 0 or not readable.poll(left_ms):
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int, answered: bool) -> bool:
    """Wait for the child, which has closed its end when it `answered` (it is leaving), else
    kill it first; True when it exited with 0."""
    try:
        if not answered:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        return False
    return os.waitstatus_to_exitcode(status) == 0
