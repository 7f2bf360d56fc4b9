"""What every wizard screen shares: the banner, the step bar, the footer and the keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Button, Static

from nvwizard.tui.widgets.banner import Banner, StepBar
from nvwizard.tui.widgets.footer import WizardFooter

if TYPE_CHECKING:
    from nvwizard.tui.app import WizardApp


class WizardScreen(Screen):
    """A step of the wizard. Subclasses compose `body()` and implement next/back."""

    STEP = ""
    BINDINGS = [
        Binding("n,enter", "next", "Next"),
        Binding("b,escape", "back", "Back"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
    ]

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Banner(self.wizard.state.host)
        yield StepBar(self.STEP)
        yield from self.body()
        yield Static("", id="hint", markup=False)
        yield WizardFooter()

    def body(self) -> ComposeResult:
        return iter(())

    def hint(self, text: str) -> None:
        self.query_one("#hint", Static).update(text)

    def action_move(self, delta: int) -> None:
        """j/k: move like the arrows in whatever has focus."""
        focused = self.focused
        if focused is None:
            return
        action = "cursor_down" if delta > 0 else "cursor_up"
        if hasattr(focused, f"action_{action}"):
            getattr(focused, f"action_{action}")()
        elif hasattr(focused, "scroll_relative"):
            focused.scroll_relative(y=delta, animate=False)

    def action_next(self) -> None:
        """Enter/n: press the focused button, else the screen's own next."""
        if isinstance(self.focused, Button):
            self.focused.press()
            return
        self.next()

    def next(self) -> None: ...

    def action_back(self) -> None:
        if self.can_go_back():
            self.app.pop_screen()

    def can_go_back(self) -> bool:
        return len(self.app.screen_stack) > 2

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.can_go_back()
        if action == "next":
            focused_button = isinstance(self.focused, Button) and not self.focused.disabled
            return focused_button or self.can_go_next()
        return True

    def can_go_next(self) -> bool:
        return True
