import shutil
import subprocess
from pathlib import Path

import pytest

from tests.export.playbook import NVWIZARD

EXPORT_OPTIONS = ["--hold"]


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> Path:
    """One export per test session (its wheel is built once), made by the real command."""
    folder = tmp_path_factory.mktemp("export") / "playbook"
    subprocess.run(
        [str(NVWIZARD), "export", "ansible", str(folder), *EXPORT_OPTIONS],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return folder


@pytest.fixture
def playbook(exported: Path, tmp_path: Path) -> Path:
    """This test's own copy of the export: a run writes its report into it."""
    return Path(shutil.copytree(exported, tmp_path / "playbook"))
