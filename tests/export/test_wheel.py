"""The wheel the playbook installs on each host: built from the running nvwizard."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from pathlib import Path

import nvwizard
from nvwizard.export.wheel import build_wheel, package_files

PACKAGE = Path(nvwizard.__file__).resolve().parent


def test_the_wheel_holds_the_package_and_the_metadata_pip_needs(tmp_path):
    wheel = build_wheel(tmp_path)
    assert wheel.path.name == f"nvwizard-{nvwizard.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel.path) as archive:
        names = set(archive.namelist())
        info = f"nvwizard-{nvwizard.__version__}.dist-info"
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        record = archive.read(f"{info}/RECORD").decode()
        files = {name: archive.read(name) for name in names}
    assert "nvwizard/cli/main.py" in names
    assert "nvwizard/demo_machines/hgx-h100/dpkg-l.txt" in names
    assert "nvwizard/export/playbook/site.yml" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert len([n for n in names if n.startswith("nvwizard/")]) == len(package_files(PACKAGE))
    assert f"Version: {nvwizard.__version__}" in metadata.splitlines()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert any("textual" in r for r in requires) and any("psutil" in r for r in requires)
    assert not any("pytest" in r or "ansible" in r for r in requires)  # no test extras
    assert "nvwizard = nvwizard.cli.main:main" in entry_points
    rows = list(csv.reader(io.StringIO(record)))
    assert {row[0] for row in rows} == names
    for name, digest, size in rows:
        if name.endswith("RECORD"):
            assert digest == size == ""
            continue
        raw = hashlib.sha256(files[name]).digest()
        assert digest == "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), name
        assert int(size) == len(files[name])


def test_the_same_files_give_the_same_wheel(tmp_path):
    """So that Ansible copies it to a host only when nvwizard changed."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = build_wheel(tmp_path / "a"), build_wheel(tmp_path / "b")
    assert first.path.read_bytes() == second.path.read_bytes()
