"""The fake machine of the log flood: the HGX demo, whose one install command prints a flood.

`FloodHost` reads every fact from the hgx-h100 demo bundle, but its `start()` runs nothing:
the command "prints" `count` realistic apt/DKMS lines as fast as the engine takes them.
`FloodBackend` is the wizard's real backend with the plan replaced by that one command.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from benchmarks.flood_lines import flood_lines
from nvwizard.host.base import BURST_LINES, OutputLine, RunningCommand
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import find_demo
from nvwizard.plan import models as pm
from nvwizard.plan.models import Choices, Plan, Step
from nvwizard.plan.simulate import Simulation, SimulationCheck
from nvwizard.tui.backend import LayersBackend

FLOOD_DRIVER = "nvidia-driver-595-server-open"
# apt and DKMS write to a pipe through a block buffer: a reader gets 4 KiB at a time at most
# (glibc's buffer), however fast the writer is. The bursts here are that size, never larger.
PIPE_CHUNK_BYTES = 4096


class FloodCommand(RunningCommand):
    def __init__(self, count: int):
        self.count = count

    def lines(self) -> Iterator[OutputLine]:
        return flood_lines(self.count)

    def bursts(self) -> Iterator[list[OutputLine]]:
        burst: list[OutputLine] = []
        size = 0
        for line in flood_lines(self.count):
            burst.append(line)
            size += len(line.text) + 1
            if size >= PIPE_CHUNK_BYTES or len(burst) >= BURST_LINES:
                yield burst
                burst, size = [], 0
        if burst:
            yield burst

    def wait(self) -> int:
        return 0


class FloodHost(BundleHost):
    def __init__(self, count: int):
        super().__init__(find_demo("hgx-h100").path, kind="demo", label="demo hgx-h100 (flood)")
        self.count = count

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        return FloodCommand(self.count)


def flood_plan(host_label: str) -> Plan:
    step = Step(
        id="install",
        title=f"Install {FLOOD_DRIVER}",
        why="Benchmark: one command that prints a flood of apt and DKMS output.",
        commands=[["apt-get", "-y", "install", FLOOD_DRIVER]],
        changes_system=False,
        on_failure="Nothing: this is a benchmark.",
        kind=pm.INSTALL,
    )
    choices = Choices(driver=FLOOD_DRIVER)
    return Plan(
        steps=[step],
        choices=choices,
        host_label=host_label,
        driver=FLOOD_DRIVER,
        flavour="595-server-open",
        branch=595,
        modules="signed",
    )


class FloodBackend(LayersBackend):
    """The wizard's own backend, but the plan is the flood and the simulation is empty."""

    def build_plan(self, report, choices) -> Plan:
        return flood_plan("demo hgx-h100 (flood)")

    def simulate(self, host, report, plan) -> tuple[Simulation, SimulationCheck]:
        return Simulation(None, None, None), SimulationCheck(True, [], [], [])
