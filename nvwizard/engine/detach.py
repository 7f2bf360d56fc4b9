"""Apply a plan in a worker that survives the terminal, and the worker itself.

Front end (`start_detached_apply`): refuse when another apply holds the lock, write the plan to
`<state dir>/applies/<run id>/plan.json` (and prune all but the last 10 applies' folders and
worker outputs, engine/cleanup.py), start `nvwizard _apply-worker` outside the terminal's
session (see nvwizard/host/spawn.py), and wait for the worker's hand-shake in `start.json`:
either it took the apply lock and names its journal, or it was refused and names the holder.
Two front ends racing past the first check therefore still end with one apply and one
refusal. The front end then only follows the journal; killing it changes nothing.

`DetachedRun` is what both front ends (the wizard and `nvwizard install`) use: start the
worker, or take one already running, then follow its journal until the plan ends.

Worker (`run_worker`): takes the lock, writes the journal, runs the Engine on this machine,
and exits. SIGHUP and SIGINT are ignored; SIGTERM lets the running step finish, then stops.

Demo and bundle hosts never come here: they apply in-process on their simulated machine, under
the same lock (engine/in_process.py).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nvwizard
from nvwizard.engine import events as ev
from nvwizard.engine import paths
from nvwizard.engine.cleanup import APPLIES_DIR, prune_old_applies
from nvwizard.engine.follow import replay_and_follow
from nvwizard.engine.journal import Journal, check_writable
from nvwizard.engine.lock import ApplyBusyError, ApplyHolder, ApplyLock, current_holder
from nvwizard.errors import NvwizardError
from nvwizard.host.spawn import SYSTEMD_RUN, DetachedProcess, start_detached
from nvwizard.plan.install_options import install_here
from nvwizard.plan.models import Plan

PLAN_FILE = "plan.json"
START_FILE = "start.json"
WORKER_COMMAND = "_apply-worker"
START_TIMEOUT_S = 60.0  # a worker that cannot even take the lock in a minute is broken


@dataclass(frozen=True)
class StartedApply:
    run_id: str
    events_path: Path  # the JSON-lines journal to follow
    log_path: Path  # the human log
    worker_pid: int | None
    unit: str | None  # the systemd unit, when started by systemd-run
    method: str  # "systemd-run" or "setsid"


class WorkerStartError(NvwizardError):
    """The worker did not start or died before taking the lock."""


# -- plans as files ------------------------------------------------------------------------


def load_plan(path: Path) -> Plan:
    try:
        return Plan.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise WorkerStartError(f"cannot read the plan {path}: {error}") from None


def _write_json(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def run_dir(run_id: str, state_dir: Path | None = None) -> Path:
    return (state_dir or paths.state_dir()) / APPLIES_DIR / run_id


def unit_name(run_id: str) -> str:
    return f"nvwizard-apply-{run_id}"


# -- the front end's half ------------------------------------------------------------------


def worker_argv(plan_path: Path, run_id: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "nvwizard",
        WORKER_COMMAND,
        "--plan",
        str(plan_path),
        "--run-id",
        run_id,
    ]


def _worker_env() -> dict[str, str]:
    # The worker starts in / (systemd's default too): make sure it imports this same nvwizard.
    package_root = str(Path(nvwizard.__file__).resolve().parent.parent)
    python_path = [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(":") if p]
    return {"PYTHONPATH": ":".join(dict.fromkeys(python_path))}


def start_detached_apply(
    plan: Plan, method: str | None = None, timeout_s: float = START_TIMEOUT_S
) -> StartedApply:
    """Start applying `plan` to this machine in a detached worker; return once it runs.

    Raises ApplyBusyError (exit 3) naming the holder when another apply runs, PlaceError
    (exit 2) when the journal or the state file could not be written.
    """
    check_writable(paths.log_dir(), paths.state_dir())
    holder = current_holder()
    if holder is not None:
        raise ApplyBusyError(holder)
    run_id = new_run_id()
    directory = run_dir(run_id)
    plan_path = directory / PLAN_FILE
    _write_json(plan_path, plan.to_json())
    prune_old_applies(protect=[run_id])
    output = paths.log_dir() / f"worker-{run_id}.out"
    process = start_detached(
        worker_argv(plan_path, run_id),
        unit=unit_name(run_id),
        output=output,
        env=_worker_env(),
        method=method,
    )
    return _await_start(directory, run_id, process, timeout_s)


def _await_start(
    directory: Path, run_id: str, process: DetachedProcess, timeout_s: float
) -> StartedApply:
    start_file = directory / START_FILE
    deadline = time.monotonic() + timeout_s
    while True:
        result = _read_start(start_file)
        if result is not None:
            break
        ended = process.exit_code()
        if ended is not None and _read_start(start_file) is None:
            raise WorkerStartError(
                f"the apply worker exited ({ended}) before starting: {_last_line(process)}"
            )
        if time.monotonic() > deadline:
            raise WorkerStartError(
                f"the apply worker did not start within {int(timeout_s)} s; see {process.output}"
            )
        time.sleep(0.05)
    if not result.get("ok"):
        raise ApplyBusyError(ApplyHolder.from_json(result.get("holder") or {}))
    return StartedApply(
        run_id=run_id,
        events_path=Path(result["events"]),
        log_path=Path(result["log"]),
        worker_pid=result.get("pid"),
        unit=process.unit if process.method == SYSTEMD_RUN else None,
        method=process.method,
    )


def _read_start(path: Path) -> dict | None:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def _last_line(process: DetachedProcess) -> str:
    if process.output is None:
        return "no output"
    try:
        lines = process.output.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        lines = []
    return lines[-1] if lines else f"no output (see {process.output})"


class DetachedRun:
    """An apply in the detached worker, as a front end follows it: `run()` (in a worker
    thread, or the CLI's main one) starts the worker for `plan` unless `events_path` names the
    journal of one already running, then hands every event, the past ones first, to
    `on_event` until the plan ends.

    `cancel()` only stops the following (the wizard quits, the terminal goes): the worker goes
    on, it survives the terminal by design. `stop_worker()` asks the worker itself to stop
    after its running step.
    """

    detached = True

    def __init__(
        self,
        plan: Plan | None,
        on_event: Callable[[ev.Event], None],
        events_path: str | Path | None = None,
        worker_pid: int | None = None,
    ):
        self.plan = plan
        self.on_event = on_event
        self.events_path = str(events_path) if events_path else None
        self.worker_pid = worker_pid
        self.log_path: str | None = None  # the human log, next to the journal
        self.started: StartedApply | None = None  # None when it follows an apply it found
        self._stop = threading.Event()
        if self.events_path is not None:
            self.log_path = str(Path(self.events_path).with_suffix(".log"))

    @classmethod
    def attach(cls, on_event: Callable[[ev.Event], None]) -> DetachedRun | None:
        """Follow the apply running now, or None when none runs."""
        holder = current_holder()
        if holder is None or not holder.journal:
            return None
        return cls(None, on_event, events_path=holder.journal, worker_pid=holder.pid)

    def start(self) -> StartedApply | None:
        """Start the worker, once; None when following an apply that was already running.
        Raises ApplyBusyError (exit 3) when another apply holds the lock."""
        if self.events_path is None:
            if self.plan is None:
                raise ValueError("a DetachedRun needs a plan or the journal to follow")
            self.started = start_detached_apply(self.plan)
            self.events_path = str(self.started.events_path)
            self.log_path = str(self.started.log_path)
            self.worker_pid = self.started.worker_pid
        return self.started

    def run(self) -> None:
        self.start()
        assert self.events_path is not None
        for event in replay_and_follow(self.events_path, stop=self._stop.is_set):
            self.on_event(event)

    def cancel(self) -> None:
        """Stop following; the worker goes on."""
        self._stop.set()

    def stop_worker(self) -> None:
        """Ask the worker to stop after its running step (it never interrupts dpkg)."""
        if self.worker_pid:
            try:
                os.kill(self.worker_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


# -- the worker's half ---------------------------------------------------------------------


def run_worker(plan_path: Path, run_id: str) -> int:
    """Apply the plan on this machine under the apply lock. Returns the exit code."""
    # lazy: every CLI command imports this module (the worker's command name); the runner and
    # LocalHost (with psutil) load in the worker alone (cli/commands.py)
    from nvwizard.engine.runner import Engine
    from nvwizard.host.local import LocalHost

    start_file = Path(plan_path).parent / START_FILE
    plan = load_plan(plan_path)
    lock = ApplyLock()
    unit = unit_name(run_id) if os.environ.get("INVOCATION_ID") else None
    try:
        lock.acquire(driver=plan.driver, run_id=run_id, unit=unit)
    except ApplyBusyError as busy:
        _write_json(start_file, {"ok": False, "holder": busy.holder.__dict__})
        print(f"nvwizard: {busy}", file=sys.stderr)
        return busy.exit_code
    try:
        with Journal(paths.log_dir(), paths.state_dir()) as journal:
            lock.update(journal=str(journal.events_path))
            _write_json(
                start_file,
                {
                    "ok": True,
                    "pid": os.getpid(),
                    "events": str(journal.events_path),
                    "log": str(journal.log_path),
                },
            )
            engine = Engine(LocalHost(), plan, journal=journal)
            _survive_the_terminal(engine)
            try:
                outcome = engine.run()
            except Exception as error:  # a bug must still end the journal, or followers wait
                crashed = ev.Outcome(
                    status=ev.FAILED,
                    message=f"the nvwizard worker crashed: {error!r}",
                    repair=("dpkg", "--configure", "-a"),
                    reboot_required=plan.changes_system,
                    next_action=_after_a_crash(plan),
                    log_path=str(journal.log_path),
                )
                journal(ev.PlanFinished(outcome=crashed))
                raise
            return 0 if outcome.ok else 1
    finally:
        lock.release()


def _after_a_crash(plan: Plan) -> str:
    """The next action after the worker crashed mid-plan: repair dpkg, then the install again
    with the options the user gave it (as `status` says), where the plan was an install."""
    again = install_here(plan.purpose, plan.driver, plan.install_options)
    if again is None:
        return "Run `dpkg --configure -a`, then apply again."
    return f"Run `sudo dpkg --configure -a`, then `{again}` again."


def _survive_the_terminal(engine) -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: engine.cancel())
