"""A PATH that finds every command of another PATH but a few: hide a tool from the code under test.

Used to force nvwizard's setsid way of detaching in tests. nvwizard starts the apply worker with
`systemd-run` when PID 1 is systemd and `systemd-run` is on PATH (nvwizard/host/spawn.py); a CI
machine may run systemd, and a test must never create system units. The production code has no
switch for that and needs none: the test hides `systemd-run`, exactly as a machine without it
would look.

    env = hide_commands(apt_sandbox.env, ["systemd-run"], tmp_path / "path")

The new PATH is one folder of symbolic links, one per command name, each to the first
executable of that name the old PATH finds (so the sandbox's `dpkg` wrapper and fake
`systemctl` still come first), minus the hidden names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path


def linked_path(search_path: str, hidden: Iterable[str], dest: Path) -> str:
    """Fill `dest` with links to the commands of `search_path` except `hidden`; its PATH."""
    hidden = set(hidden)
    dest.mkdir(parents=True, exist_ok=True)
    for folder in search_path.split(os.pathsep):
        if not folder or not os.path.isdir(folder):
            continue
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            link = dest / entry.name
            if entry.name in hidden or link.is_symlink() or link.exists():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                link.symlink_to(os.path.abspath(entry.path))
    return str(dest)


def hide_commands(env: Mapping[str, str], hidden: Iterable[str], dest: Path) -> dict[str, str]:
    """A copy of `env` whose PATH finds every command it found before but the hidden ones."""
    search_path = env.get("PATH") or os.defpath
    return {**env, "PATH": linked_path(search_path, hidden, dest)}
