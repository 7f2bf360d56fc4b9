"""A host that records the commands it is asked to run and answers with canned results."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from nvwizard.host.base import Host, OutputLine, RunningCommand


class _Done(RunningCommand):
    def __init__(self, lines: list[str], code: int):
        self._lines, self._code = lines, code

    def lines(self) -> Iterator[OutputLine]:
        for text in self._lines:
            yield OutputLine("stdout", text)

    def wait(self) -> int:
        return self._code


class RecordingHost(Host):
    def __init__(
        self, kind: str = "local", answers: dict[str, tuple[list[str], int]] | None = None
    ):
        self.kind = kind
        self.label = "this machine" if kind == "local" else f"{kind} test"
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def read(self, source: str) -> str | None:
        return None

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        self.calls.append(list(argv))
        lines, code = self.answers.get(" ".join(argv), ([], 0))
        return _Done(lines, code)
