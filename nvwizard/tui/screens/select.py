"""Screen 3, Select: the candidate drivers, explained for this machine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Checkbox, DataTable

from nvwizard.tui import flow
from nvwizard.tui.controllers.select import DriverTable, SelectController
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.shown_text import inert_text
from nvwizard.tui.widgets.lines_view import LinesView
from nvwizard.tui.widgets.plain_text import PlainText
from nvwizard.tui.widgets.toggle_box import ToggleBox

if TYPE_CHECKING:
    from nvwizard.report.models import DriverCandidate


class SelectScreen(WizardScreen):
    STEP = flow.SELECT
    controller: SelectController

    _shown: DriverTable | None = None  # what the table shows now

    def body(self) -> ComposeResult:
        yield DataTable(id="drivers", cursor_type="row", zebra_stripes=False)
        yield PlainText(self.controller.headless_question() or "", id="headless-question")
        yield ToggleBox("Headless: compute stack only, no desktop libraries", id="headless")
        with VerticalScroll(id="explain-scroll"):
            yield LinesView(id="explain")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self._fill(self.size.width)
        checkbox = self.query_one("#headless", Checkbox)
        checkbox.value = self.state.headless
        self.query_one("#headless-question").display = bool(self.controller.headless_question())
        table.move_cursor(row=self.controller.highlighted_index())
        table.focus()
        self._explain()
        self.hint("★ recommended  ✗ not possible here.  Enter/n chooses; Tab: headless.")

    def _fill(self, width: int) -> None:
        """The table as it fits `width` columns (one or two lines a driver), the cursor kept."""
        shown = self.controller.table(width)
        if shown == self._shown:
            return
        self._shown = shown
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*shown.header)
        for candidate, cells in zip(self.controller.candidates(), shown.rows, strict=True):
            style = "" if candidate.runnable else "dim strike"
            table.add_row(
                *(inert_text(text, style) for text in cells),
                key=candidate.package,
                height=shown.row_height,
            )
        table.move_cursor(row=row)

    def on_resize(self, event: events.Resize) -> None:
        self._fill(event.size.width)

    def _highlighted(self) -> DriverCandidate | None:
        table = self.query_one(DataTable)
        candidates = self.controller.candidates()
        if not candidates:
            return None
        return candidates[min(table.cursor_row, len(candidates) - 1)]

    def _explain(self) -> None:
        candidate = self._highlighted()
        if candidate is None:
            return
        self.query_one("#explain", LinesView).show(self.controller.explain(candidate))
        self.query_one("#explain-scroll").scroll_home(animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._explain()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.next()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if self.state.headless == event.value:
            return  # on_mount's own setting, or no change
        highlighted = self._highlighted()
        was_recommended = highlighted is not None and highlighted.recommended
        moved = self.controller.set_headless(event.value)
        table = self.query_one(DataTable)
        row = table.cursor_row
        self._fill(self.size.width)  # the ★ and the explanations follow the new ranking
        if moved and was_recommended:
            row = self.controller.recommended_index()
        table.move_cursor(row=row)
        self._explain()

    def next(self) -> None:
        candidate = self._highlighted()
        if candidate is None:
            return
        refusal = self.controller.choose(candidate)
        if refusal:
            self.notify(refusal, severity="error", timeout=6)
            return
        self.go(flow.STACK)
