"""`?`: the keyboard contract, on every screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen

from nvwizard.tui.widgets.plain_text import PlainText

HELP_TEXT = """\
Keys (everything works without a mouse)

  Enter or n     next / confirm the focused button
  Escape or b    back (not while installing)
  q or Ctrl+C    quit (while installing it asks first;
                 dpkg is never interrupted)
  ↑ ↓ or j k     move
  Tab            next field or button
  Space          toggle (packages, headless)
  l              full install log
  r              reinstall, or keep, the driver that
                 runs (on Install, when it is the
                 chosen one)
  v              verify the installed driver (Detect)
  d              try the demo machine (no GPU here)
  ?              this help

Demo and bundle runs change nothing on this machine.
Press Escape, ? or q to close."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q,b,n,enter", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield PlainText(HELP_TEXT)

    def action_close(self) -> None:
        self.dismiss(None)
