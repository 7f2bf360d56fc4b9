"""A GPU machine for the wizard whose package manager is the apt sandbox, and whose commands run
for real: the host for tests that need the wizard's real-machine path without a GPU.

`SandboxGpuMachine` is built from the existing host classes, never new logic:
- a `BundleHost` on a copy of a demo machine answers the hardware and OS facts (the GPU in
  sysfs/lspci, ubuntu-drivers, nouveau, Secure Boot, SSH session, os-release). The copy's
  `uname-r.txt` names this machine's kernel (the sandbox offers its headers), its
  ubuntu-drivers files list only the drivers the sandbox offers, and its package files are
  removed: they would be stale;
- a `LocalHost` whose file reads are moved into the sandbox root answers the package database
  (dpkg, apt-cache, apt sources): the real dpkg and apt, pointed at the sandbox by the
  environment (APT_CONFIG, DPKG_*), as they are for `start`;
- `start` is `LocalHost.start`, and the kind is "local": the wizard applies in the detached
  worker (DetachedRun), the worker runs the real apt-get, and the journal is the real one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from nvwizard.host.base import Host, RunningCommand
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import find_demo
from nvwizard.host.local import LocalHost
from tests.sandbox.catalogue import FLAVOURS

DEMO = "rtx3090-fresh"
PACKAGE_SOURCES = frozenset(
    {
        "dpkg-l.txt",
        "dpkg-query.txt",
        "dpkg-audit.txt",
        "dpkg-updates.txt",
        "dpkg-lock.txt",
        "apt-mark-showhold.txt",
        "apt-cache-show.txt",
        "apt-sources.txt",
    }
)
OFFERED_DRIVERS = frozenset(f"nvidia-driver-{flavour}" for flavour in FLAVOURS)


def _offered_only(text: str, driver_of_line) -> str:
    """The lines of an ubuntu-drivers output that name no driver or an offered one."""
    kept = []
    for line in text.splitlines(keepends=True):
        driver = driver_of_line(line)
        if driver is None or driver in OFFERED_DRIVERS:
            kept.append(line)
    return "".join(kept)


def _devices_driver(line: str) -> str | None:
    key, _, value = line.partition(":")
    if key.strip() != "driver" or not value.strip().startswith("nvidia-driver-"):
        return None
    return value.split()[0]


def _list_driver(line: str) -> str | None:
    name = line.split(",")[0].split()[0] if line.strip() else ""
    return name if name.startswith("nvidia-driver-") else None


def bundle_for_sandbox(dest: Path, demo: str = DEMO) -> Path:
    """A copy of the demo machine's hardware facts, for this kernel and the sandbox's drivers."""
    shutil.copytree(find_demo(demo).path, dest)
    for source in PACKAGE_SOURCES:
        (dest / source).unlink(missing_ok=True)
    (dest / "uname-r.txt").write_text(os.uname().release + "\n")
    for source, driver_of_line in (
        ("ubuntu-drivers-devices.txt", _devices_driver),
        ("ubuntu-drivers-list.txt", _list_driver),
    ):
        path = dest / source
        if path.exists():
            path.write_text(_offered_only(path.read_text(), driver_of_line))
    return dest


class SandboxGpuMachine(Host):
    """The GPU of a bundle, the package database of the sandbox, this machine's commands."""

    kind = "local"
    label = "this machine"

    def __init__(self, bundle: Path, sandbox_root: Path) -> None:
        self.hardware = BundleHost(bundle)
        self.packages = LocalHost(root=str(sandbox_root))

    def read(self, source: str) -> str | None:
        host = self.packages if source in PACKAGE_SOURCES else self.hardware
        return host.read(source)

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        return self.packages.start(argv, env)
