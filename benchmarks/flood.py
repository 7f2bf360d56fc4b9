"""3. Log flood: N lines of apt/DKMS output through the engine into the Install screen.

Headless (a pilot inside the app posts the keys) and in a real terminal (tmux sends them,
`script` counts the bytes the app writes to the terminal), beside the engine alone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.measure import REPO_ROOT, child_env, median, python_argv
from benchmarks.table import Row, verdict
from benchmarks.tmux import TmuxSession, tmux_available

TARGET_LINES_PER_S = 50_000
TARGET_MAX_KEY_MS = 150
TARGET_RSS_MB = 150
HELP_TEXT = "Keys (everything works without a mouse)"
PLAN_READY_TEXT = "Install: run these"
FULL_LOG_TEXT = "Full log:"
KEY_GAP_S = 0.05
SETTLE_S = 0.3
BYTES_SAMPLE_S = 0.005
TIMEOUT_S = 180.0


@dataclass
class FloodResult:
    mode: str
    data: dict
    idle_ms: list[float] = field(default_factory=list)
    flood_ms: list[float] = field(default_factory=list)
    terminal_bytes_per_s: float | None = None

    @property
    def seconds(self) -> float:
        return self.data["absorbed_at"] - self.data["started_at"]

    @property
    def lines_per_s(self) -> float:
        return self.data["lines"] / self.seconds


def _harness_argv(mode: str, lines: int, result: Path, log_dir: Path) -> list[str]:
    return python_argv(
        "-m", "benchmarks.flood_app", mode, "--lines", str(lines),
        "--result", str(result), "--log-dir", str(log_dir),
    )  # fmt: skip


def _read(result: Path) -> dict:
    try:
        return json.loads(result.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run_child(mode: str, lines: int, scratch: Path, *options: str, label: str = "") -> FloodResult:
    label = label or mode
    result = scratch / f"{label}.json"
    completed = subprocess.run(
        _harness_argv(mode, lines, result, scratch / label) + list(options),
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    data = _read(result)
    if completed.returncode != 0 or "absorbed_at" not in data:
        why = data.get("error") or completed.stderr.strip()[-800:]
        raise RuntimeError(f"flood harness ({label}) failed: {why}")
    ms = [1000 * s for s in data.get("idle_latencies", [])]
    return FloodResult(label, data, ms, [1000 * s for s in data.get("flood_latencies", [])])


def _help_toggle(pane: TmuxSession) -> list[float]:
    """Open and close the help with `?`: seconds until each shows on the terminal."""
    sent = time.monotonic()
    pane.send("?")
    opened = pane.wait_for(HELP_TEXT, 30) - sent
    time.sleep(KEY_GAP_S)
    sent = time.monotonic()
    pane.send("?")
    closed = pane.wait_for(HELP_TEXT, 30, present=False) - sent
    return [opened, closed]


def run_terminal(lines: int, scratch: Path, idle_keys: int) -> FloodResult:
    result = scratch / "terminal.json"
    typescript = scratch / "terminal.typescript"
    argv = _harness_argv("terminal", lines, result, scratch / "terminal")
    counting = shutil.which("script") is not None
    if counting:  # script copies the app's terminal output to a file as it goes (-f)
        argv = ["script", "-q", "-f", "-c", subprocess.list2cmdline(argv), str(typescript)]

    samples: list[tuple[float, int]] = []  # (when, bytes written to the terminal so far)
    sampling = threading.Event()

    def sample_bytes() -> None:
        while not sampling.is_set():
            size = typescript.stat().st_size if typescript.exists() else 0
            samples.append((time.monotonic(), size))
            time.sleep(BYTES_SAMPLE_S)

    with TmuxSession(argv) as pane:
        pane.wait_for(PLAN_READY_TEXT, 60)
        idle = [s for _ in range(idle_keys) for s in _help_toggle(pane)]
        # Closing the help restores the old focus a moment later: let it, or it takes back
        # the focus `n` gives the Install button and Enter does not press it.
        time.sleep(SETTLE_S)
        pane.send("n")
        time.sleep(SETTLE_S)
        sampler = threading.Thread(target=sample_bytes, daemon=True)
        sampler.start()
        pane.send("Enter")
        deadline = time.monotonic() + 30
        while "started_at" not in _read(result):
            if time.monotonic() > deadline:
                raise RuntimeError(f"Enter did not start the apply; screen:\n{pane.capture()}")
            time.sleep(0.01)
        flooding: list[float] = []
        started = time.monotonic()
        while "absorbed_at" not in _read(result):
            flooding += _help_toggle(pane)
            time.sleep(KEY_GAP_S)
            if time.monotonic() - started > TIMEOUT_S:
                raise RuntimeError("the terminal flood did not finish in time")
        time.sleep(2 * BYTES_SAMPLE_S)
        sampling.set()
        sampler.join()
        pane.send("l")
        pane.wait_for(FULL_LOG_TEXT, 60)
        pane.send("q")
        deadline = time.monotonic() + 30
        while _read(result).get("phase") != "exited" and time.monotonic() < deadline:
            time.sleep(0.05)
    data = _read(result)
    flood = FloodResult("terminal", data, [1000 * s for s in idle], [1000 * s for s in flooding])
    if counting and samples:
        # The bytes written while the engine ran, from the samples around its start and end.
        started = max((s for s in samples if s[0] <= data["started_at"]), default=samples[0])
        ended = min((s for s in samples if s[0] >= data["absorbed_at"]), default=samples[-1])
        if ended[0] > started[0]:
            flood.terminal_bytes_per_s = (ended[1] - started[1]) / (ended[0] - started[0])
    return flood


def measure(lines: int, idle_keys: int = 5) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="nvwbench-flood-") as scratch_name:
        scratch = Path(scratch_name)
        engine = run_child("engine", lines, scratch)
        runs = [
            run_child("headless", lines, scratch),
            run_child("headless", lines, scratch, "--no-keys", label="headless, no keys"),
            run_child("follow", lines, scratch, "--no-keys", label="engine in its own process"),
        ]
        if tmux_available():
            runs.append(run_terminal(lines, scratch, idle_keys))
        rows = [
            Row(
                "log flood",
                f"engine + journal alone, {lines:,} lines",
                f"{engine.lines_per_s:,.0f} lines/s",
                "",
                f">= {TARGET_LINES_PER_S:,}/s",
                verdict(engine.lines_per_s >= TARGET_LINES_PER_S),
            )
        ]
        for run in runs:
            rows += _rows(run, engine, lines)
        if not tmux_available():
            rows.append(Row("log flood", "tmux", "skipped: tmux not installed"))
    return rows


def _rows(run: FloodResult, engine: FloodResult, lines: int) -> list[Row]:
    d = run.data
    mode = "tmux" if run.mode == "terminal" else run.mode
    rows = [
        Row(
            "log flood",
            f"{mode}: lines absorbed by the Install screen",
            f"{run.lines_per_s:,.0f} lines/s ({run.seconds:.1f} s)",
            f"engine alone {engine.lines_per_s:,.0f}/s",
            f">= {TARGET_LINES_PER_S:,}/s",
            verdict(run.lines_per_s >= TARGET_LINES_PER_S),
        ),
        Row(
            "log flood",
            f"{mode}: RSS after the flood (peak)",
            f"{d['rss_mb']:.0f} MB ({d['peak_rss_mb']:.0f} MB)",
            f"engine alone {engine.data['rss_mb']:.0f} MB",
            f"< {TARGET_RSS_MB} MB",
            verdict(d["peak_rss_mb"] < TARGET_RSS_MB),
        ),
        Row(
            "log flood",
            f"{mode}: on-screen log lines / full log on disk",
            f"{d['screen_log_lines']:,} (max {d['screen_log_max_lines']:,}) / "
            f"{d['disk_log_lines']:,}",
            f"{lines:,} lines sent",
            "bounded / all on disk",
            verdict(
                d["screen_log_lines"] <= (d["screen_log_max_lines"] or lines)
                and d["screen_log_lines"] < lines
                and d["disk_log_lines"] >= lines
            ),
        ),
    ]
    if run.mode in ("headless", "terminal"):  # the runs that press keys while flooding
        rows.insert(1, _latency_row(mode, run))
    if "full_log_rss_mb" in d:
        shown = d.get("full_log_s")
        if shown is None and "full_log_shown_at" in d:
            shown = None  # the terminal run times it from outside; see the tmux row below
        rows.append(
            Row(
                "log flood",
                f"{mode}: `l` full log ({d['memory_log_lines']:,} lines) shown, RSS",
                (f"{shown * 1000:.0f} ms, " if shown is not None else "")
                + f"{d['full_log_rss_mb']:.0f} MB",
                "",
                f"< {TARGET_RSS_MB} MB",
                verdict(d["full_log_rss_mb"] < TARGET_RSS_MB),
            )
        )
    if run.terminal_bytes_per_s is not None:
        rows.append(
            Row(
                "log flood",
                "tmux: bytes written to the terminal while flooding",
                f"{run.terminal_bytes_per_s / 1024:,.0f} KiB/s",
                "",
                "(what SSH carries)",
            )
        )
    return rows


def _latency_row(mode: str, run: FloodResult) -> Row:
    figure = f"{mode}: key latency while flooding, median / max (n={len(run.flood_ms)})"
    idle = f"idle {median(run.idle_ms):.0f} / {max(run.idle_ms, default=float('nan')):.0f} ms"
    if not run.flood_ms:
        return Row("log flood", figure, "n/a: the flood ended before a key", idle)
    worst = max(run.flood_ms)
    return Row(
        "log flood",
        figure,
        f"{median(run.flood_ms):.0f} / {worst:.0f} ms",
        idle,
        f"max < {TARGET_MAX_KEY_MS} ms",
        verdict(worst < TARGET_MAX_KEY_MS),
    )
