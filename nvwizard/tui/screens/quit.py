"""Quitting while installing: ask, and never interrupt dpkg."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from nvwizard.tui.widgets.plain_text import PlainText

QUESTION = (
    "An install is running. Quitting now stops after the running step: dpkg is never "
    "interrupted, and the log says where it stopped."
)
QUESTION_DETACHED = (
    "The install runs in the background and goes on without this window; dpkg is never "
    "interrupted. Run `sudo nvwizard` again to reattach."
)
QUESTION_ACTIVATE = (
    "The new driver is being loaded. Quitting now stops before the old driver is unloaded, or "
    "once the new one is in: never in between."
)


class QuitDuringInstallScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape,b", "stay", "Keep watching")]

    def __init__(self, detached: bool = False, activating: bool = False) -> None:
        super().__init__()
        self.detached = detached
        self.activating = activating

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            question = QUESTION_DETACHED if self.detached else QUESTION
            yield PlainText(QUESTION_ACTIVATE if self.activating else question)
            with Horizontal(id="actions"):
                yield Button("Keep watching", id="stay", variant="primary", compact=True)
                label = "Quit, it goes on" if self.detached else "Stop after this step, quit"
                yield Button(label, id="quit", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_key(self, event: events.Key) -> None:
        """←/→ move between the two buttons, as on the Reboot screen."""
        if event.key in ("left", "right"):
            event.stop()
            (self.focus_next if event.key == "right" else self.focus_previous)(Button)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")

    def action_stay(self) -> None:
        self.dismiss(False)
