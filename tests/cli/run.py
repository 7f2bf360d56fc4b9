"""Run the real command line in a subprocess, as a user would, with this checkout on the path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def nvwizard(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """`nvwizard ARGS` in a subprocess; `env` adds to (or overrides) this process's."""
    return subprocess.run(
        [sys.executable, "-m", "nvwizard", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
        cwd=REPO_ROOT,
        timeout=timeout,
    )
