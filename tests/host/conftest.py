"""Helpers for the host tests: fake commands on PATH."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    """A PATH holding only the commands a test writes (plus the basics a script needs)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("sh", "cat", "echo", "printf", "sleep"):
        for base in ("/bin", "/usr/bin"):
            if os.path.exists(f"{base}/{tool}"):
                os.symlink(f"{base}/{tool}", folder / tool)
                break
    monkeypatch.setenv("PATH", str(folder))

    def write(name: str, script: str) -> Path:
        path = folder / name
        path.write_text("#!/bin/sh\n" + script)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
        return path

    return write
