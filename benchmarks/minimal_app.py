"""The start-up baseline: a minimal Textual app that paints one static screen.

`python -m benchmarks.minimal_app` runs it in the terminal (q quits).
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

READY_TEXT = "minimal Textual app: one static screen"


class MinimalApp(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static(READY_TEXT, markup=False)


if __name__ == "__main__":
    MinimalApp().run()
