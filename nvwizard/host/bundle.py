"""A capture bundle: a directory holding one file per source (see sources.py).

The bundle is read-only on disk. A `BundleHost` given a simulator (nvwizard/simulator/, built
by whoever builds the host) hands it every read and command: the simulated machine answers
from the bundle's files and its own changes, so a re-detect after a purge sees the packages
gone, a reboot the new module, and so on. Without one, the host reads the folder as captured
and runs no command.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from nvwizard.host.base import Host, RunningCommand, Simulator
from nvwizard.host.os_release import read_os_release
from nvwizard.host.record_files import UnusableFile, read_capped


class BundleHost(Host):
    def __init__(
        self,
        path: str | Path,
        kind: str = "bundle",
        label: str | None = None,
        simulator: Simulator | None = None,
        saved_in: str | None = None,
    ):
        self.path = Path(path)
        self.kind = kind
        self.label = label or f"bundle {self.path}"
        self.simulator = simulator
        self.saved_in = saved_in

    def read(self, source: str) -> str | None:
        if self.simulator is not None:
            return self.simulator.read(source)
        return read_bundle_file(self.path, source)

    def os_release(self) -> Mapping[str, str] | None:
        if self.simulator is not None:
            return self.simulator.os_release()
        return read_bundle_os_release(self.path)

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        return self.start_after_purge(argv, (), env)

    def start_after_purge(
        self,
        argv: Sequence[str],
        purged: Collection[str],
        env: Mapping[str, str] | None = None,
        unheld: Collection[str] = (),
    ) -> RunningCommand:
        if self.simulator is None:
            raise NotImplementedError(f"{self.label} has no simulated machine to run commands")
        return self.simulator.start(argv, env, purged, unheld)

    def write_file(self, path: str, content: str, mode: int = 0o644) -> None:
        if self.simulator is None:
            raise OSError(f"{self.label} has no simulated machine to write {path} on")
        self.simulator.write_file(path, content, mode)


def read_bundle_file(folder: Path, source: str) -> str | None:
    """The raw text of one source of the bundle in `folder`, as captured (None: missing).

    A bundle comes from a stranger's bug report: a FIFO, device or socket under a source's
    name is never opened (a FIFO would wait forever, /dev/zero never end), nor a file larger
    than nvwizard could have captured read (`record_files`). Like a directory there, it
    reads as missing; `--machine` names what it is when no file of the bundle can be read."""
    try:
        data = read_capped(folder / source)
    except (UnusableFile, OSError):  # missing, a directory, unreadable
        return None
    # CRLF and odd bytes are left for the tolerant parsers; a byte-order mark (Windows
    # editors put one at the start, pasted files in the middle) is no text at all.
    return data.decode("utf-8", errors="replace").replace("\ufeff", "")


def read_bundle_os_release(folder: Path) -> dict[str, str] | None:
    """The os-release fields of the bundle in `folder`, read by distro from its os-release.txt
    (None: missing or unreadable)."""
    return read_os_release(folder / "os-release.txt")
