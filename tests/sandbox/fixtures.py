"""pytest fixtures for the apt sandbox (see aptsandbox.py), registered in tests/conftest.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.sandbox.aptsandbox import AptSandbox, build_repository, build_template

REQUIRED_TOOLS = ("apt-get", "apt-config", "dpkg", "dpkg-deb", "dpkg-query")


@pytest.fixture(scope="session")
def apt_sandbox_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session: the dummy repository and a root with the base installed."""
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the apt sandbox needs Debian's {', '.join(missing)}")
    base = tmp_path_factory.mktemp("apt-sandbox")
    repository = build_repository(base / "repo")
    return build_template(base / "template", repository)


@pytest.fixture
def apt_sandbox(apt_sandbox_template: Path, tmp_path: Path) -> AptSandbox:
    """A fresh sandbox root for one test: real apt-get and dpkg, no effect on the host."""
    return AptSandbox.copy_of(apt_sandbox_template, tmp_path / "root")
