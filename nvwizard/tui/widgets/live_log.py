"""The wizard's logs of command output (the Install and Reboot screens', the full log):
Textual's `Log`, with control characters shown as escapes (tui/shown_text.py) and the width of
new lines measured cheaply.

`Log.write_lines` measures every new line (control characters replaced, tabs expanded, cell
width) in a thread worker, and describes that worker with the `repr` of all the lines. Under a
flood of apt and DKMS output that was about half as much work again as the engine's own, all
of it holding the GIL the engine and the UI need. Plain ASCII lines without tabs or escapes
(nearly all of such output) are as wide as they are long: measured in one pass, at C speed,
on the UI thread. Anything else is measured exactly as `Log` does.

A batch longer than the Log's bound is cut to its newest lines before it is written: the
older ones would be pruned at once, after costing the Log a pass over each (a flood drained
every 0.2 s brings ~15,000 lines; the full log stays with the controller, behind `l`).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.widgets import Log

from nvwizard.tui.shown_text import inert_lines

_WIDER_OR_NARROWER = ("\t", "\x1b")  # a tab expands, an escape takes no cell


def widest(lines: list[str]) -> int:
    """The cell width of the widest line, as `Log` measures it."""
    if not lines:
        return 0
    joined = "".join(lines)
    if joined.isascii() and not any(mark in joined for mark in _WIDER_OR_NARROWER):
        return max(map(len, lines))
    return max(cell_len(Log._process_line(line)) for line in lines)


class LiveLog(Log):
    def write_lines(self, lines: Iterable[str], scroll_end: bool | None = None) -> LiveLog:
        lines = inert_lines(lines)  # command output: its control characters shown, not sent
        bound = self.max_lines
        if bound is not None and len(lines) > bound:
            # the lines as the Log splits them (a line break inside one, an empty one), newest
            split = [part for line in lines for part in line.splitlines()]
            lines = split[-bound:]
        super().write_lines(lines, scroll_end)
        return self

    # Replaces `Log._update_size`, a thread worker (tests/tui/test_live_log.py checks that
    # Textual's Log still has the two names this relies on). Textual's `@work` types the
    # original as `(*Any, **Any) -> Worker`; this one runs at once and returns nothing.
    def _update_size(self, updates: int, lines: list[str]) -> None:  # type: ignore[override]
        if lines:
            self._update_maximum_width(updates, widest(lines))
