"""The host boundary: the one place that knows what machine nvwizard is looking at.

Everything above this layer reads facts by *source name* (the bundle file names in
`sources.py`) and runs commands through `Host.start`. A local host answers by reading files
and running commands. A bundle or demo host answers from a directory through the `Simulator`
it was handed (nvwizard/simulator/, a layer above this one: host never imports it), which
simulates the commands on a model of that machine.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from nvwizard.host.os_release import os_release_from_text


@dataclass(frozen=True)
class OutputLine:
    stream: str  # "stdout", "stderr", or "status" (apt's Status-Fd lines)
    text: str  # one line, without its newline


BURST_LINES = 512  # the most lines one burst holds (a flood arrives as bursts of this size)


class RunningCommand(abc.ABC):
    """A started command. Iterate `lines()` (or `bursts()`) until it ends, then `wait()` for the
    exit code."""

    pid: int | None = None

    @abc.abstractmethod
    def lines(self) -> Iterator[OutputLine]: ...

    def bursts(self) -> Iterator[Sequence[OutputLine]]:
        """The same lines, in the groups they arrived in: each burst is what the command had
        printed when it was read (at most BURST_LINES), so a reader can pass a flood on in
        chunks and still show a lone line at once. By default one line per burst."""
        for line in self.lines():
            yield (line,)

    @abc.abstractmethod
    def wait(self) -> int: ...


class Host(abc.ABC):
    kind: str  # "local", "bundle" or "demo"
    label: str  # what the user sees: "this machine", "bundle /tmp/x", "demo hgx-h100"
    # a demo machine kept between commands (NVWIZARD_STATE_DIR): the file it lives in, whose
    # deletion resets it; None for any other machine
    saved_in: str | None = None

    @property
    def is_real(self) -> bool:
        """True only when commands would change a real machine."""
        return self.kind == "local"

    @abc.abstractmethod
    def read(self, source: str) -> str | None:
        """The raw text of a source (see sources.py), or None when it is missing."""

    def fresh(self) -> Host:
        """The same machine, read anew: a host that caches what it read (a live one) returns
        a new one, so a decision taken after a change sees the machine as it is now."""
        return self

    def os_release(self) -> Mapping[str, str] | None:
        """The machine's os-release fields by their os-release(5) names (ID, VERSION_ID,
        PRETTY_NAME, ...), read by distro (os_release.py); None when it has none that can be
        read. LocalHost and BundleHost have distro read the file itself; by default distro
        reads the text of the source os-release.txt (what a capture keeps) from a copy."""
        text = self.read("os-release.txt")
        return None if text is None else os_release_from_text(text)

    def prefetch(self, sources: Iterable[str]) -> None:  # noqa: B027 (optional: a hint)
        """A hint that these sources will be read soon. A live host produces them at once (its
        commands run side by side); a bundle reads each file when asked, so by default this
        does nothing."""

    @abc.abstractmethod
    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        """Start a command given as an argv list (never a shell string)."""

    def start_after_purge(
        self,
        argv: Sequence[str],
        purged: Collection[str],
        env: Mapping[str, str] | None = None,
        unheld: Collection[str] = (),
    ) -> RunningCommand:
        """Start a simulation (`apt-get -s ...`) as apt would answer it once the packages in
        `purged` are purged and those in `unheld` released from their hold: what a plan's
        install step meets after its repair, purge and autoremove. Nothing changes on the
        machine."""
        raise NotImplementedError(f"{self.label} cannot simulate a command after a purge")

    def write_file(self, path: str, content: str, mode: int = 0o644) -> None:
        """Write a whole file (a step's `writes`: an apt pin, a sources list), replacing it
        atomically; `path` is absolute on the machine. Raises OSError when it cannot."""
        raise OSError(f"{self.label} cannot write files")


class Simulator(Protocol):
    """What a bundle or demo host hands its reads and commands to: the simulated machine
    (nvwizard/simulator/) built from the bundle's files, changed by the commands it answers.
    `purged`, `unheld`: answer an `apt-get -s` as if these packages were purged already, and
    those released from their hold."""

    def read(self, source: str) -> str | None: ...

    def os_release(self) -> Mapping[str, str] | None: ...

    def start(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        purged: Collection[str] = (),
        unheld: Collection[str] = (),
    ) -> RunningCommand: ...

    def write_file(self, path: str, content: str, mode: int = 0o644) -> None: ...
