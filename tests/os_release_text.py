"""os-release text, as a test double host holds it, read the way real hosts read it: by
distro, from a file (nvwizard/host/os_release.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from nvwizard.host.os_release import read_os_release


def os_release_fields(text: str | None) -> dict[str, str] | None:
    """The fields distro reads from an os-release file holding `text` (None: no file)."""
    if text is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "os-release"
        path.write_text(text, encoding="utf-8")
        return read_os_release(path)
