"""os-release(5), read by the `distro` package from a file: this machine's /etc/os-release
(or /usr/lib/os-release where /etc has none) and a bundle's os-release.txt.

distro reads the file as a shell would (quotes, backslash escapes, comments, CRLF line ends)
and is told to read nothing else: no lsb_release, uname or oslevel command, no
/etc/*-release file. The fields come back under their os-release names (ID, VERSION_ID,
PRETTY_NAME, VERSION_CODENAME, ID_LIKE, NAME, ...), with the CODENAME distro adds (from
VERSION_CODENAME, else UBUNTU_CODENAME, else VERSION's parentheses). A byte-order mark (a
Windows editor's) is no part of a name or value.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import distro

BOM = "\ufeff"


def _distribution(
    os_release_file: str = "", root_dir: str | None = None
) -> distro.LinuxDistribution:
    # lazy: distro loads `logging` (~5 ms): only when an os-release is read, not at start-up
    import distro

    return distro.LinuxDistribution(
        include_lsb=False,
        os_release_file=os_release_file,
        distro_release_file=os.devnull,
        include_uname=False,
        root_dir=root_dir,
        include_oslevel=False,
    )


def os_release_file(root: Path) -> Path:
    """The os-release file of the machine whose root is `root`: /etc/os-release, or
    /usr/lib/os-release where /etc has none (as os-release(5) says; distro picks it)."""
    return Path(_distribution(root_dir=str(root)).os_release_file)


def os_release_from_text(text: str) -> dict[str, str] | None:
    """The fields of os-release text that has no file of its own (a host that only has the
    text: a test's, a paste), read by distro from a temporary copy."""
    with tempfile.TemporaryDirectory(prefix="nvwizard-os-release-") as folder:
        path = Path(folder) / "os-release"
        path.write_text(text, encoding="utf-8")
        return read_os_release(path)


def read_os_release(path: Path) -> dict[str, str] | None:
    """The fields of the os-release file at `path`; None when there is no such file or distro
    cannot read it (not UTF-8, an unclosed quote: nothing of it is trusted then)."""
    if not path.is_file():
        return None
    try:
        fields = _distribution(os_release_file=str(path)).os_release_info()
    except (OSError, UnicodeError, ValueError):
        return None
    cleaned = {k.replace(BOM, "").upper(): v.replace(BOM, "") for k, v in fields.items()}
    return {key: value for key, value in cleaned.items() if key}
