"""The record of every apply: a human log, a JSON-lines event log, and the state file.

A `Journal` is an engine listener. Each apply gets `<log dir>/apply-<stamp>.log` (what a person
reads) and `apply-<stamp>.jsonl` (one event per line: what a reattaching front end replays and
follows), and rewrites `<state dir>/state.json` (engine/state.py) atomically at each step, so
a reader never sees half a file and a crash leaves the last complete state.

Readers (`read_events`, `follow`) give typed events (engine/events.py); a line that is not one
raises `JournalError`, one line naming the file, the line and what is wrong. A torn last line
is not damage: the writer is still writing it.

Output and progress lines are flushed to disk in batches, at most `FLUSH_WINDOW_S` after they
are written (a flood of DKMS output would otherwise cost two flushes per line); every other
event is flushed at once, after the state file. A follower therefore sees each line within
that window, and a crash loses at most that window of output.

Where: `engine.paths` (NVWIZARD_LOG_DIR / NVWIZARD_STATE_DIR override). A demo or bundle
host never writes into the real places: its state goes to NVWIZARD_STATE_DIR, its logs to
NVWIZARD_LOG_DIR or else next to that state; what neither names goes to a temporary
directory, removed when the process ends. A journal that cannot be written is
refused before the apply starts (`check_can_journal`, `check_writable`: PlaceError, one line).
"""

from __future__ import annotations

import atexit
import json
import os
import shlex
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from json.encoder import encode_basestring
from pathlib import Path
from typing import BinaryIO

from nvwizard.engine import events as ev
from nvwizard.engine import paths
from nvwizard.engine.progress import DONE, FAILED, RUNNING
from nvwizard.engine.state import ApplyRecord, RecordedState, write_state
from nvwizard.errors import EXIT_USAGE, NvwizardError
from nvwizard.host.base import Host
from nvwizard.host.bundle_advice import bundle_dir
from nvwizard.host.demo import demo_name
from nvwizard.host.record_files import RECORD_LIMIT, UnusableFile, line_too_long, open_regular

EVENTS_GLOB = "apply-*.jsonl"
FLUSH_WINDOW_S = 0.05  # the longest an output line waits in memory before it is on disk
# One encoder for every event: `json.dumps(..., ensure_ascii=False)` builds a new one per call.
_EVENT_ENCODER = json.JSONEncoder(ensure_ascii=False)


class JournalError(NvwizardError):
    """A line of a JSON-lines journal is not an event nvwizard writes (exit code 2)."""

    exit_code = EXIT_USAGE

    def __init__(self, path: str | Path, number: int | None, reason: str):
        human_log = Path(path).with_suffix(".log")
        if number is None:  # not a file nvwizard wrote at all (host/record_files.py)
            super().__init__(f"the apply journal {path} is damaged ({reason}); not read")
            return
        super().__init__(
            f"the apply journal {path} is damaged at line {number} ({reason}); nvwizard does "
            f"not replay it past there: read the human log {human_log}"
        )


def event_json_line(event: ev.Event) -> str:
    """One event as a line of the JSON-lines log (the same JSON as `event.to_json()`)."""
    if type(event) is ev.StepOutput:
        # Output is nearly every event of a flood: the encoder's exact JSON, written directly
        # (about 3x faster than the general encoder).
        step, stream = encode_basestring(event.step), encode_basestring(event.stream)
        lines = ", ".join(map(encode_basestring, event.lines))
        return (
            f'{{"kind": "output", "step": {step}, "data": {{"stream": {stream}, '
            f'"lines": [{lines}]}}, "time": {event.time!r}}}\n'
        )
    return _EVENT_ENCODER.encode(event.to_json()) + "\n"


DEMO_LOG_FOLDER = "log"  # a demo's or bundle's logs, in NVWIZARD_STATE_DIR when no log dir is set


def journal_places(host: Host) -> tuple[Path | None, Path | None]:
    """(log dir, state dir) for an apply on this host; None for one that is temporary.

    A demo or bundle never writes into the real places. Its state goes where
    NVWIZARD_STATE_DIR says, its logs where NVWIZARD_LOG_DIR says, else next to that state
    (`$NVWIZARD_STATE_DIR/log`): the apply recorded there (what `status` and `logs` read)
    names its log, which must outlive the command as the record does. What neither variable
    names is a temporary directory (`journal_dirs_for`)."""
    if host.is_real:
        return paths.log_dir(), paths.state_dir()
    log, state = os.environ.get(paths.LOG_SETTING), os.environ.get(paths.STATE_SETTING)
    if not log and state:
        log = os.path.join(state, DEMO_LOG_FOLDER)
    return Path(log) if log else None, Path(state) if state else None


