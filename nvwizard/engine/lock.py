"""One apply at a time: a lock file under the state directory.

Whoever applies a plan (the detached worker on this machine, `InProcessApply` on a demo or
bundle machine) holds an exclusive lock on `<state dir>/apply.lock` for the whole apply:
nvwizard/host/file_lock.py, whose `flock` the kernel drops when the process ends, however it
ends, so a dead holder can never block the next apply. Next to it, `apply.lock.json` names the
holder (pid, start time, driver, machine, run id, journal) so a refused apply, `status` and
`logs -f` can say who is running.

A stale sidecar is removed only while we hold the lock ourselves.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from nvwizard.engine import paths
from nvwizard.engine.json_checks import is_integer, is_time
from nvwizard.errors import RefusedError
from nvwizard.host import file_lock
from nvwizard.host.record_files import read_capped

LOCK_NAME = file_lock.APPLY_LOCK
HOLDER_NAME = "apply.lock.json"

# A status probe holds the lock for microseconds; a real acquire retries this long before it
# concludes that someone else is applying.
ACQUIRE_RETRY_S = file_lock.RETRY_S


@dataclass(frozen=True)
class ApplyHolder:
    """Who holds the apply lock, as its sidecar says."""

    pid: int | None
    started_at: float | None = None  # epoch seconds
    driver: str | None = None
    run_id: str | None = None
    journal: str | None = None  # the JSON-lines event log the holder writes
    unit: str | None = None  # the systemd unit, when started by systemd-run
    host: str | None = None  # the machine it applies to: "this machine", "demo hgx-h100"

    def describe(self) -> str:
        what = f"an apply of {self.driver}" if self.driver else "an apply"
        if self.host and self.host != "this machine":
            what += f" to {self.host}"
        details = []
        if self.pid is not None:
            details.append(f"pid {self.pid}")
        if self.started_at:
            details.append("started " + time.strftime("%H:%M:%S", time.localtime(self.started_at)))
        if self.unit:
            details.append(f"unit {self.unit}")
        return what + (f" ({', '.join(details)})" if details else "")

    @classmethod
    def from_json(cls, obj: dict) -> ApplyHolder:
        def text(key: str) -> str | None:
            value = obj.get(key)
            return value if isinstance(value, str) else None

        pid = obj.get("pid")
        started = obj.get("started_at")
        return cls(
            # a pid os.kill takes, a time time.localtime takes: anything else is not trusted
            pid=pid if isinstance(pid, int) and is_integer(pid) and 0 < pid < 2**31 else None,
            started_at=float(started)
            if isinstance(started, (int, float)) and is_time(started)
            else None,
            driver=text("driver"),
            run_id=text("run_id"),
            journal=text("journal"),
            unit=text("unit"),
            host=text("host"),
        )


class ApplyBusyError(RefusedError):
    """Another apply holds the lock (exit code 3)."""

    def __init__(self, holder: ApplyHolder):
        self.holder = holder
        super().__init__(
            f"another nvwizard apply is running: {holder.describe()}; "
            "follow it with `nvwizard logs -f` or check `nvwizard status`"
        )


def _lock_path(directory: Path) -> Path:
    return directory / LOCK_NAME


def _holder_path(directory: Path) -> Path:
    return directory / HOLDER_NAME


def _read_holder(directory: Path) -> ApplyHolder | None:
    try:
        obj = json.loads(read_capped(_holder_path(directory)))  # a regular file, not too big
    except (OSError, ValueError):
        return None
    return ApplyHolder.from_json(obj) if isinstance(obj, dict) else None


def _write_holder(directory: Path, holder: ApplyHolder) -> None:
    target = _holder_path(directory)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(holder), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)


class ApplyLock:
    """The apply lock of one state directory. Hold it with `acquire()` or `with`."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory is not None else paths.state_dir()
        self._me: ApplyHolder | None = None

    @property
    def held(self) -> bool:
        return self._me is not None

    def acquire(
        self,
        driver: str | None = None,
        run_id: str | None = None,
        journal: str | None = None,
        unit: str | None = None,
        host: str | None = None,
        retry_s: float = ACQUIRE_RETRY_S,
    ) -> ApplyHolder:
        """Take the lock and name ourselves in the sidecar; ApplyBusyError when it is taken
        (by another process, or by another apply in this one)."""
        if self._me is not None:
            raise RuntimeError("the apply lock is already held by this object")
        try:
            file_lock.take(_lock_path(self.directory), retry_s)
        except file_lock.LockTaken:
            raise ApplyBusyError(_read_holder(self.directory) or ApplyHolder(pid=None)) from None
        me = ApplyHolder(
            pid=os.getpid(),
            started_at=time.time(),
            driver=driver,
            run_id=run_id,
            journal=journal,
            unit=unit,
            host=host,
        )
        try:
            _write_holder(self.directory, me)
        except BaseException:
            file_lock.release(_lock_path(self.directory))
            raise
        self._me = me
        return me

    def update(self, **fields: object) -> ApplyHolder:
        """Add what we learnt after taking the lock (e.g. the journal path) to the sidecar."""
        if self._me is None:
            raise RuntimeError("the apply lock is not held")
        self._me = replace(self._me, **fields)  # type: ignore[arg-type]
        _write_holder(self.directory, self._me)
        return self._me

    def release(self) -> None:
        if self._me is None:
            return
        # The sidecar goes first, while we still hold the lock: nobody else can be writing it.
        _holder_path(self.directory).unlink(missing_ok=True)
        file_lock.release(_lock_path(self.directory))
        self._me = None

    def __enter__(self) -> ApplyLock:
        if self._me is None:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def current_holder(directory: Path | None = None) -> ApplyHolder | None:
    """The running apply's holder, or None when no apply runs (a stale sidecar is cleared)."""
    directory = Path(directory) if directory is not None else paths.state_dir()
    lock_path = _lock_path(directory)
    if not lock_path.exists():
        return None
    if file_lock.held_here(lock_path):
        return _read_holder(directory) or ApplyHolder(pid=os.getpid())
    try:
        fd = file_lock.open_lock_file(lock_path, create=False)
    except OSError:
        # Unreadable (not root): fall back on the sidecar and whether its pid lives.
        holder = _read_holder(directory)
        return holder if holder and holder.pid and _pid_alive(holder.pid) else None
    try:
        if file_lock.try_flock(fd):
            # Nobody holds it: whatever the sidecar says is stale; clear it under our lock.
            _holder_path(directory).unlink(missing_ok=True)
            return None
        # Held; the sidecar may be a moment away from being written by the new holder.
        return _read_holder(directory) or ApplyHolder(pid=None)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
