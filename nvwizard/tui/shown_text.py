"""Machine text on the wizard's screen: control characters shown as escapes, never sent.

Machine data (a bundle from a stranger's bug report) may hold terminal control sequences: an
`nvidia-smi.txt` saying `ESC[2J ESC[31mALL GOOD`, a PRETTY_NAME in reverse video, a BEL in a
bundle's folder name. Textual writes a widget's text into its output as it is (it strips only
bell, backspace, vertical tab, form feed and carriage return): measured, the ESC in
PRETTY_NAME reached the terminal and turned the Detect summary's OS line to reverse video.

So the wizard's text reaches Textual only through its own widgets, and each cleans what it
is given with `inert` (errors.py's `escape_controls`: `\\x1b`, `\\x07`, `\\u202e`) before
Textual measures it, so the escapes are laid out as the text they are:

- `PlainText` (widgets/plain_text.py): every line of plain text (progress, hints, intros,
  results, the banner);
- `LinesView`: the controllers' toned lines (the detection report, findings, explanations,
  plans, outcomes, checks);
- `LiveLog`: command output (the Install and Reboot screens' logs, the full log);
- `PackageList` rows (package names and versions), table cells made by `inert_text`,
  `ToggleBox` labels;
- `WizardApp.notify` and `WizardApp.exit`'s message.

tests/tui/test_inert_text.py walks every screen with control characters in the machine's
data; tests/tui/test_shown_text.py checks that screens build no Textual text widget of
their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.text import Text

from nvwizard.errors import CONTROL_ESCAPES

# One search at C speed says whether there is anything to escape (nearly never).
_ANY_CONTROL = re.compile("[" + "".join(re.escape(chr(code)) for code in CONTROL_ESCAPES) + "]")


def inert(text: str) -> str:
    """`text` with each control character written as its escape (but newline and tab)."""
    return text.translate(CONTROL_ESCAPES) if _ANY_CONTROL.search(text) else text


def inert_lines(lines: Iterable[str]) -> list[str]:
    """`inert` for many lines (a flood of command output): one search for all of them."""
    lines = list(lines)
    if not _ANY_CONTROL.search("".join(lines)):
        return lines
    return [inert(line) for line in lines]


def inert_text(text: str, style: str = "") -> Text:
    """Rich text for a table cell or the farewell: plain (no markup), inert."""
    return Text(inert(text), style=style)