def journal_dirs_for(host: Host) -> tuple[Path, Path]:
    """(log dir, state dir) for an apply on this host (see `journal_places`): a temporary one
    is made now, and removed when the process ends."""
    log, state = journal_places(host)
    if log is not None and state is not None:
        return log, state
    scratch = Path(tempfile.mkdtemp(prefix=f"nvwizard-{host.kind}-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return log or scratch / "log", state or scratch / "state"


def check_writable(log_dir: Path, state_dir: Path) -> None:
    """PlaceError (one line, exit 2) unless an apply could write its journal there."""
    paths.check_writable(log_dir, paths.LOG_SETTING)
    paths.check_writable(state_dir, paths.STATE_SETTING)


def check_can_journal(host: Host) -> None:
    """What a front end calls before it offers or starts an apply on `host`: PlaceError (one
    line, exit 2) when the apply could not write its journal and state file, so nothing
    starts that would stop at its first line. Creates nothing."""
    log, state = journal_places(host)
    if log is not None:
        paths.check_writable(log, paths.LOG_SETTING)
    if state is not None:
        paths.check_writable(state, paths.STATE_SETTING)


def keeps_its_log(host: Host) -> bool:
    """Whether an apply's log on `host` outlives this process (see journal_dirs_for)."""
    return journal_places(host)[0] is not None


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%H:%M:%S")


class Journal:
    """Listener that writes the logs and the state file. Use as a context manager or close()."""

    def __init__(self, log_dir: Path, state_dir: Path):
        self.log_dir = Path(log_dir)
        self.state_dir = Path(state_dir)
        check_writable(self.log_dir, self.state_dir)  # one line, not an OSError halfway
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        stamp = _stamp()
        self.log_path = self.log_dir / f"apply-{stamp}.log"
        self.events_path = self.log_dir / f"apply-{stamp}.jsonl"
        # A name that is not UTF-8 (a bundle's folder, held as surrogates) is written as its
        # escape, `\udcff`: the log stays UTF-8, and inside a JSON string the escape is JSON's
        # own, so the event reads back as it was.
        self._log = self.log_path.open("a", encoding="utf-8", errors="backslashreplace")
        self._events = self.events_path.open("a", encoding="utf-8", errors="backslashreplace")
        self.state = RecordedState()  # this apply's, rewritten at each step
        self._keeps_driver = False  # the started plan only adds beside the running driver
        # The engine's thread writes; the flusher thread flushes batched lines. One lock
        # keeps a flush from interleaving with a half-written pair of lines.
        self._lock = threading.Lock()
        self._unflushed = False
        self._closed = False
        self._wake_flusher = threading.Event()
        self._flusher: threading.Thread | None = None

    @classmethod
    def for_host(cls, host: Host) -> Journal:
        return cls(*journal_dirs_for(host))

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._log.close()  # closing flushes
            self._events.close()
        self._wake_flusher.set()  # lets the flusher thread see `_closed` and end

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the listener ---------------------------------------------------------------------

    def __call__(self, event: ev.Event) -> None:
        line = event_json_line(event)
        if type(event) is ev.StepOutput:
            self._write_batched(line, "\n".join(event.lines) + "\n" if event.lines else "")
        elif type(event) is ev.StepProgress:
            self._write_batched(line, "")  # the percentages live in the event log alone
        else:
            self._write_now(event, line)

    def _write_now(self, event: ev.Event, line: str) -> None:
        # State and human log first: a follower that sees an event in the JSON-lines log can
        # rely on the state file already saying the same.
        with self._lock:
            self._update_state(event)
            text = human_text(event, self.state.apply.host if self.state.apply else None)
            if text is not None:
                self._log.write(text + "\n")
            self._log.flush()
            self._events.write(line)
            self._events.flush()
            self._unflushed = False

    def _write_batched(self, line: str, human: str) -> None:
        with self._lock:
            if human:
                self._log.write(human)
            self._events.write(line)
            if not self._unflushed:
                self._unflushed = True
                self._start_flusher()
                self._wake_flusher.set()

    def _start_flusher(self) -> None:
        if self._flusher is None:
            self._flusher = threading.Thread(
                target=self._flush_batches, name="journal-flusher", daemon=True
            )
            self._flusher.start()

    def _flush_batches(self) -> None:
        """Flusher thread: FLUSH_WINDOW_S after the first unflushed line, flush both files."""
        while True:
            self._wake_flusher.wait()
            if self._closed:
                return
            time.sleep(FLUSH_WINDOW_S)
            with self._lock:
                self._wake_flusher.clear()
                if self._closed:
                    return
                if self._unflushed:
                    self._log.flush()
                    self._events.flush()
                    self._unflushed = False

    def _update_state(self, event: ev.Event) -> None:
        state, apply = self.state, self.state.apply
        if isinstance(event, ev.PlanStarted):
            record = ApplyRecord.of_plan_started(event, self.log_path, self.events_path)
            self.state = RecordedState(apply=record)
            self._keeps_driver = event.plan.keeps_driver
        elif apply is None:
            return  # no plan has started: nothing to record
        elif isinstance(event, ev.StepStarted):
            self.state = replace(state, apply=apply.with_step(event.step, RUNNING))
        elif isinstance(event, ev.StepFinished):
            status = DONE if event.ok else FAILED
            self.state = replace(state, apply=apply.with_step(event.step, status))
        elif isinstance(event, ev.PlanFinished):
            outcome = event.outcome
            self.state = replace(
                state,
                apply=apply.finished_with(event),
                reboot_scheduled=outcome.reboot_scheduled,
                # after the reboot that loads the new driver, any reboot the plan scheduled
                # (`nvwizard reboot`'s plan changes no package), or at once when the plan only
                # added beside the running driver (no reboot comes): verify comes next
                verify_pending=outcome.ok
                and (outcome.reboot_required or outcome.reboot_scheduled or self._keeps_driver),
            )
        write_state(self.state, self.state_dir)


# -- readers: for front ends that reattach, `nvwizard logs` and `status` --------------------


def read_events(path: str | Path) -> list[ev.Event]:
    """Every complete event in a JSON-lines log (a torn last line, still being written, is
    left out). JournalError at the first line that is not an event."""
    return list(iter_events(path))


def iter_events(path: str | Path) -> Iterator[ev.Event]:
    """As `read_events`, one event at a time: the events before a damaged line come first."""
    with _open_journal(path) as source:
        number = 0
        while line := source.readline(RECORD_LIMIT + 1):
            number += 1
            too_long = line_too_long(line)
            if too_long:
                raise JournalError(path, number, too_long)
            if line.endswith(b"\n"):
                yield _parse_line(line, path, number)


def _open_journal(path: str | Path) -> BinaryIO:
    """The journal, a regular file (host/record_files.py); JournalError when it is not."""
    try:
        return open_regular(path)
    except UnusableFile as error:
        raise JournalError(path, None, str(error)) from None


def _parse_line(line: bytes, path: str | Path, number: int) -> ev.Event:
    try:
        return ev.event_from_json(json.loads(line.decode("utf-8")))
    except ev.EventFormatError as error:
        raise JournalError(path, number, str(error)) from None
    except UnicodeDecodeError:
        raise JournalError(path, number, "not UTF-8 text") from None
    except (ValueError, RecursionError) as error:
        raise JournalError(path, number, f"not JSON: {error}") from None


def follow(
    path: str | Path,
    poll_s: float = 0.2,
    stop: Callable[[], bool] | None = None,
) -> Iterator[ev.Event]:
    """Yield every event of a journal, then new ones as they are appended.

    Ends after the plan-finished event, or when `stop()` returns True between polls.
    JournalError at the first line that is not an event.
    """
    with _open_journal(path) as source:
        pending = b""
        number = 0
        while True:
            chunk = source.readline(RECORD_LIMIT + 1)
            if chunk:
                pending += chunk
                too_long = line_too_long(pending)
                if too_long:
                    raise JournalError(path, number + 1, too_long)
                if not pending.endswith(b"\n"):
                    continue  # the writer is mid-line: wait for the rest
                number += 1
                event = _parse_line(pending, path, number)
                pending = b""
                yield event
                if isinstance(event, ev.PlanFinished):
                    return
                continue
            if stop is not None and stop():
                return
            time.sleep(poll_s)


def latest_journal(log_dir: Path | None = None) -> Path | None:
    """The newest event log in the log directory, or None."""
    directory = log_dir or paths.log_dir()
    try:
        candidates = sorted(directory.glob(EVENTS_GLOB))
    except OSError:
        return None
    return candidates[-1] if candidates else None


def human_text(event: ev.Event, host: str | None = None) -> str | None:
    """One event as the human log shows it, with its time; None for progress events.

    Commands are shown with `shlex.join`: each `$` line pastes into a shell as the same argv.
    `host`: the label of the machine the apply ran on (its plan-started event's); on a demo
    or a bundle the outcome's repair argv (this computer's dpkg, which never reaches that
    machine; the wizard's Repair runs the demo's repair plan) is left out.
    """
    if isinstance(event, ev.StepOutput):  # most events, and they carry no time: skip the clock
        return "\n".join(event.lines) if event.lines else None
    if isinstance(event, ev.StepProgress):
        return None  # the percentages live in the event log; the human log keeps the text
    at = _clock(event.time)
    if isinstance(event, ev.PlanStarted):
        return f"{at} apply started on {event.host}: {event.plan.driver} (pid {event.pid})"
    if isinstance(event, ev.StepStarted):
        commands = "\n".join("    $ " + shlex.join(argv) for argv in event.argv)
        return f"{at} == {event.title} [{event.step}]\n{commands}".rstrip()
    if isinstance(event, ev.StepFinished):
        verdict = "ok" if event.ok else f"FAILED (exit {event.exit_code})"
        return f"{at} -- {event.step}: {verdict} in {event.duration_s} s"
    outcome = event.outcome
    lines = [f"{at} apply {outcome.status}"]
    if outcome.message:
        lines.append(f"  {outcome.message}")
    if outcome.next_action:
        lines.append(f"  next: {outcome.next_action}")
    simulated = demo_name(host) is not None or bundle_dir(host) is not None
    if outcome.repair and not simulated:
        lines.append("  repair: " + shlex.join(outcome.repair))
    return "\n".join(lines)
