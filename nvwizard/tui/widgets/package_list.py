"""The Purge screen's list of packages, where Space toggles and Enter moves on, as the keyboard
contract says; it stays quick with thousands of packages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.binding import Binding
from textual.content import Content, Span
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.widgets import OptionList, SelectionList
from textual.widgets._toggle_button import ToggleButton  # the tickbox SelectionList draws
from textual.widgets.selection_list import Selection

from nvwizard.tui.shown_text import inert

if TYPE_CHECKING:
    from nvwizard.tui.controllers.purge import PurgeRow


def _style(rich_style: str) -> Style:
    """A Rich style as Textual's (red is the terminal's red, as in all the wizard's text)."""
    return Style.from_rich_style(RichStyle.parse(rich_style))


# Made once: styling each of thousands of rows anew (converting Rich text per row) cost more
# than the rest of the Purge screen together.
_PURGE, _KEEP, _AUTOREMOVED = _style("bold red"), _style("dim"), _style("red")
_PURGE_MONOCHROME = _style("bold reverse")  # NO_COLOR: red would be grey on grey
_NAME_TICKED, _DETAIL, _REASON = _style("bold"), _style("dim"), _style("dim italic")


AUTOREMOVED_REASON = "autoremove takes it: only ticked packages need it"


class _Row(Content):
    """A package's row. The list measures every row's height before it shows any (for
    thousands of rows that was most of the Purge screen's time); a row that fits the width is
    one line, known without laying it out."""

    def get_height(self, rules: RulesMap, width: int) -> int:
        room = width - rules.get("line_pad", 0) * 2
        if self.cell_length <= room and "\n" not in self.plain:
            return 1
        return super().get_height(rules, width)


def purge_label(
    row: PurgeRow, ticked: bool, monochrome: bool = False, autoremoved: bool = False
) -> Content:
    """The word PURGE, keep or auto says it without colour (NO_COLOR, screen readers); without
    colours (`monochrome`), PURGE is in reverse video. `autoremoved`: unticked, yet autoremove
    takes it (only ticked packages need it)."""
    autoremoved = autoremoved and not ticked
    mark = "PURGE " if ticked else "auto  " if autoremoved else "keep  "
    name = inert(row.name)  # from the machine's dpkg database, as its version
    name_end = 6 + len(name)
    text = f"{mark}{name} {inert(row.version or '')}"
    if ticked:
        spans = [Span(0, 5, _PURGE_MONOCHROME) if monochrome else Span(0, 6, _PURGE)]
    else:
        spans = [Span(0, 6, _AUTOREMOVED if autoremoved and not monochrome else _KEEP)]
    spans.append(Span(name_end, len(text), _DETAIL))
    if ticked:
        spans.append(Span(6, name_end, _NAME_TICKED))
    reason = AUTOREMOVED_REASON if autoremoved else row.keep_reason
    if reason:
        start = len(text)
        text += f"  ({inert(reason)})"
        spans.append(Span(start, len(text), _REASON))
    # Package names and versions are plain ASCII: one cell per character.
    plain = text.isascii() and text.isprintable()
    return _Row(
        text, spans, cell_length=len(text) if plain else None, strip_control_codes=not plain
    )


class PackageList(SelectionList[str]):
    """The packages of the Purge screen, each ticked (purged) or not.

    All rows are given at once, before the list is mounted, so building it posts no
    "selection changed" message per row; a toggle redraws the rows that changed alone."""

    BINDINGS = [
        Binding("enter", "screen.next", "Next", show=False),
        Binding("space", "select", "Toggle"),
    ]

    def __init__(
        self, rows: Iterable[PurgeRow], *, monochrome: bool = False, id: str | None = None
    ) -> None:
        self.rows = {row.name: row for row in rows}
        self.monochrome = monochrome  # NO_COLOR: the labels' styles without colour
        super().__init__(
            *(
                Selection(purge_label(r, r.ticked, monochrome), r.name, r.ticked, id=r.name)
                for r in self.rows.values()
            ),
            id=id,
        )
        self._shown_ticked = {row.name for row in self.rows.values() if row.ticked}
        self._shown_autoremoved: set[str] = set()

    def show_marks(self, ticked: set[str], autoremoved: set[str]) -> None:
        """Relabel the rows whose PURGE/keep/auto changed since last shown."""
        for name in (self._shown_ticked ^ ticked) | (self._shown_autoremoved ^ autoremoved):
            if name in self.rows:
                label = purge_label(
                    self.rows[name], name in ticked, self.monochrome, name in autoremoved
                )
                self.replace_option_prompt(name, label)
        self._shown_ticked, self._shown_autoremoved = set(ticked), set(autoremoved)

    def render_line(self, y: int) -> Strip:
        """A row's tickbox on its first line only, and the box of the row that line belongs
        to. SelectionList's own takes line y for option y, true only while no row wraps; a
        row with its reason is wider than 80 columns and wraps (the list's CSS)."""
        line = OptionList.render_line(self, y)
        _, scroll_y = self.scroll_offset
        lines = self._lines
        if not 0 <= scroll_y + y < len(lines):
            return line
        index, offset = lines[scroll_y + y]
        underlying = next(iter(line)).style or self.rich_style
        if offset > 0:
            return Strip([Segment(" " * self._get_left_gutter_width(), underlying), *line])
        ticked = self.get_option_at_index(index).value in self._selected
        component = "selection-list--button-selected" if ticked else "selection-list--button"
        if self.highlighted == index:
            component += "-highlighted"
        button = self.get_component_rich_style(component) + RichStyle(meta={"option": index})
        side = RichStyle.from_color(button.bgcolor, underlying.bgcolor)
        side += RichStyle(meta={"option": index})
        return Strip(
            [
                Segment(ToggleButton.BUTTON_LEFT, side),
                # X when ticked, empty when not: readable without colour (NO_COLOR)
                Segment(ToggleButton.BUTTON_INNER if ticked else " ", button),
                Segment(ToggleButton.BUTTON_RIGHT, side),
                Segment(" ", underlying),
                *line,
            ]
        )
