"""Where the journal and the state live.

Root defaults: logs under /var/log/nvwizard/, state under /var/lib/nvwizard/. Not root: under
the user's state directory ($XDG_STATE_HOME or ~/.local/state)/nvwizard/{log,state}.
NVWIZARD_LOG_DIR and NVWIZARD_STATE_DIR override either.

`check_writable` says in one line (exit 2) when a folder cannot be written, before anything
runs: `check_settings` for every command when a variable names one, the journal's
`check_can_journal` before an apply.
"""

from __future__ import annotations

import os
from pathlib import Path

from nvwizard.errors import UsageError


def _user_state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "nvwizard"


def log_dir() -> Path:
    if os.environ.get("NVWIZARD_LOG_DIR"):
        return Path(os.environ["NVWIZARD_LOG_DIR"])
    return Path("/var/log/nvwizard") if os.geteuid() == 0 else _user_state_home() / "log"


def state_dir() -> Path:
    if os.environ.get("NVWIZARD_STATE_DIR"):
        return Path(os.environ["NVWIZARD_STATE_DIR"])
    return Path("/var/lib/nvwizard") if os.geteuid() == 0 else _user_state_home() / "state"


# -- can nvwizard write there? --------------------------------------------------------------

LOG_SETTING, STATE_SETTING = "NVWIZARD_LOG_DIR", "NVWIZARD_STATE_DIR"


class PlaceError(UsageError):
    """A log or state folder nvwizard cannot write (exit code 2), said in one line."""


def check_writable(directory: Path, setting: str) -> None:
    """PlaceError unless `directory` is a folder nvwizard can write, or can be created as one
    (its nearest existing parent is such a folder). Creates nothing.

    `setting` is the variable that names such a folder (NVWIZARD_LOG_DIR, NVWIZARD_STATE_DIR):
    the message says what to change."""
    path = Path(os.path.abspath(directory))
    existing = next(p for p in [path, *path.parents] if os.path.lexists(p))
    if not existing.is_dir():
        problem = f"{existing} is not a directory"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"{path} cannot be written: {_why_not_writable(existing)}"
    else:
        return
    raise PlaceError(f"{problem} ({place_hint(path, setting)})")


def place_hint(path: Path | str, setting: str) -> str:
    """Where a folder came from and what it must be, for a message about it."""
    value = os.environ.get(setting)
    text = os.fspath(path)
    if value and (text == value or text.startswith(value.rstrip("/") + "/")):
        return f"from {setting}={value}: it must name a folder nvwizard can write"
    kind = "log" if setting == LOG_SETTING else "state"
    return f"nvwizard's {kind} folder: set {setting} to a folder it can write"


def setting_naming(path: Path | str) -> str | None:
    """The variable (NVWIZARD_LOG_DIR or NVWIZARD_STATE_DIR) whose value holds `path`."""
    text = os.fspath(path)
    for setting in (LOG_SETTING, STATE_SETTING):
        value = os.environ.get(setting)
        if value and (text == value or text.startswith(value.rstrip("/") + "/")):
            return setting
    return None


def _why_not_writable(folder: Path) -> str:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    return "permission denied"


def check_settings() -> None:
    """PlaceError when NVWIZARD_LOG_DIR or NVWIZARD_STATE_DIR is set to a place nvwizard cannot
    write: an explicit setting that cannot be honoured stops every command before it runs."""
    for setting in (LOG_SETTING, STATE_SETTING):
        value = os.environ.get(setting)
        if value:
            check_writable(Path(value), setting)
