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
    present = sorted((names & SOURCE_NAMES) - {"machine.txt"})
    unreadable = {name: why for name in present if (why := _unreadable(path / name))}
    if not present:
        raise UsageError(
            f"--machine {machine}: no bundle files in it "
            "(expected e.g. lspci-nn.txt, dpkg-l.txt, nvidia-smi.txt; see `nvwizard capture`)"
        )
    if len(unreadable) == len(present):
        some = ", ".join(f"{name}: {why}" for name, why in list(unreadable.items())[:3])
        more = f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
        raise UsageError(f"--machine {machine}: its bundle files cannot be read ({some}{more})")
    return BundleHost(path)


def _unreadable(file: Path) -> str | None:
    """Why `file` cannot be read, or None when it can."""
    if not file.is_file():
        return "not a regular file"
    try:
        with open(file, "rb") as stream:
            stream.read(1)
    except OSError as error:
        return error.strerror or str(error)
    return None
