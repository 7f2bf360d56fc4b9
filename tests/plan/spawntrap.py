"""Fail loudly if code under test starts any process (subprocess, posix_spawn, exec, fork)."""

from __future__ import annotations

import os
import subprocess

import pytest


class SpawnTrap:
    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls: list[str] = []

        def trap(name):
            def refuse(*args, **kwargs):
                self.calls.append(f"{name} {args[:2]!r}")
                raise AssertionError(f"a command was started: {name} {args[:2]!r}")

            return refuse

        monkeypatch.setattr(subprocess.Popen, "__init__", trap("subprocess.Popen"))
        for name in (
            "posix_spawn",
            "posix_spawnp",
            "system",
            "fork",
            "execv",
            "execve",
            "execvp",
            "execvpe",
        ):
            if hasattr(os, name):
                monkeypatch.setattr(os, name, trap(f"os.{name}"))


TRAP_SCRIPT = """#!/bin/sh
echo "$0 $*" >> {record}
exit 127
"""


def trap_path(directory, record) -> str:
    """A PATH whose every command (each name found on the real PATH) only records its call."""
    directory.mkdir(parents=True, exist_ok=True)
    script = TRAP_SCRIPT.format(record=record)
    names = set()
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        try:
            names.update(os.listdir(entry or "."))
        except OSError:
            continue
    for name in names | {"apt-get", "dpkg", "dpkg-query", "apt-mark", "systemctl", "shutdown"}:
        if "/" in name:
            continue
        path = directory / name
        path.write_text(script)
        path.chmod(0o755)
    return str(directory)
