"""The record of every apply: a human log, a JSON-lines event log, and the state file.

A `Journal` is an engine listener. Each apply gets `<log dir>/apply-<stamp>.log` (what a person
reads) and `apply-<stamp>.jsonl` (one event per line: what a reattaching front end replays and
follows), and rewrites `<state dir>/state.json` atomically (temp file + rename) at each step, so
a reader never sees half a file and a crash leaves the last complete state.

Output and progress lines are flushed to disk in batches, at most `FLUSH_WINDOW_S` after they
are written (a flood of DKMS output would otherwise cost two flushes per line); every other
event is flushed at once, after the state file. A follower therefore sees each line within
that window, and a crash loses at most that window of output.

Where: `engine.paths` (NVWIZARD_LOG_DIR / NVWIZARD_STATE_DIR override). A demo or bundle
host never writes into the real places: unless those variables are set, its journal goes to a
temporary directory, removed when the process ends.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from json.encoder import encode_basestring
from pathlib import Path

from nvwizard.engine import events as ev
from nvwizard.engine import paths
from nvwizard.host.base import Host

STATE_FILE = "state.json"
EVENTS_GLOB = "apply-*.jsonl"
FLUSH_WINDOW_S = 0.05  # the longest an output line waits in memory before it is on disk
# One encoder for every event: `json.dumps(..., ensure_ascii=False)` builds a new one per call.
_EVENT_ENCODER = json.JSONEncoder(ensure_ascii=False)
_OUTPUT_KEYS = {"stream", "line"}


def event_json_line(event: ev.Event) -> str:
    """One event as a line of the JSON-lines log."""
    data = event.data
    if (
        event.kind == ev.OUTPUT
        and data.keys() == _OUTPUT_KEYS
        and type(event.step) is str
        and type(event.time) is float
    ):
        # Output is nearly every event of a flood: the encoder's exact JSON, written directly
        # (about 3x faster than the general encoder).
        step, stream, text = map(encode_basestring, (event.step, data["stream"], data["line"]))
        return (
            f'{{"kind": "output", "step": {step}, "data": {{"stream": {stream}, '
            f'"line": {text}}}, "time": {event.time!r}}}\n'
        )
    return _EVENT_ENCODER.encode(event.to_json()) + "\n"


def write_json_atomically(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(obj, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def state_path(state_dir: Path | None = None) -> Path:
    return (state_dir or paths.state_dir()) / STATE_FILE


def read_state(state_dir: Path | None = None) -> dict | None:
    """The last apply's state, or None when there is none (or it cannot be read)."""
    try:
        return json.loads(state_path(state_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_state(state: dict, state_dir: Path | None = None) -> None:
    """Replace the state file atomically (e.g. `verify` records its result here)."""
    write_json_atomically(state_path(state_dir), state)


def journal_dirs_for(host: Host) -> tuple[Path, Path]:
    """(log dir, state dir) for an apply on this host.

    A demo or bundle never writes into the real places: each of the two not named by
    NVWIZARD_LOG_DIR / NVWIZARD_STATE_DIR is in a temporary directory, removed when the
    process ends."""
    if host.is_real:
        return paths.log_dir(), paths.state_dir()
    log, state = os.environ.get("NVWIZARD_LOG_DIR"), os.environ.get("NVWIZARD_STATE_DIR")
    if log and state:
        return Path(log), Path(state)
    scratch = Path(tempfile.mkdtemp(prefix=f"nvwizard-{host.kind}-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return Path(log) if log else scratch / "log", Path(state) if state else scratch / "state"


def keeps_its_log(host: Host) -> bool:
    """Whether an apply's log on `host` outlives this process (see journal_dirs_for)."""
    return host.is_real or bool(os.environ.get("NVWIZARD_LOG_DIR"))


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%H:%M:%S")


class Journal:
    """Listener that writes the logs and the state file. Use as a context manager or close()."""

    def __init__(self, log_dir: Path, state_dir: Path):
        self.log_dir = Path(log_dir)
        self.state_dir = Path(state_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        stamp = _stamp()
        self.log_path = self.log_dir / f"apply-{stamp}.log"
        self.events_path = self.log_dir / f"apply-{stamp}.jsonl"
        self._log = self.log_path.open("a", encoding="utf-8")
        self._events = self.events_path.open("a", encoding="utf-8")
        self.state: dict = {}
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
        if event.kind == ev.OUTPUT or event.kind == ev.PROGRESS:
            self._write_batched(event, line)
        else:
            self._write_now(event, line)

    def _write_now(self, event: ev.Event, line: str) -> None:
        # State and human log first: a follower that sees an event in the JSON-lines log can
        # rely on the state file already saying the same.
        with self._lock:
            self._update_state(event)
            text = human_text(event)
            if text is not None:
                self._log.write(text + "\n")
            self._log.flush()
            self._events.write(line)
            self._events.flush()
            self._unflushed = False

    def _write_batched(self, event: ev.Event, line: str) -> None:
        with self._lock:
            if event.kind == ev.OUTPUT:
                self._log.write(event.data.get("line", "") + "\n")
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
        d = event.data
        state = self.state
        if event.kind == ev.PLAN_STARTED:
            plan = d.get("plan", {})
            state.clear()
            state.update(
                started=event.time,
                finished=None,
                host=d.get("host"),
                pid=d.get("pid"),
                driver=plan.get("driver"),
                flavour=plan.get("flavour"),
                branch=plan.get("branch"),
                modules=plan.get("modules"),
                install_list=plan.get("install_list", []),
                purge_list=plan.get("purge_list", []),
                planned=[{"id": s["id"], "title": s["title"]} for s in plan.get("steps", [])],
                steps={s["id"]: "pending" for s in plan.get("steps", [])},
                outcome="running",
                failed_step=None,
                message=None,
                repair=None,
                reboot_pending=False,
                reboot_scheduled=False,
                verify_pending=False,
                log=str(self.log_path),
                events=str(self.events_path),
            )
        elif event.kind == ev.STEP_STARTED:
            state.setdefault("steps", {})[event.step] = "running"
        elif event.kind == ev.STEP_FINISHED:
            state.setdefault("steps", {})[event.step] = "done" if d.get("ok") else "failed"
        elif event.kind == ev.PLAN_FINISHED:
            changed = bool(d.get("reboot_required"))
            state.update(
                finished=event.time,
                outcome=d.get("outcome"),
                failed_step=d.get("failed_step"),
                message=d.get("message"),
                repair=d.get("repair"),
                reboot_pending=changed,
                reboot_scheduled=bool(d.get("reboot_scheduled")),
                verify_pending=changed and d.get("outcome") == "done",
            )
        write_state(state, self.state_dir)


# -- readers: for front ends that reattach, `nvwizard logs` and `status` --------------------


def read_events(path: str | Path) -> list[ev.Event]:
    """Every complete event in a JSON-lines log (a torn last line is skipped)."""
    events = []
    with open(path, encoding="utf-8") as source:
        for line in source:
            event = _parse_line(line)
            if event is not None:
                events.append(event)
    return events


def _parse_line(line: str) -> ev.Event | None:
    if not line.endswith("\n"):
        return None
    try:
        return ev.Event.from_json(json.loads(line))
    except (ValueError, KeyError, TypeError):
        return None


def follow(
    path: str | Path,
    poll_s: float = 0.2,
    stop: Callable[[], bool] | None = None,
) -> Iterator[ev.Event]:
    """Yield every event of a journal, then new ones as they are appended.

    Ends after the plan-finished event, or when `stop()` returns True between polls.
    """
    with open(path, encoding="utf-8") as source:
        pending = ""
        while True:
            chunk = source.readline()
            if chunk:
                pending += chunk
                if not pending.endswith("\n"):
                    continue  # the writer is mid-line: wait for the rest
                event = _parse_line(pending)
                pending = ""
                if event is None:
                    continue
                yield event
                if event.kind == ev.PLAN_FINISHED:
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


def human_text(event: ev.Event) -> str | None:
    """One event as the human log shows it, with its time; None for progress events."""
    if event.kind == ev.OUTPUT:  # most events, and they carry no time: skip the clock
        return event.data.get("line", "")
    if event.kind == ev.PROGRESS:
        return None  # the percentages live in the event log; the human log keeps the text
    d = event.data
    at = _clock(event.time)
    if event.kind == ev.PLAN_STARTED:
        plan = d.get("plan", {})
        return f"{at} apply started on {d.get('host')}: {plan.get('driver')} (pid {d.get('pid')})"
    if event.kind == ev.STEP_STARTED:
        commands = "\n".join("    $ " + " ".join(argv) for argv in d.get("argv", []))
        return f"{at} == {d.get('title')} [{event.step}]\n{commands}".rstrip()
    if event.kind == ev.STEP_FINISHED:
        verdict = "ok" if d.get("ok") else f"FAILED (exit {d.get('exit_code')})"
        return f"{at} -- {event.step}: {verdict} in {d.get('duration_s')} s"
    if event.kind == ev.PLAN_FINISHED:
        lines = [f"{at} apply {d.get('outcome')}"]
        if d.get("message"):
            lines.append(f"  {d['message']}")
        if d.get("next_action"):
            lines.append(f"  next: {d['next_action']}")
        if d.get("repair"):
            lines.append("  repair: " + " ".join(d["repair"]))
        return "\n".join(lines)
    return None
