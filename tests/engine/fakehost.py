"""A scripted host for engine tests: each argv gets canned output lines and an exit code."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from nvwizard.host.base import Host, OutputLine, RunningCommand


@dataclass
class Script:
    lines: list[tuple[str, str]] = field(default_factory=list)  # (stream, text)
    exit_code: int = 0
    on_start: Callable[[], None] | None = None  # runs while the command "runs"
    burst_sizes: list[int] | None = None  # how many lines each read brings (default: one)


class FakeCommand(RunningCommand):
    def __init__(self, script: Script):
        self.script = script

    def lines(self) -> Iterator[OutputLine]:
        if self.script.on_start:
            self.script.on_start()
        for stream, text in self.script.lines:
            yield OutputLine(stream, text)

    def bursts(self) -> Iterator[list[OutputLine]]:
        if self.script.burst_sizes is None:
            yield from super().bursts()
            return
        lines = list(self.lines())
        for size in self.script.burst_sizes:
            yield lines[:size]
            lines = lines[size:]

    def wait(self) -> int:
        return self.script.exit_code


class FakeHost(Host):
    kind = "demo"
    label = "fake host"

    def __init__(
        self,
        scripts: dict[tuple[str, ...], Script] | None = None,
        sources: dict[str, str] | None = None,
    ):
        self.scripts = scripts or {}
        self.sources = sources or {}
        self.started: list[tuple[list[str], dict]] = []
        self.lock = threading.Lock()

    def read(self, source: str) -> str | None:
        return self.sources.get(source)

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        with self.lock:
            self.started.append((list(argv), dict(env or {})))
        for prefix, script in self.scripts.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return FakeCommand(script)
        return FakeCommand(Script())

    @property
    def argvs(self) -> list[list[str]]:
        return [argv for argv, _ in self.started]
