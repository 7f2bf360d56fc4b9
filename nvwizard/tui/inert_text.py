"""The wizard's text shows control characters as escapes (`\\x1b`), never sends them.

Machine data (a bundle from a stranger's bug report) may hold terminal control sequences: an
`nvidia-smi.txt` saying `ESC[2J ESC[31mALL GOOD`, a PRETTY_NAME in reverse video. Textual
writes a widget's text into its own output as it is: measured, the ESC in PRETTY_NAME reached
the terminal and turned the Detect summary's OS line to reverse video. Every widget's text
(Static, the `LinesView`s, table cells, selection lists) is a Textual `Content` or a Rich
`Text`, and both pass it through one translation table, which takes out only bell,
backspace, vertical tab, form feed and carriage return. `make_control_characters_visible`
adds every other control character to both tables as its escape (errors.py's
`CONTROL_ESCAPES`), so the fix is in one place, whichever screen shows the data. The `Log`
widgets replace escape sequences themselves. tests/tui/test_inert_text.py fails should a
Textual or Rich release stop reading these tables.
"""

from __future__ import annotations

from typing import cast

from rich import control as rich_control
from textual import content as textual_content

from nvwizard.errors import CONTROL_ESCAPES


def make_control_characters_visible() -> None:
    """Rich's and Textual's text write control characters as escapes from now on, in this
    process (what they strip already, such as a carriage return, they go on stripping)."""
    # typed as deleting only (`dict[int, None]`); str.translate takes a replacement too
    tables = cast(
        "list[dict[int, str | None]]",
        [rich_control._CONTROL_STRIP_TRANSLATE, textual_content._CONTROL_STRIP_TRANSLATE],
    )
    for table in tables:
        for code, escape in CONTROL_ESCAPES.items():
            table.setdefault(code, escape)
