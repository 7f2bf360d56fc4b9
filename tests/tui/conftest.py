import pytest


@pytest.fixture(autouse=True)
def _instant_demo_and_private_journal(monkeypatch, tmp_path):
    """Demo machines answer at once; journals go to the test's own folder."""
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)
    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path / "state"))
