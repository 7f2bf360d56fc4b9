"""`l`: the whole install log so far, scrollable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Log, Static

from nvwizard.tui.widgets.banner import Banner
from nvwizard.tui.widgets.footer import WizardFooter

if TYPE_CHECKING:
    from nvwizard.host.base import Host


class LogScreen(Screen):
    BINDINGS = [
        Binding("escape,b,l", "close", "Back"),
        Binding("j", "scroll(1)", show=False),
        Binding("k", "scroll(-1)", show=False),
    ]

    def __init__(self, host: Host, lines: list[str]) -> None:
        super().__init__()
        self.host = host
        self.lines = lines

    def compose(self) -> ComposeResult:
        yield Banner(self.host)
        yield Static(f" Full log: {len(self.lines)} lines", id="stepbar", markup=False)
        yield Log(id="full-log", auto_scroll=True)
        yield WizardFooter()

    def on_mount(self) -> None:
        log = self.query_one(Log)
        log.write_lines(self.lines)
        log.focus()

    def action_scroll(self, delta: int) -> None:
        self.query_one(Log).scroll_relative(y=delta, animate=False)

    def action_close(self) -> None:
        self.dismiss()
