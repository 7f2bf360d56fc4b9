"""apt's `-o APT::Status-Fd=N` progress: `pmstatus:` lines whose percentage counts dpkg actions."""

from __future__ import annotations

from collections.abc import Iterator

from nvwizard.host.base import OutputLine
from nvwizard.simulator.script import status

# dpkg actions apt counts per package: removing (prepare, remove, purge twice) and installing
# (prepare, unpack, install; then prepare to configure, configure, installed)
REMOVE_STEPS = 4
INSTALL_STEPS = 6


class Progress:
    """apt's Status-Fd percentages: one step per dpkg action, as apt counts them.

    Disabled (no Status-Fd asked for), it still counts but prints nothing."""

    def __init__(self, enabled: bool, steps: int):
        self.enabled = enabled
        self.steps = max(steps, 1)
        self.done = 0

    @classmethod
    def for_transaction(cls, enabled: bool, removing: int, installing: int) -> Progress:
        return cls(enabled, steps=removing * REMOVE_STEPS + installing * INSTALL_STEPS)

    def percent(self) -> float:
        return min(100.0, self.done / self.steps * 100)

    def skip(self, count: int) -> None:
        """Count actions that print no status line (apt still counted them)."""
        self.done += count

    def emit(self, package: str, text: str) -> Iterator[OutputLine]:
        """The `pmstatus:` line for the next action on `package`, then count it."""
        if self.enabled:
            yield status(f"pmstatus:{package}:{self.percent():.4f}:{text}")
        self.done += 1

    def error(self, package: str, message: str) -> Iterator[OutputLine]:
        """A `pmerror:` line at the current percentage (counts nothing)."""
        if self.enabled:
            yield status(f"pmerror:{package}:{self.percent():.4f}:{message}")
