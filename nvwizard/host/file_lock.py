"""An exclusive lock file that every nvwizard process respects, and which ones this one holds.

`flock` on the file: the kernel drops it when the holder ends, however it ends, so a dead
holder never blocks the next one. flock rather than POSIX `lockf`: a POSIX lock is dropped
when the process closes *any* descriptor of the file, which a probe in the same process would
do.

A flock belongs to an open file description: a process that opened the file a second time and
asked again would wait for itself. So the locks this process holds are recorded here, and
`held_here` tells code that runs inside a holder (the engine thread of an in-process apply,
saving its demo machine) that the lock is already its own.

The lock file itself is never deleted (deleting a lock file others may have open is how two
holders happen).

The state directory's apply lock (`APPLY_LOCK`) is the one nvwizard uses: engine/lock.py takes
it for every apply, and a demo machine saved in that directory (nvwizard/simulator/) is
written only under it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

APPLY_LOCK = "apply.lock"  # <state dir>/apply.lock
RETRY_S = 1.0  # a probe holds a lock for microseconds: retry this long before calling it taken


class LockTaken(Exception):
    """Another process holds the lock."""


_held: dict[str, int] = {}  # realpath of each lock file this process holds -> its descriptor
_held_guard = threading.Lock()


def _key(path: Path) -> str:
    return os.path.realpath(path)


def open_lock_file(path: Path, create: bool = True) -> int:
    """A descriptor of the lock file (created with its folder when `create`)."""
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    return os.open(path, os.O_RDWR | os.O_CLOEXEC)


def try_flock(fd: int) -> bool:
    """Take the flock on `fd` without waiting; False when someone holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def held_here(path: Path) -> bool:
    """Whether this process holds the lock on `path` (through `take`)."""
    with _held_guard:
        return _key(path) in _held


def take(path: Path, retry_s: float = RETRY_S) -> None:
    """Hold the lock on `path` until `release(path)`. LockTaken when another process (or
    another holder in this one) keeps it for `retry_s`."""
    key = _key(path)
    with _held_guard:
        if key in _held:
            raise LockTaken(str(path))
    fd = open_lock_file(path)
    deadline = time.monotonic() + retry_s
    while not try_flock(fd):
        if time.monotonic() >= deadline:
            os.close(fd)
            raise LockTaken(str(path))
        time.sleep(0.05)
    with _held_guard:
        _held[key] = fd


def release(path: Path) -> None:
    """Let go of a lock taken with `take` (nothing when this process does not hold it)."""
    with _held_guard:
        fd = _held.pop(_key(path), None)
    if fd is not None:
        os.close(fd)


@contextlib.contextmanager
def holding(path: Path, retry_s: float = RETRY_S) -> Iterator[None]:
    """The lock on `path` for a `with` block: taken and released around it, unless this
    process holds it already (then it stays held). LockTaken when another process holds it."""
    if held_here(path):
        yield
        return
    take(path, retry_s)
    try:
        yield
    finally:
        release(path)
