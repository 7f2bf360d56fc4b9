"""`python -m benchmarks [--quick] [--only NAME ...] [--lines N] [--markdown]`

Runs every measurement on this machine in one go and prints one table: each figure beside its
baseline measured in the same run, the target, and whether it is met.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks import detection, flood, scaling, startup
from benchmarks.machine import describe_machine
from benchmarks.table import MISSED, Row, format_markdown, format_table


@dataclass(frozen=True)
class Sizes:
    startup_runs: int
    detect_runs: int
    flood_lines: int
    flood_runs: int
    idle_keys: int
    scaling_runs: int
    gpu_counts: tuple[int, ...]
    package_counts: tuple[int, ...]


# At least 7 interleaved repeats of everything: fewer are too few on a shared machine.
FULL = Sizes(7, 10, 200_000, 7, 5, 7, scaling.GPU_COUNTS, scaling.PACKAGE_COUNTS)
QUICK = Sizes(1, 2, 20_000, 1, 2, 1, (1, 8), (24, 300))


def measurements(sizes: Sizes) -> dict[str, Callable[[], list[Row]]]:
    return {
        "startup": lambda: startup.measure(sizes.startup_runs),
        "detection": lambda: detection.measure(sizes.detect_runs),
        "flood": lambda: flood.measure(sizes.flood_lines, sizes.idle_keys, sizes.flood_runs),
        "scaling": lambda: scaling.measure(
            sizes.scaling_runs, sizes.gpu_counts, sizes.package_counts
        ),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure nvwizard's start-up, detection, log flood and scaling, "
        "each beside its baseline, in one run on this machine.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="one repetition, 20,000 lines, fewer sizes"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("startup", "detection", "flood", "scaling"),
        help="run only these measurements",
    )
    parser.add_argument("--lines", type=int, help="log flood size (default 200,000)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.lines is not None:
        if args.lines < 1:
            print("benchmarks: --lines must be at least 1", file=sys.stderr)
            return 2
        sizes = Sizes(**{**sizes.__dict__, "flood_lines": args.lines})
    rows: list[Row] = []
    failed = False
    started = time.monotonic()
    for name, measure in measurements(sizes).items():
        if args.only and name not in args.only:
            continue
        print(f"measuring {name}...", file=sys.stderr, flush=True)
        try:
            rows += measure()
        except Exception as error:  # one broken measurement must not hide the others
            failed = True
            rows.append(Row(name, "measurement failed", f"{type(error).__name__}: {error}"[:200]))
    print(describe_machine())
    print(f"run: {'quick' if args.quick else 'full'}, {time.monotonic() - started:.0f} s")
    print(format_markdown(rows) if args.markdown else format_table(rows))
    return 1 if failed else (3 if any(r.verdict == MISSED for r in rows) else 0)


if __name__ == "__main__":
    sys.exit(main())
