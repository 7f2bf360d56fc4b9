"""Every detach test gets its own state and log directories (never /var/lib/nvwizard)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    state, log = tmp_path / "state", tmp_path / "log"
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(state))
    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(log))
    return state, log
