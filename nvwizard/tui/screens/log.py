"""`l`: the whole install log, scrollable, and followed while the install runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from nvwizard.tui.controllers.lines import banner_text
from nvwizard.tui.widgets.banner import Banner
from nvwizard.tui.widgets.footer import WizardFooter
from nvwizard.tui.widgets.live_log import LiveLog
from nvwizard.tui.widgets.plain_text import PlainText

if TYPE_CHECKING:
    from nvwizard.host.base import Host

FOLLOW_INTERVAL_S = 0.2  # as often as the Install screen takes the engine's lines


class LogScreen(Screen):
    """`lines()` gives the whole log so far (it grows while the install runs: the screen adds
    the new lines every FOLLOW_INTERVAL_S, and stays at the newest unless scrolled up)."""

    BINDINGS = [
        Binding("escape,b,l", "close", "Back"),
        Binding("j", "scroll(1)", show=False),
        Binding("k", "scroll(-1)", show=False),
    ]

    def __init__(self, host: Host, lines: Callable[[], list[str]]) -> None:
        super().__init__()
        self.host = host
        self.lines = lines
        self._shown = 0

    def compose(self) -> ComposeResult:
        yield Banner(banner_text(self.host))
        yield PlainText("", id="stepbar")
        yield LiveLog(id="full-log", auto_scroll=True)
        yield WizardFooter()

    def on_mount(self) -> None:
        self._follow()
        self.query_one(LiveLog).focus()
        self.set_interval(FOLLOW_INTERVAL_S, self._follow)

    def _follow(self) -> None:
        lines = self.lines()
        if len(lines) < self._shown:  # a repair started a new log (the old lines first)
            self.query_one(LiveLog).clear()
            self._shown = 0
        if len(lines) > self._shown or not self._shown:
            self.query_one(LiveLog).write_lines(lines[self._shown :])
            self._shown = len(lines)
            self.query_one("#stepbar", PlainText).update(f" Full log: {self._shown} lines")

    def action_scroll(self, delta: int) -> None:
        self.query_one(LiveLog).scroll_relative(y=delta, animate=False)

    def action_close(self) -> None:
        self.dismiss()
