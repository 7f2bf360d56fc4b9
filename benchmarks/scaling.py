"""4. Scaling: from 1 to 64 GPUs and from 24 to 3,000 installed NVIDIA packages, on synthetic
bundles made from the hgx-h100 demo (bundles.py): start-up to the detection result,
`detect --json`, plan building, and the two screens whose content grows with the machine:
the Purge screen (one row per package) and the Select table.

Every point is measured once per round, and the rounds repeat (interleaved, so drift on a
shared machine hits every point alike); each figure is the median with its min and max. A
series is judged to grow faster than linearly only where its growth stands well above the
noise of its own repeats (sub-millisecond wobble is not growth).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bundles import make_bundle
from benchmarks.detection import detect_argv
from benchmarks.measure import REPO_ROOT, child_env, median, precompile, python_argv, time_command
from benchmarks.startup import headless_once
from benchmarks.table import INFO, Row, verdict

GPU_COUNTS = (1, 8, 16, 64)
PACKAGE_COUNTS = (24, 300, 1000, 3000)  # 24: the hgx-h100 demo's own
PACKAGE_AXIS_GPUS = 8  # the demo's count: the package series changes packages alone
# A series grows faster than linearly when its slope over the upper half of the range is
# this many times its slope over the lower half, and its growth stands above the noise.
SUPERLINEAR_FACTOR = 2.0
NOISE_FACTOR = 3.0  # growth must exceed this many times the widest spread of a point
PURGE_TARGET_RATIO = 1.5  # the Purge screen with 3,000 packages against 24
SCREEN_TIMEOUT_S = 60.0


def screen_answer_s(which: str, bundle: Path, timeout_s: float = SCREEN_TIMEOUT_S) -> float:
    """Seconds from the key that opens `which` (purge, select) until it answers a key; inf
    when it does not within the timeout."""
    completed = subprocess.run(
        python_argv(
            "-m",
            "benchmarks.screens_probe",
            which,
            "--timeout",
            str(timeout_s),
            "--machine",
            str(bundle),
        ),  # fmt: skip
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=3 * timeout_s + 30,
        check=False,
    )
    marks = dict(line.split() for line in completed.stdout.splitlines() if line.count(" ") == 1)
    if "answered" in marks:
        return float(marks["answered"])
    if "timeout" in marks:
        return float("inf")
    raise RuntimeError(f"screens probe {which} failed: {completed.stderr.strip()[-500:]}")


def plan_build_ms(bundle: Path, repetitions: int) -> float:
    from nvwizard.host.bundle import BundleHost
    from nvwizard.plan.build import build_plan, default_choices
    from nvwizard.report.build import build_report

    report = build_report(BundleHost(bundle))
    choices = default_choices(report)
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        build_plan(report, choices)
        times.append(time.perf_counter() - started)
    return 1000 * median(times)


@dataclass
class Point:
    gpus: int
    packages: int
    bundle: Path
    figures: dict[str, list[float]] = field(default_factory=dict)

    def add(self, figure: str, value: float) -> None:
        self.figures.setdefault(figure, []).append(value)


# figure -> (how to measure it once on a bundle, unit, digits shown)
FIGURES: dict[str, tuple[Callable[[Path], float], str, int]] = {
    "start-up to the detection result": (
        lambda b: headless_once("wizard", "--machine", str(b))[1] or float("nan"),
        "s",
        3,
    ),
    "detect --json": (lambda b: time_command(detect_argv("--machine", str(b))), "s", 3),
    "plan building": (lambda b: plan_build_ms(b, 5), "ms", 2),
    "Purge screen answers (from n)": (lambda b: screen_answer_s("purge", b), "s", 3),
    "Select table answers (from Enter)": (lambda b: screen_answer_s("select", b), "s", 3),
}


def measure(
    repetitions: int,
    gpu_counts: Sequence[int] = GPU_COUNTS,
    package_counts: Sequence[int] = PACKAGE_COUNTS,
) -> list[Row]:
    precompile()
    with tempfile.TemporaryDirectory(prefix="nvwbench-scaling-") as scratch_name:
        scratch = Path(scratch_name)
        base = package_counts[0]
        wanted = [(g, base) for g in gpu_counts] + [(PACKAGE_AXIS_GPUS, p) for p in package_counts]
        points = {
            (g, p): Point(g, p, make_bundle(scratch / f"gpus-{g}-packages-{p}", g, p))
            for g, p in dict.fromkeys(wanted)
        }
        for _ in range(repetitions):  # interleaved: every point once per round
            for point in points.values():
                for figure, (measure_once, _unit, _digits) in FIGURES.items():
                    point.add(figure, measure_once(point.bundle))
    by_gpus = [points[(g, base)] for g in gpu_counts]
    by_packages = [points[(PACKAGE_AXIS_GPUS, p)] for p in package_counts]
    rows = _rows(f"GPUs ({base} packages)", [p.gpus for p in by_gpus], by_gpus)
    rows += _rows(
        f"NVIDIA packages ({PACKAGE_AXIS_GPUS} GPUs)",
        [p.packages for p in by_packages],
        by_packages,
    )
    rows.append(_purge_row(by_packages))
    return rows


def _finite_spread(values: Sequence[float]) -> float:
    finite = [v for v in values if v != float("inf")]
    return max(finite) - min(finite) if len(finite) > 1 else 0.0


def _shown(value: float, digits: int) -> str:
    return "timeout" if value == float("inf") else f"{value:.{digits}f}"


def superlinear(xs: Sequence[int], ys: Sequence[float], noise: float = 0.0) -> bool:
    """Whether ys grows faster than linearly in xs, by more than `noise`."""
    middle = len(xs) // 2
    low = (ys[middle] - ys[0]) / max(1, xs[middle] - xs[0])
    high = (ys[-1] - ys[middle]) / max(1, xs[-1] - xs[middle])
    growth = ys[-1] - ys[0]
    if growth <= NOISE_FACTOR * noise:
        return False
    return high > SUPERLINEAR_FACTOR * max(low, 0.0) + 1e-9


def _rows(axis: str, xs: list[int], points: list[Point]) -> list[Row]:
    rows = []
    for figure, (_measure, unit, digits) in FIGURES.items():
        samples = [p.figures[figure] for p in points]
        ys = [median(s) for s in samples]
        noise = max(_finite_spread(s) for s in samples)
        values = " ".join(
            f"{x}:{_shown(y, digits)} ({_shown(min(s), digits)}-{_shown(max(s), digits)})"
            for x, y, s in zip(xs, ys, samples, strict=True)
        )
        grows = superlinear(xs, ys, noise)
        judged = ys[-1] - ys[0] > NOISE_FACTOR * noise
        rows.append(
            Row(
                "scaling",
                f"{figure} by {axis} (median of {len(samples[0])})",
                f"{values} {unit}",
                f"noise (widest spread) {_shown(noise, digits)} {unit}",
                "at most linear",
                verdict(not grows) if judged else INFO,
            )
        )
    return rows


def _purge_row(by_packages: list[Point]) -> Row:
    figure = "Purge screen answers (from n)"
    first, last = by_packages[0], by_packages[-1]
    ratio = median(last.figures[figure]) / median(first.figures[figure])
    return Row(
        "scaling",
        f"Purge screen, {last.packages:,} packages against {first.packages}",
        "never (timeout)" if ratio == float("inf") else f"{ratio:.2f}x",
        f"{first.packages} packages {median(first.figures[figure]):.3f} s",
        f"<= {PURGE_TARGET_RATIO}x",
        verdict(ratio <= PURGE_TARGET_RATIO),
    )
