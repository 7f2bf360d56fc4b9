"""What a screen asks of the wizard: messages that bubble from the screen up to the app, which
routes between the screens. Screens never import the app (Textual's "attributes down,
messages up"); the app hands each screen its controller when it builds it.
"""

from __future__ import annotations

from textual.message import Message


class GoTo(Message):
    """Open the screen of `step` (flow.py names the steps) on top of this one."""

    def __init__(self, step: str, follow: bool = False) -> None:
        super().__init__()
        self.step = step
        self.follow = follow  # Install only: reattach to the apply running in the background


class StartOver(Message):
    """The demo or bundle machine rebooted: begin again at Detect, as the next login would."""
