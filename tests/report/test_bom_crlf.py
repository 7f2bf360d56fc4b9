"""A UTF-8 byte-order mark or CRLF line endings anywhere in a bundle change nothing.

Bundles are often edited or passed through Windows machines: every file gets a BOM at its
start (and, pasted together, in the middle) and CRLF endings. Before the fix a BOM-only
`dpkg-updates.txt` faked "dpkg was interrupted" and a BOM before `PRETTY_NAME` hid the OS.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from nvwizard.detect import _text
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import DEMOS
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host

TODAY = dt.date(2026, 12, 7)
BOM = "\ufeff".encode()


def _windows_copy(source: Path, target: Path) -> None:
    shutil.copytree(source, target)
    for file in target.iterdir():
        data = file.read_bytes()
        lines = data.split(b"\n")
        middle = len(lines) // 2
        lines[middle] = BOM + lines[middle]  # a paste of two files: a BOM mid-file
        file.write_bytes(BOM + b"\r\n".join(lines))


@pytest.mark.parametrize("name", [d.name for d in DEMOS])
def test_a_windows_edited_bundle_gives_the_same_report(tmp_path, name):
    original = demo_host(name)
    _windows_copy(Path(original.path), tmp_path / name)
    # both read as a bundle: a demo's findings speak in the demo's commands
    expected = build_report(BundleHost(Path(original.path)), today=TODAY).to_json()
    found = build_report(BundleHost(tmp_path / name), today=TODAY).to_json()
    expected.pop("source"), found.pop("source")
    assert found == expected


def test_a_bom_only_updates_file_is_not_an_interrupted_dpkg(tmp_path):
    (tmp_path / "dpkg-updates.txt").write_bytes(BOM + b"\r\n")
    (tmp_path / "os-release.txt").write_bytes(BOM + b'PRETTY_NAME="Ubuntu 24.04.3 LTS"\r\n')
    report = build_report(BundleHost(tmp_path), today=TODAY)
    assert not report.dpkg_interrupted
    assert "dpkg-interrupted" not in {f.id for f in report.findings}
    assert report.os == "Ubuntu 24.04.3 LTS"


def test_clean_lines_drops_byte_order_marks_anywhere():
    assert list(_text.clean_lines("\ufeffa\r\nb\ufeff\rc")) == ["a", "b", "c"]
