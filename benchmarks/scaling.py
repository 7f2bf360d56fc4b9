"""4. Scaling: start-up, detection and plan building from 1 to 8 GPUs and from 0 to 300
installed NVIDIA packages, on synthetic bundles made from the hgx-h100 demo (bundles.py).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bundles import make_bundle
from benchmarks.detection import time_detect
from benchmarks.measure import median
from benchmarks.startup import headless_once
from benchmarks.table import Row, verdict

GPU_COUNTS = (1, 2, 4, 8)
PACKAGE_COUNTS = (0, 100, 200, 300)
# A series grows faster than linearly when its slope over the upper half of the range is
# this many times its slope over the lower half, and the growth is not lost in the noise.
SUPERLINEAR_FACTOR = 2.0
NOISE_SHARE = 0.10


@dataclass(frozen=True)
class Point:
    gpus: int
    packages: int | None  # None: as the demo has them
    startup_s: float  # headless, process start to the detected summary
    detect_s: float  # `detect --json --machine`
    plan_ms: float  # build_plan(report, default choices), in-process


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


def measure_point(bundle: Path, gpus: int, packages: int | None, repetitions: int) -> Point:
    startups = [headless_once("wizard", "--machine", str(bundle))[1] for _ in range(repetitions)]
    return Point(
        gpus,
        packages,
        median(startups),
        median(time_detect(["--machine", str(bundle)], repetitions)),
        plan_build_ms(bundle, max(5, repetitions)),
    )


def superlinear(xs: Sequence[int], ys: Sequence[float]) -> bool:
    middle = len(xs) // 2
    low = (ys[middle] - ys[0]) / max(1, xs[middle] - xs[0])
    high = (ys[-1] - ys[middle]) / max(1, xs[-1] - xs[middle])
    growth = ys[-1] - ys[0]
    return growth > NOISE_SHARE * ys[0] and high > SUPERLINEAR_FACTOR * max(low, 0.0) + 1e-9


def measure(
    repetitions: int,
    gpu_counts: Sequence[int] = GPU_COUNTS,
    package_counts: Sequence[int] = PACKAGE_COUNTS,
) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="nvwbench-scaling-") as scratch_name:
        scratch = Path(scratch_name)
        by_gpus = [
            measure_point(make_bundle(scratch / f"gpus-{g}", g, None), g, None, repetitions)
            for g in gpu_counts
        ]
        top = max(gpu_counts)
        by_packages = [
            measure_point(make_bundle(scratch / f"packages-{p}", top, p), top, p, repetitions)
            for p in package_counts
        ]
    return _rows("GPUs", [p.gpus for p in by_gpus], by_gpus) + _rows(
        f"NVIDIA packages ({top} GPUs)", [p.packages for p in by_packages], by_packages
    )


def _rows(axis: str, xs: list[int], points: list[Point]) -> list[Row]:
    rows = []
    series = (
        ("start-up to summary", [p.startup_s for p in points], "s", 3),
        ("detect --json", [p.detect_s for p in points], "s", 3),
        ("plan building", [p.plan_ms for p in points], "ms", 2),
    )
    for name, ys, unit, digits in series:
        values = " ".join(f"{x}:{y:.{digits}f}" for x, y in zip(xs, ys, strict=True))
        rows.append(
            Row(
                "scaling",
                f"{name} by {axis}",
                f"{values} {unit}",
                f"at {xs[0]}: {ys[0]:.{digits}f} {unit}",
                "at most linear",
                verdict(not superlinear(xs, ys)),
            )
        )
    return rows
