"""What every wizard screen shares: its controller, the banner, the step bar, the hint line,
the footer and the keys that move between screens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button
from textual.worker import get_current_worker

from nvwizard.tui.controllers.lines import banner_text
from nvwizard.tui.messages import GoTo
from nvwizard.tui.widgets.banner import Banner, StepBar
from nvwizard.tui.widgets.footer import WizardFooter
from nvwizard.tui.widgets.plain_text import PlainText

if TYPE_CHECKING:
    from nvwizard.tui.state import WizardState

MIN_WIDTH, MIN_HEIGHT = 80, 24  # every screen is laid out to fit this


def too_small_notice(width: int, height: int) -> str | None:
    """One line when the terminal is smaller than the wizard is made for, else None."""
    if width >= MIN_WIDTH and height >= MIN_HEIGHT:
        return None
    return f"! Terminal {width}x{height}, smaller than {MIN_WIDTH}x{MIN_HEIGHT}: enlarge it."


class Controller(Protocol):
    """What a screen needs of any controller: the wizard state it reads and writes."""

    state: WizardState


class WizardScreen(Screen):
    """A step of the wizard, built with its controller. Subclasses compose `body()` and
    implement next/back; they move on by posting `GoTo` (the app routes)."""

    STEP = ""
    BINDINGS = [
        Binding("n,enter", "next", "Next"),
        Binding("b,escape", "back", "Back"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
    ]

    controller: Controller  # the Detect screen's may come after its first frame (`adopt`)

    def __init__(self, controller: Controller | None) -> None:
        super().__init__()
        if controller is not None:
            self.controller = controller

    @property
    def state(self) -> WizardState:
        return self.controller.state

    def compose(self) -> ComposeResult:
        yield Banner(self.banner())
        yield PlainText("", id="too-small")
        yield StepBar(self.STEP)
        yield from self.body()
        yield PlainText(self.first_hint(), id="hint")
        yield WizardFooter()

    def body(self) -> ComposeResult:
        return iter(())

    def banner(self) -> str | None:
        return banner_text(self.state.host)

    def first_hint(self) -> str:
        """The hint composed with the screen (most screens set theirs once mounted)."""
        return ""

    def on_resize(self, event: events.Resize) -> None:
        self._notice_size(event.size.width, event.size.height)

    def on_screen_resume(self) -> None:
        self._notice_size(self.app.size.width, self.app.size.height)

    def _notice_size(self, width: int, height: int) -> None:
        notice = too_small_notice(width, height)
        widget = self.query_one("#too-small", PlainText)
        widget.display = notice is not None
        widget.update(notice or "")

    def hint(self, text: str) -> None:
        self.query_one("#hint", PlainText).update(text)

    def go(self, step: str, follow: bool = False) -> None:
        self.post_message(GoTo(step, follow))

    def post_from_worker(self, message: Message) -> None:
        """From a worker thread: post `message`, unless a newer run of the same work has
        replaced this one (an exclusive worker's thread cannot be stopped, only ignored)."""
        if not get_current_worker().is_cancelled:
            self.post_message(message)

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
