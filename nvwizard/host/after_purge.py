"""Ask this machine's apt what a command would do once some packages are purged.

A plan purges the old driver, autoremoves, and only then installs: simulating the install
against today's package database shows upgrades of packages the purge will have removed and
misses what the purge makes apt install again. apt has no "simulate after that" switch, so
apt reads a copy of dpkg's status file without the purged packages' stanzas
(`-o Dir::State::status=<copy>`), which is what the database looks like after the purge.
`-o Dir::Cache::pkgcache=` keeps apt from saving a binary cache built from that copy.
Nothing on the machine changes; the copy lives in a temporary folder until the command ends.
The same copy can also show packages released from their hold (`unheld`: a plan's repair step
runs `apt-mark unhold` on them before it changes them), as apt refuses to replace a held one.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path

from nvwizard.host.base import Host, OutputLine, RunningCommand

STATUS_QUERY = ["apt-config", "shell", "STATUS", "Dir::State::status/f"]


def status_file(host: Host, env: Mapping[str, str] | None) -> Path:
    """Where apt reads dpkg's status file (`Dir::State::status`), asked of apt-config."""
    command = host.start(STATUS_QUERY, env)
    text = "\n".join(line.text for line in command.lines() if line.stream == "stdout")
    code = command.wait()
    for line in text.splitlines():
        name, _, value = line.partition("=")
        words = shlex.split(value) if name == "STATUS" else []
        if code == 0 and words:
            return Path(words[0])
    raise OSError(f"apt-config did not name dpkg's status file (exit {code})")


def without_packages(status: bytes, purged: Collection[str], unheld: Collection[str] = ()) -> bytes:
    """dpkg's status file without the stanzas of `purged` (every architecture of each), and
    with the packages in `unheld` no longer on hold (`Status: hold` -> `Status: install`)."""
    kept = []
    for stanza in status.split(b"\n\n"):
        name = b""
        for line in stanza.splitlines():
            if line.startswith(b"Package:"):
                name = line.partition(b":")[2].strip()
                break
        decoded = name.decode("utf-8", "replace")
        if decoded in unheld:
            stanza = stanza.replace(b"\nStatus: hold ", b"\nStatus: install ")
        if decoded not in purged:
            kept.append(stanza)
    return b"\n\n".join(kept)


class _CommandWithScratch(RunningCommand):
    """A started command that removes its scratch folder once it has ended."""

    def __init__(self, command: RunningCommand, scratch: Path):
        self._command = command
        self._scratch = scratch
        self.pid = command.pid

    def lines(self) -> Iterator[OutputLine]:
        return self._command.lines()

    def bursts(self) -> Iterator[Sequence[OutputLine]]:
        return self._command.bursts()

    def wait(self) -> int:
        try:
            return self._command.wait()
        finally:
            shutil.rmtree(self._scratch, ignore_errors=True)


def start_after_purge(
    host: Host,
    argv: Sequence[str],
    purged: Collection[str],
    env: Mapping[str, str] | None = None,
    unheld: Collection[str] = (),
) -> RunningCommand:
    """Start `apt-get -s ...` (argv) as apt would answer it once `purged` are purged and
    `unheld` released from their hold."""
    if "-s" not in argv and "--simulate" not in argv:
        raise ValueError("only a simulation (apt-get -s) may run on a copy of the status file")
    status = status_file(host, env).read_bytes()
    scratch = Path(tempfile.mkdtemp(prefix="nvwizard-after-purge-"))
    try:
        copy = scratch / "status"
        copy.write_bytes(without_packages(status, set(purged), set(unheld)))
        options = ["-o", f"Dir::State::status={copy}", "-o", "Dir::Cache::pkgcache="]
        command = host.start([*argv[:2], *options, *argv[2:]], env)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return _CommandWithScratch(command, scratch)
