"""`nvwizard export ansible DIR`: write a self-contained playbook directory.

The files come from `playbook/` beside this module, as they are, except a few templates whose
`${name}` fields are filled in (the options, nvwizard's version, the wheel's name); the wheel of
this nvwizard goes into `files/`. The playbook is described in its own README.md. The files
are written by `FolderWriter`: --force writes into a folder that may hold anything, and a link
or FIFO planted there is refused, never written through or waited on.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import string
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nvwizard
from nvwizard.errors import UsageError
from nvwizard.export.wheel import NAME, package_files, wheel_archive, wheel_name
from nvwizard.host.folder_writer import FolderWriter
from nvwizard.plan.blockers import BLOCKER_IDS

PLAYBOOK = Path(__file__).resolve().parent / "playbook"
# the files with ${name} fields; every other file is copied as it is
TEMPLATES = frozenset(
    {
        "site.yml",
        "README.md",
        "inventory.demo.ini",
        "group_vars/all.yml",
        "roles/nvwizard/defaults/main.yml",
        "roles/nvwizard/vars/main.yml",
    }
)
WHEEL_FOLDER = "files"


@dataclass(frozen=True)
class Export:
    folder: Path
    files: list[str]  # relative paths, as written
    wheel: str  # files/<name>


def export_ansible(
    folder: Path, options: list[str], command_line: str, force: bool, command: list[str]
) -> Export:
    """Write the playbook into `folder` (made when missing). A folder with files in it is
    refused unless `force`, which replaces the playbook's own files and leaves the others.
    `command`: how the demo hosts run nvwizard (`exporting_command()`)."""
    _check_folder(folder, force)
    version = nvwizard.__version__
    fields = {
        "version": version,
        "wheel": wheel_name(version),
        # JSON is YAML: a flow list with every word quoted as it must be
        "options": json.dumps(options),
        # the files are UTF-8 text: a folder name that is not UTF-8 is written as its escape
        "command_line": os.fsencode(command_line).decode("utf-8", "backslashreplace"),
        # an INI inventory reads a variable's value as a Python literal, which JSON's string
        # or list of strings is: the path alone, or ["python", "-m", "nvwizard"]
        "nvwizard_command": json.dumps(command[0] if len(command) == 1 else command),
        "nvwizard_command_words": shlex.join(command),
        "blocker_ids": json.dumps(list(BLOCKER_IDS)),
        "accept_help": "\n".join(
            textwrap.fill(f"{name}: {means}", 94, initial_indent="#   ", subsequent_indent="#     ")
            for name, means in BLOCKER_IDS.items()
        ),
    }
    sources = {
        source.relative_to(PLAYBOOK).as_posix(): source for source in package_files(PLAYBOOK)
    }
    wheel = f"{WHEEL_FOLDER}/{wheel_name(version)}"
    writer = FolderWriter(folder)
    writer.check([*sources, wheel])  # before anything is written
    for relative, source in sources.items():
        if relative in TEMPLATES:
            text = string.Template(source.read_text(encoding="utf-8")).substitute(fields)
            writer.write_text(relative, text)
        else:
            writer.write(relative, source.read_bytes())
    for old in writer.names(WHEEL_FOLDER):  # an earlier export's: the playbook names one
        if old.startswith(f"{NAME}-") and old.endswith(".whl"):
            writer.remove(f"{WHEEL_FOLDER}/{old}")
    writer.write(wheel, wheel_archive().data)
    return Export(folder, [*sources, wheel], wheel)


def _check_folder(folder: Path, force: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: not a directory")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise UsageError(
            f"{folder}: not empty (add --force to write the playbook over the files it had)"
        )


def command_line(argv: list[str]) -> str:
    """The export command as it was typed, for the files' headers."""
    return shlex.join(["nvwizard", *argv])


def exporting_command(argv0: str | None = None) -> list[str]:
    """The absolute command of the nvwizard that is running: the demo hosts run it, on this
    computer, whether or not its folder is on PATH. Its console script (`.venv/bin/nvwizard`,
    as it was started), or `python -m nvwizard` with this Python; run in-process by some other
    program (a test runner), the console script beside this Python, else `python -m`."""
    started = sys.argv[0] if argv0 is None else argv0
    python_m = [os.path.abspath(sys.executable), "-m", NAME]
    if Path(started).name == "__main__.py" and Path(started).parent.name == NAME:
        return python_m
    script = started if os.sep in started else shutil.which(started)
    if script and Path(script).name.startswith(NAME) and os.access(script, os.X_OK):
        return [os.path.abspath(script)]
    beside = Path(sys.executable).parent / NAME
    return [os.path.abspath(beside)] if os.access(beside, os.X_OK) else python_m
