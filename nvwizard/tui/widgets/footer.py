"""The key footer, rebuilt only when the keys it shows change.

Textual's `Footer` recomposes (new widgets, styles, a layout of the whole screen) on every
"bindings updated" signal of its screen, which comes with every focus change and every screen
pushed on top, whether or not the keys changed. Under a modal help screen each of those
layouts also redraws the modal over the screen beneath; during a log flood that cost was most
of the UI's time for a key press.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen) -> tuple:
    """What a footer on this screen shows: each visible binding, its label and whether it
    is enabled."""
    return tuple(
        (binding.key, binding.key_display, binding.description, binding.action, enabled, tip)
        for _node, binding, enabled, tip in screen.active_bindings.values()
        if binding.show
    )


class WizardFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._composed_keys: tuple | None = None

    async def recompose(self) -> None:
        # Asked for after each "bindings updated" signal, read when Footer would compose.
        if not self.is_attached:  # removed meanwhile (Widget.recompose checks it too)
            return
        keys = (self.compact, shown_keys(self.screen))
        if keys == self._composed_keys:
            return
        self._composed_keys = keys
        await super().recompose()
