"""A line or block of plain text: never markup (square brackets in package output stay), and
machine data in it shown inert (tui/shown_text.py)."""

from __future__ import annotations

from textual.widgets import Static

from nvwizard.tui.shown_text import inert


class PlainText(Static):
    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(inert(text), id=id, markup=False)

    def update(self, content: str = "", *, layout: bool = True) -> None:  # type: ignore[override]
        super().update(inert(content), layout=layout)
