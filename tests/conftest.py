from pathlib import Path

import pytest

pytest_plugins = ["tests.sandbox.fixtures"]


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Journal places in a temporary folder: (state dir, log dir), set in the environment."""
    state, log = tmp_path / "state", tmp_path / "log"
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(state))
    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(log))
    return state, log
