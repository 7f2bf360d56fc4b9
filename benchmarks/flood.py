"""3. Log flood: N lines of apt/DKMS output through the engine into the Install screen.

Headless (a pilot inside the app posts the keys) and in a real terminal (tmux sends them,
`script` counts the bytes the app writes to the terminal), beside the engine alone. Each mode
runs once per round and the rounds repeat (interleaved); every figure is the median with its
min and max, and a target holds only when it holds in every repeat. RSS is read when the
flood has been absorbed, and again after `l` opened the full log.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.measure import REPO_ROOT, child_env, median, precompile, python_argv
from benchmarks.table import Row, verdict
from benchmarks.tmux import TmuxServer, TmuxSession, tmux_available

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


def run_terminal(lines: int, scratch: Path, idle_keys: int, server: TmuxServer) -> FloodResult:
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

    with server.session(argv) as pane:
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
        deadline = time.monotonic() + 30
        while "full_log_rss_mb" not in _read(result) and time.monotonic() < deadline:
            time.sleep(0.05)
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


def measure(lines: int, idle_keys: int = 5, repetitions: int = 1) -> list[Row]:
    precompile()
    runs: dict[str, list[FloodResult]] = {}
    with tempfile.TemporaryDirectory(prefix="nvwbench-flood-") as scratch_name:
        with TmuxServer() if tmux_available() else contextlib.nullcontext() as server:
            for round_number in range(repetitions):  # interleaved: every mode once per round
                scratch = Path(scratch_name) / str(round_number)
                scratch.mkdir()
                found = [
                    run_child("engine", lines, scratch),
                    run_child("headless", lines, scratch),
                    run_child("headless", lines, scratch, "--no-keys", label="headless, no keys"),
                    run_child(
                        "follow", lines, scratch, "--no-keys", label="engine in its own process"
                    ),
                ]
                if server is not None:
                    found.append(run_terminal(lines, scratch, idle_keys, server))
                for run in found:
                    runs.setdefault(run.mode, []).append(run)
    engine = runs.pop("engine")
    rows = [_rate_row("engine + journal alone", engine, f"{lines:,} lines", judged=False)]
    for mode_runs in runs.values():
        rows += _rows(mode_runs, engine, lines)
    if "terminal" not in runs:
        rows.append(Row("log flood", "tmux", "skipped: tmux not installed"))
    return rows


def _spread(values: list[float], digits: int = 0, unit: str = "") -> str:
    """ "52,100 (48,000-55,300)": the median, then the min and max."""
    low, mid, high = min(values), median(values), max(values)
    return f"{mid:,.{digits}f} ({low:,.{digits}f}-{high:,.{digits}f}){unit}"


def _mode_name(mode: str) -> str:
    return "tmux" if mode == "terminal" else mode


def _rate_row(what: str, runs: list[FloodResult], baseline: str, judged: bool = True) -> Row:
    rates = [r.lines_per_s for r in runs]
    return Row(
        "log flood",
        f"{what}: lines absorbed (n={len(runs)})",
        _spread(rates, unit=" lines/s"),
        baseline,
        f">= {TARGET_LINES_PER_S:,}/s in every repeat" if judged else "",
        verdict(min(rates) >= TARGET_LINES_PER_S) if judged else "",
    )


def _rows(runs: list[FloodResult], engine: list[FloodResult], lines: int) -> list[Row]:
    mode = _mode_name(runs[0].mode)
    engine_rate = median([r.lines_per_s for r in engine])
    rows = [_rate_row(mode, runs, f"engine alone {engine_rate:,.0f}/s")]
    if runs[0].mode in ("headless", "terminal"):  # the runs that press keys while flooding
        rows.append(_latency_row(mode, runs))
    rss = [r.data["rss_mb"] for r in runs]
    peak = [r.data["peak_rss_mb"] for r in runs]
    rows.append(
        Row(
            "log flood",
            f"{mode}: RSS at the end of the flood / its peak so far (MB)",
            f"{_spread(rss)} / {_spread(peak)}",
            f"engine alone {median([r.data['rss_mb'] for r in engine]):.0f} MB",
            f"peak < {TARGET_RSS_MB} MB",
            verdict(max(peak) < TARGET_RSS_MB),
        )
    )
    if all("full_log_rss_mb" in r.data for r in runs):
        full = [r.data["full_log_rss_mb"] for r in runs]
        shown = [r.data["full_log_s"] * 1000 for r in runs if r.data.get("full_log_s")]
        logged = runs[0].data["memory_log_lines"]
        rows.append(
            Row(
                "log flood",
                f"{mode}: after `l` opened the full log ({logged:,} lines), RSS (MB)",
                _spread(full) + (f"; shown in {_spread(shown, unit=' ms')}" if shown else ""),
                "",
                f"< {TARGET_RSS_MB} MB",
                verdict(max(full) < TARGET_RSS_MB),
            )
        )
    bounded = all(
        r.data["screen_log_lines"] <= (r.data["screen_log_max_lines"] or lines)
        and r.data["screen_log_lines"] < lines
        and r.data["disk_log_lines"] >= lines
        for r in runs
    )
    d = runs[0].data
    rows.append(
        Row(
            "log flood",
            f"{mode}: on-screen log lines / full log on disk",
            f"{d['screen_log_lines']:,} (max {d['screen_log_max_lines']:,}) / "
            f"{d['disk_log_lines']:,}",
            f"{lines:,} lines sent",
            "bounded / all on disk",
            verdict(bounded),
        )
    )
    sent = [r.terminal_bytes_per_s / 1024 for r in runs if r.terminal_bytes_per_s is not None]
    if sent:
        rows.append(
            Row(
                "log flood",
                "tmux: bytes written to the terminal while flooding",
                _spread(sent, unit=" KiB/s"),
                "",
                "(what SSH carries)",
            )
        )
    return rows


def _latency_row(mode: str, runs: list[FloodResult]) -> Row:
    flood = [r for r in runs if r.flood_ms]
    figure = f"{mode}: key latency while flooding (the help toggled), median / max of each repeat"
    idle = [ms for r in runs for ms in r.idle_ms]
    idle_text = f"idle {median(idle):.0f} / {max(idle, default=float('nan')):.0f} ms"
    if not flood:
        return Row("log flood", figure, "n/a: the flood ended before a key", idle_text)
    medians = [median(r.flood_ms) for r in flood]
    worsts = [max(r.flood_ms) for r in flood]
    keys = sum(len(r.flood_ms) for r in flood)
    return Row(
        "log flood",
        f"{figure} (n={len(flood)}, {keys} keys)",
        f"median {_spread(medians, unit=' ms')}; max {_spread(worsts, unit=' ms')}",
        idle_text,
        f"max < {TARGET_MAX_KEY_MS} ms in every repeat",
        verdict(max(worsts) < TARGET_MAX_KEY_MS),
    )
