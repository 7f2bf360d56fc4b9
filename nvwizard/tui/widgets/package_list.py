"""A toggle list where Space toggles and Enter moves on, as the keyboard contract says."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import SelectionList


class PackageList(SelectionList[str]):
    BINDINGS = [
        Binding("enter", "screen.next", "Next", show=False),
        Binding("space", "select", "Toggle"),
    ]
