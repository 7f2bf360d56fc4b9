"""A wheel of the running nvwizard, for the playbook's `files/`: the hosts install exactly this.

Built from the package folder that is running (an installed copy, or a checkout installed with
`pip install -e`), so an export works on a server installed from a wheel, where no source tree
or build backend exists. The wheel is pure Python (`py3-none-any`), its metadata names the
runtime dependencies only (the hosts' pip fetches them), and it is reproducible: the same files
give the same bytes (sorted entries, fixed timestamps), so Ansible's copy of it to a host reports
a change only when nvwizard changed.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nvwizard
from nvwizard.errors import UsageError
from nvwizard.host.folder_writer import FolderWriter

NAME = "nvwizard"
ENTRY_POINTS = "[console_scripts]\nnvwizard = nvwizard.cli.main:main\n"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry: the same bytes each time
SKIPPED_FOLDERS = {"__pycache__"}
SKIPPED_SUFFIXES = (".pyc", ".pyo", "~", ".swp")


@dataclass(frozen=True)
class WheelArchive:
    name: str  # wheel_name(version)
    data: bytes
    files: int  # package files in it (its metadata not counted)


@dataclass(frozen=True)
class Wheel:
    path: Path
    version: str
    files: int  # package files in it (its metadata not counted)


def wheel_name(version: str) -> str:
    return f"{NAME}-{version}-py3-none-any.whl"


def build_wheel(folder: Path) -> Wheel:
    """Write nvwizard's wheel into `folder` (as `FolderWriter` writes); returns where it is."""
    archive = wheel_archive()
    FolderWriter(folder).write(archive.name, archive.data)
    return Wheel(folder / archive.name, nvwizard.__version__, archive.files)


def wheel_archive() -> WheelArchive:
    """nvwizard's wheel, in memory (a few hundred KB)."""
    version = nvwizard.__version__
    package = Path(nvwizard.__file__).resolve().parent
    sources = package_files(package)
    info = f"{NAME}-{version}.dist-info"
    entries = [
        (f"{NAME}/{path.relative_to(package).as_posix()}", path.read_bytes()) for path in sources
    ]
    entries += [
        (f"{info}/METADATA", metadata(version).encode()),
        (f"{info}/WHEEL", wheel_file().encode()),
        (f"{info}/entry_points.txt", ENTRY_POINTS.encode()),
    ]
    record = "".join(f"{name},{_digest(data)},{len(data)}\n" for name, data in entries)
    record += f"{info}/RECORD,,\n"
    entries.append((f"{info}/RECORD", record.encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            entry = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return WheelArchive(wheel_name(version), buffer.getvalue(), len(sources))


def package_files(package: Path) -> list[Path]:
    """Every file of the package folder, sorted, without caches and editor leftovers."""
    return sorted(
        path
        for path in package.rglob("*")
        if path.is_file()
        and not SKIPPED_FOLDERS.intersection(path.relative_to(package).parts)
        and not path.name.startswith(".")
        and not path.name.endswith(SKIPPED_SUFFIXES)
    )


def metadata(version: str) -> str:
    """METADATA: the name, version and runtime dependencies of the installed distribution
    (the test extras left out: a host needs none of them)."""
    try:
        installed = importlib.metadata.metadata(NAME)
    except importlib.metadata.PackageNotFoundError:
        raise UsageError(
            "cannot build nvwizard's wheel: nvwizard runs from a folder that pip never "
            "installed (install it with `pip install .`, then export again)"
        ) from None
    fields = installed.json
    requires = [r for r in installed.get_all("Requires-Dist") or [] if "extra ==" not in r]
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {version}",
        f"Summary: {fields.get('summary') or 'NVIDIA driver wizard'}",
        f"Requires-Python: {fields.get('requires_python') or '>=3.10'}",
        *(f"Requires-Dist: {r}" for r in requires),
    ]
    return "\n".join(lines) + "\n"


def wheel_file() -> str:
    return (
        "Wheel-Version: 1.0\n"
        f"Generator: nvwizard export {nvwizard.__version__}\n"
        "Root-Is-Purelib: true\n"
        "Tag: py3-none-any\n"
    )


def _digest(data: bytes) -> str:
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
