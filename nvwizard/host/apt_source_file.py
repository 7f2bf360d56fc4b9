"""Write a new file into apt's sources.list.d: what a plan's `sources` step runs (through
`nvwizard _add-apt-source`), on the machine apt itself is configured for.

The folder is apt's own answer (`apt-config shell`, so APT_CONFIG and Dir:: settings count,
a test sandbox included). A file of that name with other content is never overwritten; with
the same content the step is already done. The write is atomic (a temporary file renamed).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

APT_CONFIG_TIMEOUT_S = 30


class AptSourceError(Exception):
    """The file cannot be written; the message says why, in one line."""


def sources_folder() -> Path:
    """apt's sources.list.d as apt sees it (Dir::Etc::sourceparts under Dir and Dir::Etc)."""
    try:
        done = subprocess.run(
            ["apt-config", "shell", "FOLDER", "Dir::Etc::sourceparts/d"],
            capture_output=True,
            text=True,
            timeout=APT_CONFIG_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AptSourceError(f"cannot ask apt-config where the sources are: {error}") from error
    words = shlex.split(done.stdout)
    value = next((w.split("=", 1)[1] for w in words if w.startswith("FOLDER=")), "")
    if done.returncode != 0 or not value:
        raise AptSourceError(f"apt-config did not name the sources folder: {done.stderr.strip()}")
    return Path(value)


def add_apt_source(name: str, content: str, folder: Path | None = None) -> tuple[Path, bool]:
    """Write `content` to <sources.list.d>/<name>; (path, False) when it was there already."""
    if "/" in name or not name.endswith((".list", ".sources")) or name.startswith("."):
        raise AptSourceError(f"{name!r} is not a sources file name (*.list or *.sources)")
    folder = folder or sources_folder()
    path = folder / name
    if path.exists():
        if path.read_text(encoding="utf-8", errors="replace") == content:
            return path, False
        raise AptSourceError(f"{path} exists with other content: not overwritten")
    descriptor, temporary = tempfile.mkstemp(prefix=".nvwizard-", dir=folder)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path, True
