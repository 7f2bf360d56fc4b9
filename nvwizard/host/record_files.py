"""Opening the files nvwizard reads back (the state file, the journal, the lock's sidecar, a
demo machine saved in the state directory): regular files only, and no more of them than
nvwizard could have written. Here, below the engine and the simulator, so that both read their
files through the same check.

Their paths come from the state directory and from the state file itself ("events"), which
anyone with write access there may have replaced: a symlink to /dev/zero or a FIFO made
`status` and `logs` hang or read gigabytes. So a file is looked at before it is opened (a
device is never opened: opening some has effects of its own), opened without blocking, and
checked again once open; and what is read is capped far above anything nvwizard writes
(`RECORD_LIMIT`: the whole state file or saved demo, or one line of the journal, which may
be long). Each refusal is an `UnusableFile` (a ValueError) naming what the file is; the
readers say it in their one-line damaged-file message.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

RECORD_LIMIT = 16 * 1024 * 1024  # bytes: a state file, a journal line (nvwizard's: a few KB)


class UnusableFile(ValueError):
    """Not a regular file, or larger than nvwizard writes: the message says which."""


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _refuse_unless_regular(mode: int, path: str | Path) -> None:
    if stat.S_ISDIR(mode):  # as reading it would say: "cannot read ...: Is a directory"
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not stat.S_ISREG(mode):
        raise UnusableFile(f"not a regular file: {_kind(mode)}")


def open_regular(path: str | Path) -> BinaryIO:
    """`path` opened for reading in binary; UnusableFile unless it is a regular file (after
    symlinks), OSError when it cannot be opened (FileNotFoundError when there is none)."""
    _refuse_unless_regular(os.stat(path).st_mode, path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        _refuse_unless_regular(os.fstat(fd).st_mode, path)  # replaced between the two looks
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(path: str | Path, limit: int = RECORD_LIMIT) -> bytes:
    """The whole of a regular file of at most `limit` bytes; UnusableFile otherwise."""
    with open_regular(path) as source:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise UnusableFile(f"larger than {_size(limit)}, more than nvwizard writes")
    return data


def line_too_long(line: bytes, limit: int = RECORD_LIMIT) -> str | None:
    """Why a journal line read with `readline(limit + 1)` is refused, or None."""
    return f"a line longer than {_size(limit)}" if len(line) > limit else None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
