"""A capture bundle: a directory holding one file per source (see sources.py).

The bundle is read-only on disk. `write()` keeps changes in memory (the `files` overlay), so
the simulator can make later reads see the machine it changed: a purge removes packages from
dpkg-query.txt, a reboot loads the new module, and so on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from nvwizard.host.base import Host, RunningCommand


class BundleHost(Host):
    def __init__(self, path: str | Path, kind: str = "bundle", label: str | None = None):
        self.path = Path(path)
        self.kind = kind
        self.label = label or f"bundle {self.path}"
        # source -> text; None means "removed". Sources not in here come from the directory.
        self.files: dict[str, str | None] = {}

    def read(self, source: str) -> str | None:
        if source in self.files:
            return self.files[source]
        file = self.path / source
        try:
            data = file.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            return None
        # CRLF and odd bytes are left for the tolerant parsers; a byte-order mark (Windows
        # editors put one at the start, pasted files in the middle) is no text at all.
        return data.decode("utf-8", errors="replace").replace("\ufeff", "")

    def write(self, source: str, text: str | None) -> None:
        """Replace what later reads of `source` return (None: the source disappears)."""
        self.files[source] = text

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        return self.start_after_purge(argv, (), env)

    def start_after_purge(
        self,
        argv: Sequence[str],
        purged: Collection[str],
        env: Mapping[str, str] | None = None,
    ) -> RunningCommand:
        # Imported here: the simulator is only needed when a plan runs against a bundle.
        from nvwizard.simulator import SimulatedMachine

        return SimulatedMachine(self).start(argv, env, purged)
