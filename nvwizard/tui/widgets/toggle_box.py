"""The wizard's tickbox (Headless, cuDNN, Container toolkit): one widget everywhere.

Textual's Checkbox draws `▐X▌` ticked and unticked alike, only the X's colour differs: with
NO_COLOR (grey on grey) or a screen reader nothing says which it is. Here the X is there only
when ticked (`▐ ▌` otherwise), as on a paper form: readable without colour."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Checkbox

from nvwizard.tui.shown_text import inert

TICKED, UNTICKED = "X", " "


class ToggleBox(Checkbox):
    """A checkbox that Space toggles; Enter moves on like everywhere else."""

    BINDINGS = [
        Binding("enter", "screen.next", "Next", show=False),
        Binding("space", "toggle_button", "Toggle"),
    ]

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(Content(inert(label)), id=id)

    @property
    def label(self) -> Content:
        return Checkbox.label.fget(self)  # type: ignore[attr-defined]

    @label.setter
    def label(self, label: str | Content | Text) -> None:
        """Plain text (no markup), machine data in it inert (tui/shown_text.py)."""
        text = label if isinstance(label, str) else label.plain
        Checkbox.label.fset(self, Content(inert(text)))  # type: ignore[attr-defined]

    @property
    def _button(self) -> Content:
        """Checkbox's button, its inner glyph saying the value (Checkbox draws X for both)."""
        button = super()._button
        inner = TICKED if self.value else UNTICKED
        start = len(self.BUTTON_LEFT)
        plain = button.plain
        return Content(plain[:start] + inner + plain[start + 1 :], list(button.spans))
