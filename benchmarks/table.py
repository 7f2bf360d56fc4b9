"""The result table: one row per figure, its baseline beside it, the target and a verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MET, MISSED, INFO = "met", "MISSED", ""


@dataclass(frozen=True)
class Row:
    section: str  # "start-up", "detection", "log flood", "scaling"
    figure: str  # what was measured
    value: str  # the measured figure, with its unit
    baseline: str = ""  # the baseline measured in the same run, with its name
    target: str = ""
    verdict: str = INFO  # MET, MISSED or INFO (no target)


def verdict(ok: bool) -> str:
    return MET if ok else MISSED


def format_table(rows: Sequence[Row]) -> str:
    headers = ("section", "figure", "value", "baseline (same run)", "target", "")
    cells = [headers] + [
        (r.section, r.figure, r.value, r.baseline, r.target, r.verdict) for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(headers))]
    lines = []
    for number, cell in enumerate(cells):
        lines.append(
            "  ".join(text.ljust(w) for text, w in zip(cell, widths, strict=True)).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_markdown(rows: Sequence[Row]) -> str:
    lines = [
        "| section | figure | value | baseline (same run) | target | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r.section} | {r.figure} | {r.value} | {r.baseline} | {r.target} | {r.verdict} |"
        )
    return "\n".join(lines)
