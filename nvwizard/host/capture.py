"""Record the local machine into a capture bundle: one file per source it can produce.

Bundles go into bug reports, so credentials in URLs (private apt repositories) are redacted
from every file written (`nvwizard.host.redact`), and registry credentials from the container
runtimes' configuration (`nvwizard.host.config_secrets`). Capture runs as root and --force
writes into a folder that may hold anything: the files are written by `FolderWriter`, which
never follows a link or opens a FIFO planted there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nvwizard.errors import UsageError, shown
from nvwizard.host.config_secrets import redact_source
from nvwizard.host.folder_writer import FolderWriter
from nvwizard.host.local import LocalHost
from nvwizard.host.redact import redact_credentials
from nvwizard.host.sources import SOURCES

NOTES_FILE = "capture-notes.txt"


@dataclass
class CaptureResult:
    folder: Path
    written: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # source -> why it was not captured


def prepare_folder(folder: Path, force: bool) -> None:
    """Create `folder`, refusing a non-empty existing one unless `force`."""
    said = shown(str(folder))  # the folder as typed, which may be of any length
    try:
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{said} exists and is not a directory")
        if folder.is_dir() and any(folder.iterdir()) and not force:
            raise UsageError(f"{said} is not empty; choose a new folder or pass --force")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create {said}: {error.strerror or error}") from None


def capture(
    folder: str | Path, host: LocalHost | None = None, force: bool = False
) -> CaptureResult:
    """Write every source `host` can produce into `folder`, and a notes file for the rest."""
    folder = Path(folder)
    prepare_folder(folder, force)
    writer = FolderWriter(folder)
    writer.check([*(source.name for source in SOURCES), NOTES_FILE])  # before the slow reads
    host = host or LocalHost()
    result = CaptureResult(folder)
    for source in SOURCES:
        text = host.read(source.name)
        if text is None:
            result.missing[source.name] = host.missing.get(source.name, "not available")
            writer.remove(source.name)  # a stale file from --force
            continue
        writer.write_text(source.name, redact_credentials(redact_source(source.name, text)))
        result.written.append(source.name)
    writer.write_text(NOTES_FILE, notes_text(result))
    return result


def notes_text(result: CaptureResult) -> str:
    lines = [
        "# nvwizard capture notes: the sources this machine could not produce.",
        "# A missing source is normal (no GPU, no driver, a command not installed).",
    ]
    lines += [f"{name}: {why}" for name, why in result.missing.items()]
    return "\n".join(lines) + "\n"
