"""1. Start-up: process start to the first painted Detect screen of `nvwizard --demo`, and to its
detection result ("Detected ..."), beside a minimal Textual app painting one static screen,
headless and in a real terminal (tmux). Headless also: to the wizard being ready, its own
state built so that it acts on a key (the demo's detection is done ahead by a child process
for the first frame, cli/detect_ahead.py; the wizard builds its state after that frame, and
holds keys until then). Ready has no target: it is shown so the speed-up hides no wait.

The sources are compiled first (as a pip install does), the runs are interleaved (one of each
per round, so drift on a shared machine hits both alike), and each figure is the median with
its min and max. The tmux server is started before anything is timed.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from dataclasses import dataclass, field

from benchmarks.measure import REPO_ROOT, child_env, median, precompile, python_argv, spread
from benchmarks.minimal_app import READY_TEXT
from benchmarks.table import INFO, Row, verdict
from benchmarks.tmux import TmuxServer, tmux_available

PAINTED_TARGET_RATIO = 1.3
DETECTED_TARGET_RATIO = 1.2
DETECT_SCREEN_TEXT = "[1 Detect]"  # the step bar, painted with the Detect screen
DETECTED_TEXT = "✓ Detected"  # the summary, once detection has finished
TIMEOUT_S = 30.0


@dataclass
class StartupTimes:
    painted: list[float] = field(default_factory=list)
    detected: list[float] = field(default_factory=list)  # empty for the minimal app
    ready: list[float] = field(default_factory=list)  # acts on keys (headless wizard only)
    # CPU seconds of each phase to the first frame: importing Textual (with the interpreter's
    # own start), then the app's modules, then starting the app to its first frame
    phases: list[tuple[float, float, float]] = field(default_factory=list)
    child_cpu: list[float] = field(default_factory=list)  # the wizard's detection-ahead child


def headless_once(which: str, *options: str) -> tuple[float, float | None]:
    """Seconds from starting the probe process to its first painted screen (and detection)."""
    marks = headless_marks(which, *options)
    return marks["painted"], marks.get("detected")


def cpu_phases(marks: dict[str, float]) -> tuple[float, float, float]:
    textual, imported = marks["textual_cpu"], marks["imported_cpu"]
    return textual, imported - textual, marks["painted_cpu"] - imported


def headless_marks(which: str, *options: str) -> dict[str, float]:
    """The probe's marks: `painted`, `detected` and `ready` in seconds from starting its
    process, the `*_cpu` ones in the process's CPU seconds (startup_probe.py)."""
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
    lines = (line.split() for line in completed.stdout.splitlines() if line.count(" ") == 1)
    marks = {name: float(value) for name, value in lines}
    if "painted" not in marks:
        raise RuntimeError(f"startup probe {which} failed: {completed.stderr.strip()[-500:]}")
    for name in ("painted", "detected", "ready"):
        if name in marks:
            marks[name] -= started
    return marks


def tmux_once(server: TmuxServer, argv: list[str], painted_text: str, ready_text: str | None):
    """Seconds from starting the pane to `painted_text` (and `ready_text`) on screen."""
    with server.session(argv) as pane:
        texts = [painted_text, ready_text] if ready_text else [painted_text]
        seen = [at - pane.started_at for at in pane.wait_for_each(texts, TIMEOUT_S)]
    return seen[0], seen[1] if ready_text else None


def measure(repetitions: int) -> list[Row]:
    precompile()
    headless = {"wizard": StartupTimes(), "minimal": StartupTimes()}
    terminal = {"wizard": StartupTimes(), "minimal": StartupTimes()}
    wizard_argv = python_argv("-m", "nvwizard", "--demo")
    minimal_argv = python_argv("-m", "benchmarks.minimal_app")
    with TmuxServer() if tmux_available() else contextlib.nullcontext() as server:
        for _ in range(repetitions):  # interleaved, so drift hits every figure alike
            for which, times in headless.items():
                marks = headless_marks(which)
                times.painted.append(marks["painted"])
                times.phases.append(cpu_phases(marks))
                if "detected" in marks:
                    times.detected.append(marks["detected"])
                if "ready" in marks:
                    times.ready.append(marks["ready"])
                if "child_cpu" in marks:
                    times.child_cpu.append(marks["child_cpu"])
            if server is None:
                continue
            painted, detected = tmux_once(server, wizard_argv, DETECT_SCREEN_TEXT, DETECTED_TEXT)
            terminal["wizard"].painted.append(painted)
            terminal["wizard"].detected.append(detected or float("nan"))
            painted, _ = tmux_once(server, minimal_argv, READY_TEXT, None)
            terminal["minimal"].painted.append(painted)
    rows = _rows("headless", headless) + [_phases_row(headless)]
    if headless["wizard"].child_cpu:
        rows.append(_child_row(headless["wizard"].child_cpu))
    if terminal["wizard"].painted:
        rows += _rows("tmux 80x24", terminal)
    else:
        rows.append(Row("start-up", "tmux 80x24", "skipped: tmux not installed"))
    return rows


def _rows(mode: str, times: dict[str, StartupTimes]) -> list[Row]:
    minimal = median(times["minimal"].painted)
    baseline = f"minimal app {spread(times['minimal'].painted)}"
    n = len(times["wizard"].painted)
    rows = []
    figures: list[tuple[str, list[float], float | None]] = [
        ("Detect screen painted", times["wizard"].painted, PAINTED_TARGET_RATIO),
        ("detection result shown", times["wizard"].detected, DETECTED_TARGET_RATIO),
    ]
    if times["wizard"].ready:
        figures.append(("ready, acts on keys", times["wizard"].ready, None))
    for what, values, target in figures:
        ratio = median(values) / minimal
        rows.append(
            Row(
                "start-up",
                f"{mode}: {what} (median of {n})",
                f"{spread(values)} = {ratio:.2f}x",
                baseline,
                f"<= {target}x" if target else "",
                verdict(ratio <= target) if target else INFO,
            )
        )
    return rows


def _child_row(child_cpu: list[float]) -> Row:
    """The CPU the child that detects ahead used: not in the figures above (another process,
    on another core where there is one), shown so that no work is hidden."""
    return Row(
        "start-up",
        "headless: CPU time of the wizard's detection-ahead child (median)",
        f"{median(child_cpu) * 1000:.0f} ms ({min(child_cpu) * 1000:.0f}-"
        f"{max(child_cpu) * 1000:.0f})",
    )


def _phases_row(times: dict[str, StartupTimes]) -> Row:
    """Where the CPU time to the first frame goes, beside the minimal app's: what is left to
    take out of the start-up is read here, not guessed."""

    def shown(phases: list[tuple[float, float, float]]) -> str:
        textual, own, started = (median([p[i] for p in phases]) * 1000 for i in range(3))
        return (
            f"Textual imported {textual:.0f} ms, its own modules +{own:.0f} ms, "
            f"started to the first frame +{started:.0f} ms"
        )

    return Row(
        "start-up",
        "headless: CPU time to the first frame, by phase (medians)",
        shown(times["wizard"].phases),
        f"minimal app: {shown(times['minimal'].phases)}",
    )
