"""The wizard started from what a child process detected (cli/detect_ahead.py says why).

Its first frame is the Detect screen showing the child's `DetectView`. Right after that frame
the wizard builds its real state in this process, as `WizardApp` does before it starts (the
host, the layers, the detection: the same text, so nothing on screen changes), and hands it
to the screen. Until then every key is held, then handled in the order it came: none is lost,
and none acts on a state that does not exist yet (`n` opens Purge only from the real one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.message import Message
from textual.screen import Screen

from nvwizard.tui.app import WizardApp
from nvwizard.tui.controllers.detect import DetectController, DetectView
from nvwizard.tui.screens.detect import DetectScreen

if TYPE_CHECKING:
    from nvwizard.tui.state import WizardState
    from nvwizard.tui.types import WizardBackend

BuildState = Callable[[], "tuple[WizardState, WizardBackend]"]


class KeysReleased(Message):
    """Posted once the state is built: every key that came before it was held (`on_event`),
    and is handled when this message is, in its order."""


class DetectedAheadApp(WizardApp):
    def __init__(self, shown: DetectView, build_state: BuildState) -> None:
        super().__init__(None, None)
        self.shown = shown
        self.build_state = build_state
        self.held_keys: list[events.Key] | None = []  # None: the state is built, keys act
        self.failure: Exception | None = None  # building the state failed: raised by the caller

    @property
    def ready(self) -> bool:
        return self.held_keys is None

    def first_screen(self) -> Screen:
        """The Detect screen showing the child's view; the state is built after its frame."""
        self.detect_screen = DetectScreen(None, self.spinners, shown=self.shown)
        # in a message of its own after the first frame: what waits for that frame (a test,
        # the start-up probe) hears of it first
        self.call_after_refresh(self.call_later, self._build_state)
        return self.detect_screen

    def _build_state(self) -> None:
        try:
            self.state, self.backend = self.build_state()
        except Exception as error:  # the host went away meanwhile: said as the command says it
            self.failure = error
            self.exit(return_code=1)
            return
        self.detect_screen.adopt(DetectController(self.state, self.backend))
        self.post_message(KeysReleased())

    async def on_event(self, event: events.Event) -> None:
        held = self.held_keys
        if isinstance(event, events.Key) and not event.is_forwarded and held is not None:
            held.append(event)
            return
        await super().on_event(event)

    async def on_keys_released(self, _message: KeysReleased) -> None:
        held, self.held_keys = self.held_keys or [], None
        for key in held:  # handled now, as if they had just come: before any still queued
            await super().on_event(key)
