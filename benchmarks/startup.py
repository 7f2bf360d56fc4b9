"""1. Start-up: process start to the first painted Detect screen of `nvwizard --demo`, beside a
minimal Textual app painting one static screen, headless and in a real terminal (tmux).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

from benchmarks.measure import REPO_ROOT, child_env, median, python_argv
from benchmarks.minimal_app import READY_TEXT
from benchmarks.table import Row, verdict
from benchmarks.tmux import TmuxSession, tmux_available

TARGET_RATIO = 1.3
DETECT_SCREEN_TEXT = "[1 Detect]"  # the step bar, painted with the Detect screen
DETECTED_TEXT = "✓ Detected"  # the summary, once detection has finished
TIMEOUT_S = 30.0


@dataclass
class StartupTimes:
    painted: list[float]
    detected: list[float]  # empty for the minimal app


def headless_once(which: str, *options: str) -> tuple[float, float | None]:
    """Seconds from starting the probe process to its first painted screen (and detection)."""
    started = time.monotonic()
    completed = subprocess.run(
        python_argv("-m", "benchmarks.startup_probe", which, *options),
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    marks = dict(line.split() for line in completed.stdout.splitlines() if line.count(" ") == 1)
    if "painted" not in marks:
        raise RuntimeError(f"startup probe {which} failed: {completed.stderr.strip()[-500:]}")
    detected = float(marks["detected"]) - started if "detected" in marks else None
    return float(marks["painted"]) - started, detected


def tmux_once(argv: list[str], painted_text: str, ready_text: str | None, **env: str):
    """Seconds from starting the pane to `painted_text` (and `ready_text`) on screen."""
    with TmuxSession(argv, **env) as pane:
        painted = pane.wait_for(painted_text, TIMEOUT_S) - pane.started_at
        ready = pane.wait_for(ready_text, TIMEOUT_S) - pane.started_at if ready_text else None
    return painted, ready


def measure(repetitions: int) -> list[Row]:
    headless = {"wizard": StartupTimes([], []), "minimal": StartupTimes([], [])}
    for _ in range(repetitions):  # interleaved, so drift hits both alike
        for which, times in headless.items():
            painted, detected = headless_once(which)
            times.painted.append(painted)
            if detected is not None:
                times.detected.append(detected)
    rows = _rows("headless", headless)
    if tmux_available():
        terminal = {"wizard": StartupTimes([], []), "minimal": StartupTimes([], [])}
        wizard_argv = python_argv("-m", "nvwizard", "--demo")
        minimal_argv = python_argv("-m", "benchmarks.minimal_app")
        for _ in range(repetitions):
            painted, detected = tmux_once(wizard_argv, DETECT_SCREEN_TEXT, DETECTED_TEXT)
            terminal["wizard"].painted.append(painted)
            terminal["wizard"].detected.append(detected)
            painted, _ = tmux_once(minimal_argv, READY_TEXT, None)
            terminal["minimal"].painted.append(painted)
        rows += _rows("tmux 80x24", terminal)
    else:
        rows.append(Row("start-up", "tmux 80x24", "skipped: tmux not installed"))
    return rows


def _rows(mode: str, times: dict[str, StartupTimes]) -> list[Row]:
    wizard = median(times["wizard"].painted)
    minimal = median(times["minimal"].painted)
    ratio = wizard / minimal
    n = len(times["wizard"].painted)
    return [
        Row(
            "start-up",
            f"{mode}: Detect screen painted (median of {n})",
            f"{wizard:.3f} s = {ratio:.2f}x",
            f"minimal app {minimal:.3f} s",
            f"<= {TARGET_RATIO}x",
            verdict(ratio <= TARGET_RATIO),
        ),
        Row(
            "start-up",
            f"{mode}: demo detected, summary shown",
            f"{median(times['wizard'].detected):.3f} s",
            f"minimal app {minimal:.3f} s",
        ),
    ]
