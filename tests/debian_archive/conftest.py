"""An apt root per release over the recorded subset of Debian's archive (built once)."""

from __future__ import annotations

import shutil

import pytest

from tests.debian_archive.archive import AptRoot
from tests.debian_archive.record import recorded

_ROOTS: dict[str, tuple] = {}


@pytest.fixture(scope="session")
def debian_archive(tmp_path_factory):
    """codename -> (Recorded, AptRoot with the base system installed)."""
    if shutil.which("apt-get") is None:
        pytest.skip("resolving against Debian's indices needs apt-get")

    def get(codename: str):
        if codename not in _ROOTS:
            data = recorded(codename)
            root = AptRoot.create(tmp_path_factory.mktemp(codename), data.indices, data.status)
            _ROOTS[codename] = (data, root)
        return _ROOTS[codename]

    return get
