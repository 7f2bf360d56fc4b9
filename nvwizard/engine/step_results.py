"""What the engine makes of a step's output: the failure it carries up (`StepFailed`), the
lines that explain it, apt's lock wait as a countdown, and the checks of the verify and the
developer stack's simulation. No I/O: the runner (runner.py) hands the lines in."""

from __future__ import annotations

import time
from collections.abc import Sequence

from nvwizard.engine import events as ev
from nvwizard.engine.diagnose import Diagnosis, lock_holder
from nvwizard.engine.redrawn_lines import final_state
from nvwizard.plan.simulate import driver_packages_touched, parse_simulation

RELEVANT_LINES = 12  # lines shown with a failure


class StepFailed(Exception):
    def __init__(self, exit_code: int, diagnosis: Diagnosis, lines: list[str]):
        super().__init__(diagnosis.message)
        self.exit_code = exit_code
        self.diagnosis = diagnosis
        self.lines = lines


def fully_installed(abbrev: str) -> bool:
    """db:Status-Abbrev: wanted (i/h for hold), state i (installed), no error flag."""
    return len(abbrev) >= 2 and abbrev[0] in "ih" and abbrev[1] == "i" and not abbrev[2:].strip()


def relevant_lines(lines: Sequence[str], limit: int = RELEVANT_LINES) -> list[str]:
    """The lines that explain a failure: apt/dpkg errors first, else the last lines; each as
    a terminal leaves it (a redrawn progress line in its final state)."""
    markers = ("E: ", "W: ", "dpkg: ", "error", "Error", "failed", "Failed", "held by")
    lines = [final_state(line) for line in lines]
    picked = [line for line in lines if any(m in line for m in markers)]
    return (picked or list(lines))[-limit:]


LOCK_WAIT_PREFIX = "Waiting for cache lock"
LOCK_SOURCE = "dpkg-lock.txt"  # the host's view of who holds the dpkg/apt locks now


class LockWait:
    """apt's "Waiting for cache lock: ... held by process N (name)..." lines, as a countdown."""

    def __init__(self, argv: Sequence[str]):
        self.timeout_s = next(
            (int(a.split("=", 1)[1]) for a in argv if a.startswith("DPkg::Lock::Timeout=")), None
        )
        self.started: float | None = None

    def seen(self, line: str, step: str) -> ev.StepProgress | None:
        """None for the first line (shown as is), then the countdown as a progress event."""
        now = time.monotonic()
        if self.started is None:
            self.started = now
            return None
        waited = now - self.started
        holder = lock_holder([line]) or "another package manager"
        if self.timeout_s:
            left = max(0, round(self.timeout_s - waited))
            text = f"waiting for the lock held by {holder}: {left} s left"
            percent = min(100.0, 100.0 * waited / self.timeout_s)
        else:
            text, percent = f"waiting for the lock held by {holder}", 0.0
        return ev.StepProgress(step=step, percent=round(percent, 1), text=text, phase="lock-wait")


def check_stack(argv: list[str], lines: list[str]) -> StepFailed | None:
    """The developer stack's `apt-get -s install`: no driver package installed or upgraded,
    nothing removed (a toolkit that pulls cuda-drivers would replace the driver)."""
    result = parse_simulation("\n".join(lines), argv, 0)
    pulled = driver_packages_touched(result)
    removed = sorted(result.remove)
    if not pulled and not removed:
        return None
    parts = []
    if pulled:
        parts.append("it would install driver packages: " + ", ".join(pulled))
    if removed:
        parts.append("it would remove: " + ", ".join(removed))
    return StepFailed(
        1,
        Diagnosis(
            "stack-touches-driver",
            "the developer stack must leave the driver alone, but " + "; ".join(parts),
            "Nothing of the stack was installed. Check the apt pin on NVIDIA's CUDA repository "
            "(/etc/apt/preferences.d/) and ask for cuda-toolkit-X-Y, never cuda or cuda-X-Y.",
        ),
        lines,
    )
