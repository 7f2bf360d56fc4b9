"""Machine data on a terminal: control characters shown, never obeyed.

What the commands print comes from the machine, and a bundle from a stranger's bug report:
`nvidia-smi.txt` saying `\\x1b[2J\\x1b[31mALL GOOD`, a PRETTY_NAME with a cursor movement, a
right-to-left override that reorders a line, random bytes. Printed as they are, the terminal
would obey them: clear the screen, paint a failure green, rewrite the line above. So the
commands' stdout and stderr are wrapped once, in `main` (`escaping_output`), and every control
character (C0 but newline and tab, DEL, C1, the bidirectional overrides: errors.py's
`escape_controls`) is written as its Python escape (`\\x1b`, `\\r`, `\\u202e`): visible,
copyable, and inert. A command may keep some (`output_keeps` in its defaults: `logs` prints
the apply log's carriage returns as they are, dpkg's progress; an apply's live output shows
such a line in its final state, engine/redrawn_lines.py). The wizard is not wrapped
(Textual writes its own escape sequences; tui/shown_text.py makes its text inert); JSON
escapes them already.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from nvwizard.errors import CONTROL_ESCAPES


class EscapingStream:
    """A text stream that escapes control characters on their way to `stream`, but those in
    `keep` (`logs` keeps the carriage returns of dpkg's progress)."""

    def __init__(self, stream: TextIO, keep: str = ""):
        self.stream = stream
        self.table = {
            code: escape for code, escape in CONTROL_ESCAPES.items() if chr(code) not in keep
        }

    def write(self, text: str) -> int:
        self.stream.write(text.translate(self.table))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):  # flush, isatty, fileno, encoding, ...: the stream's
        return getattr(self.stream, name)


@contextmanager
def escaping_output(keep: str = "") -> Iterator[None]:
    """sys.stdout and sys.stderr escape control characters (but `keep`) until the block ends."""
    saved = sys.stdout, sys.stderr
    sys.stdout = EscapingStream(saved[0], keep)
    sys.stderr = EscapingStream(saved[1], keep)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def detach_stdout() -> None:
    """Point stdout at /dev/null once it cannot be written (a closed pipe, a full disk), so
    that what is left in its buffer does not fail again when Python exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
        os.close(devnull)
    except (OSError, ValueError):  # no real stdout (a test's capture): nothing to flush there
        pass
