"""Where the journal and the state live.

Root defaults: logs under /var/log/nvwizard/, state under /var/lib/nvwizard/. Not root: under
the user's state directory ($XDG_STATE_HOME or ~/.local/state)/nvwizard/{log,state}.
NVWIZARD_LOG_DIR and NVWIZARD_STATE_DIR override either.
"""

from __future__ import annotations

import os
from pathlib import Path


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
