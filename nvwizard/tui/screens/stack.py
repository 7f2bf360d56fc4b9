"""Screen 4, Stack: the CUDA toolkit the chosen driver runs, cuDNN and the container toolkit.
Skippable: "none" and both toggles off add nothing."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Checkbox, DataTable

from nvwizard.tui import flow
from nvwizard.tui.controllers.stack import HEADER, StackController, ToolkitRow
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.shown_text import inert_text
from nvwizard.tui.widgets.lines_view import LinesView
from nvwizard.tui.widgets.toggle_box import ToggleBox


class StackScreen(WizardScreen):
    STEP = flow.STACK
    controller: StackController

    def body(self) -> ComposeResult:
        yield DataTable(id="toolkits", cursor_type="row", zebra_stripes=False)
        yield ToggleBox("cuDNN", id="cudnn")
        yield ToggleBox("Container toolkit", id="container")
        with VerticalScroll(id="stack-explain-scroll"):
            yield LinesView(id="stack-explain")

    def on_mount(self) -> None:
        table = self.query_one("#toolkits", DataTable)
        table.add_columns(*HEADER)
        self.rows = self.controller.rows()
        for row in self.rows:
            style = "" if row.allowed else "dim strike"
            table.add_row(*(inert_text(text, style) for text in row.cells), key=row.key)
        cudnn = self.query_one("#cudnn", Checkbox)
        cudnn.label = self.controller.cudnn_label()
        cudnn.value = self.controller.cudnn_chosen()
        container = self.query_one("#container", Checkbox)
        container.label = self.controller.container_label()
        container.value = self.controller.container_chosen()
        table.move_cursor(row=self.controller.selected_index())
        table.focus()
        self._explain()
        self.hint("★ newest this driver runs  ✗ not here.  Enter/n: next (none: skip); Tab, Space.")

    def _highlighted(self) -> ToolkitRow:
        table = self.query_one("#toolkits", DataTable)
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    def _explain(self) -> None:
        self.query_one("#stack-explain", LinesView).show(
            self.controller.explain(self._highlighted())
        )
        self.query_one("#stack-explain-scroll").scroll_home(animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._explain()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.next()

    def next(self) -> None:
        refusal = self.controller.choose(
            self._highlighted(),
            self.query_one("#cudnn", Checkbox).value,
            self.query_one("#container", Checkbox).value,
        )
        if refusal:
            self.notify(refusal, severity="error", timeout=8)
            return
        self.go(flow.INSTALL)
