"""Which machine a command looks at: --machine DIR, --demo [NAME], or this one."""

from __future__ import annotations

import os
from pathlib import Path

from nvwizard.errors import UsageError
from nvwizard.host.base import Host
from nvwizard.host.sources import SOURCE_NAMES


def host_from_args(machine: str | None, demo: str | None) -> Host:
    """A host for the parsed --machine/--demo options. `demo` is "" for a bare `--demo`."""
    if machine is not None:
        return bundle_from_path(machine)
    if demo is not None:
        from nvwizard.host.demo import demo_host

        return demo_host(demo or None)
    from nvwizard.host.local import LocalHost

    return LocalHost()


def bundle_from_path(machine: str) -> Host:
    from nvwizard.host.bundle import BundleHost

    path = Path(machine)
    if not path.exists():
        raise UsageError(f"--machine {machine}: no such directory")
    if not path.is_dir():
        raise UsageError(f"--machine {machine}: not a directory (give the bundle's folder)")
    try:
        names = set(os.listdir(path))
    except OSError as error:
        raise UsageError(f"--machine {machine}: cannot read it ({error.strerror})") from None
    readable = [n for n in (names & SOURCE_NAMES) - {"machine.txt"} if os.access(path / n, os.R_OK)]
    if not readable:
        raise UsageError(
            f"--machine {machine}: no bundle files in it "
            "(expected e.g. lspci-nn.txt, dpkg-l.txt, nvidia-smi.txt; see `nvwizard capture`)"
        )
    return BundleHost(path)
