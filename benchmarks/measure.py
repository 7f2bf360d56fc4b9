"""Small helpers shared by the measurements: medians, child processes, repository paths."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child: this repository first on the path, no user site noise."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("TEXTUAL", None)  # devtools would slow every frame down
    env.update(extra)
    return env


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]


def precompile() -> None:
    """Compile this checkout's modules to bytecode once, as `pip install` does: where
    PYTHONDONTWRITEBYTECODE is set, every timed run would compile them again otherwise."""
    subprocess.run(
        python_argv("-m", "compileall", "-q", "nvwizard", "benchmarks"),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        check=True,
    )


def time_command(
    argv: Sequence[str], env: dict[str, str] | None = None, exit_codes: Sequence[int] = (0,)
) -> float:
    """Wall-clock seconds of one run of `argv` (output discarded); raises if it exits with a
    code not in `exit_codes`."""
    started = time.monotonic()
    completed = subprocess.run(
        argv,
        cwd=REPO_ROOT,
        env=env or child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    if completed.returncode not in exit_codes:
        raise RuntimeError(f"{' '.join(argv)} exited {completed.returncode}: {completed.stderr}")
    return elapsed


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float]) -> str:
    """ "0.205 s (0.190-0.260)": the median, then the min and max, in seconds."""
    if not values:
        return "n/a"
    return f"{median(values):.3f} s ({min(values):.3f}-{max(values):.3f})"


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
