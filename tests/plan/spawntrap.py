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
