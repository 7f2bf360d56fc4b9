"""A simulated command is a script: a generator of output lines and pauses, then an exit code.

Every handler (apt_get.py, dpkg.py, tools.py) is written as such a generator. It yields
`OutputLine`s as the real tool would print them and `Pause`s where the real tool would take
time; `SimulatedCommand` plays the script, sleeping each pause scaled by the demo speed.
"""

from __future__ import annotations

import math
import shlex
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from nvwizard.host.base import BURST_LINES, OutputLine, RunningCommand
from nvwizard.simulator.state import Machine

SPEED_ENV = "NVWIZARD_DEMO_SPEED"
FAIL_ENV = "NVWIZARD_DEMO_FAIL"
DEFAULT_SPEED = 1.0
MAX_SPEED = 100.0  # a demo install of about an hour

# Seconds at speed 1: chosen so a purge + install of a driver reads like a real one.
PACE = {
    "read-lists": 0.6,
    "update-source": 0.8,
    "get": 0.25,
    "unpack": 0.3,
    "setup": 0.3,
    "remove": 0.2,
    "dkms-build": 12.0,
    "dkms-line": 0.2,
    "signed-module": 0.6,
    "trigger": 1.2,
    "lock-wait": 1.0,
    "systemctl": 0.3,
    "modprobe": 0.4,  # loading a module (nvidia initialises every GPU: the slow one)
    "rmmod": 0.2,
    "boot": 3.0,  # from `reboot` until the driver is loaded
    "reboot-minute": 5.0,  # each minute of a scheduled `shutdown -r +N`
}


@dataclass(frozen=True)
class Pause:
    seconds: float  # at speed 1


T = TypeVar("T")
# Lines and pauses, then a value: Lines[bool] for a postinst that succeeds or not, ...
Lines = Generator["OutputLine | Pause", None, T]
Script = Lines[int]  # ... and a whole command's, ending with its exit code


@dataclass(frozen=True)
class Invocation:
    """One command to answer: the machine it runs on, its argv, and the demo's failure mode."""

    machine: Machine
    argv: list[str]
    failing_package: str  # NVWIZARD_DEMO_FAIL: this package's postinst fails ("" for none)
    speed: float = DEFAULT_SPEED  # NVWIZARD_DEMO_SPEED
    # apt answers a simulation as if these were purged already (Host.start_after_purge)
    purged: frozenset[str] = frozenset()
    # ... and these released from their hold (the plan's repair step unholds them first)
    unheld: frozenset[str] = frozenset()

    def fails_module(self, action: str, module: str) -> bool:
        """NVWIZARD_DEMO_FAIL=unload:<module> or load:<module>: that modprobe fails."""
        return self.failing_package == f"{action}:{module.replace('-', '_')}"

    @property
    def failing_unload(self) -> str | None:
        """NVWIZARD_DEMO_FAIL=unload:<module>: the module that stays in use."""
        action, _, module = self.failing_package.partition(":")
        return module.replace("-", "_") if action == "unload" and module else None

    @property
    def echo(self) -> str:
        """ "simulated: <the command>", for commands that only pretend to run."""
        return f"simulated: {shlex.join(self.argv)}"


def out(text: str) -> OutputLine:
    return OutputLine("stdout", text)


def err(text: str) -> OutputLine:
    return OutputLine("stderr", text)


def status(text: str) -> OutputLine:
    """A line on apt's Status-Fd (`pmstatus:`, `dlstatus:`, `pmerror:`)."""
    return OutputLine("status", text)


def demo_speed(settings: Mapping[str, str]) -> float:
    """NVWIZARD_DEMO_SPEED as a factor (bad or non-finite values: the default; negative: 0;
    above MAX_SPEED: MAX_SPEED, as a pause longer than the platform's clock is a crash)."""
    raw = settings.get(SPEED_ENV, "").strip()
    if not raw:
        return DEFAULT_SPEED
    try:
        speed = float(raw)
    except ValueError:
        return DEFAULT_SPEED
    if not math.isfinite(speed):
        return DEFAULT_SPEED
    return min(MAX_SPEED, max(0.0, speed))


class SimulatedCommand(RunningCommand):
    """Plays a script: yields its lines, sleeps its pauses (scaled), ends with its exit code;
    then calls `ended` (the machine saves its state there)."""

    def __init__(
        self,
        script: Script,
        speed: float,
        sleep: Callable[[float], object] = time.sleep,
        ended: Callable[[], None] | None = None,
    ):
        self._script = script
        self._speed = speed
        self._sleep = sleep
        self._ended = ended
        self._exit_code: int | None = None

    def lines(self) -> Iterator[OutputLine]:
        for burst in self.bursts():
            yield from burst

    def bursts(self) -> Iterator[list[OutputLine]]:
        """The lines between two pauses form a burst, as a real command's output arrives
        between its silences (at every demo speed, 0 too, so the events are the same)."""
        if self._exit_code is not None:
            return
        burst: list[OutputLine] = []
        try:
            while True:
                item = next(self._script)
                if isinstance(item, Pause):
                    if burst:
                        yield burst
                        burst = []
                    if self._speed > 0 and item.seconds > 0:
                        self._sleep(item.seconds * self._speed)
                    continue
                burst.append(item)
                if len(burst) >= BURST_LINES:
                    yield burst
                    burst = []
        except StopIteration as stop:
            if burst:
                yield burst
            self._exit_code = stop.value if isinstance(stop.value, int) else 0
            if self._ended is not None:
                self._ended()

    def wait(self) -> int:
        for _ in self.lines():
            pass
        return self._exit_code if self._exit_code is not None else 0
