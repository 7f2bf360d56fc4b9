"""Toggles where Space toggles and Enter moves on, as the keyboard contract says."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Checkbox, SelectionList


class PackageList(SelectionList[str]):
    BINDINGS = [
        Binding("enter", "screen.next", "Next", show=False),
        Binding("space", "select", "Toggle"),
    ]


class ToggleBox(Checkbox):
    """A checkbox that Space toggles; Enter moves on like everywhere else."""

    BINDINGS = [
        Binding("enter", "screen.next", "Next", show=False),
        Binding("space", "toggle_button", "Toggle"),
    ]
