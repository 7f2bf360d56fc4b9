"""Replace a JSON file atomically (a temporary file beside it, synced, then renamed over it):
a reader never sees half a file, and a crash leaves the old one whole. The state file's
writer (engine/state.py)."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path


def write_json_atomically(path: Path, obj: dict) -> None:
    """IsADirectoryError naming `path` (not the temporary file beside it) where `path` is a
    directory: nothing can replace it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
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
