"""The key footer: one line of text, redrawn only when the keys it shows change.

Textual's `Footer` is a container of one widget per key, recomposed (new widgets, their
styles, a layout of the whole screen) on every "bindings updated" signal of its screen, which
comes with every focus change and every screen pushed on top. That cost ~25-50 ms before the
wizard's first frame (issue 12) and most of a key press's time during a log flood. The wizard
reads its keys from the keyboard only, so the footer is a single line drawn the way Textual's
footer draws its keys: " key " in the key colours, then the description; a disabled key dim.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget


class FooterKey(NamedTuple):
    """One key as the footer shows it."""

    key_display: str
    description: str
    enabled: bool


def shown_keys(screen: Screen) -> tuple[FooterKey, ...]:
    """What a footer on this screen shows: each visible binding's key, its description and
    whether it is enabled, one per action (the first binding of each), in binding order."""
    keys: dict[str, FooterKey] = {}
    for _node, binding, enabled, _tooltip in screen.active_bindings.values():
        if binding.show and binding.action not in keys:
            display = screen.app.get_key_display(binding)
            keys[binding.action] = FooterKey(display, binding.description, enabled)
    return tuple(keys.values())


class WizardFooter(Widget):
    COMPONENT_CLASSES = {"wizard-footer--key", "wizard-footer--description"}
    DEFAULT_CSS = """
    WizardFooter {
        dock: bottom;
        height: 1;
        text-wrap: nowrap;
        text-overflow: clip;
        color: $footer-foreground;
        background: $footer-background;
        .wizard-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .wizard-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.keys: tuple[FooterKey, ...] = ()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        keys = shown_keys(screen)
        if keys != self.keys:
            self.keys = keys
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("wizard-footer--key")
        description_style = self.get_component_rich_style("wizard-footer--description")
        line = Text(no_wrap=True, overflow="crop")
        for key in self.keys:
            dim = Style() if key.enabled else Style(dim=True)
            line.append(f" {key.key_display} ", key_style + dim)
            line.append(f"{key.description} ", description_style + dim)
        return line
