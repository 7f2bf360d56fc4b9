"""Which machine the numbers came from: printed above the table."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe_machine() -> str:
    try:
        textual = metadata.version("textual")
    except metadata.PackageNotFoundError:
        textual = "not installed"
    python = sys.version.split()[0]
    return (
        f"machine: {os.cpu_count()} CPU(s) ({len(os.sched_getaffinity(0))} usable), "
        f"{cpu_model()}; Python {python}; Textual {textual}; {platform.system()} "
        f"{platform.release()}"
    )
