"""The wizard's footer is rebuilt only when the keys it shows change."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Button
from textual.widgets._footer import FooterKey

from nvwizard.tui.widgets.footer import WizardFooter


class KeysScreen(Screen):
    BINDINGS = [Binding("x", "extra", "Extra"), Binding("y", "why", "Why")]

    def __init__(self) -> None:
        super().__init__()
        self.extra_shown = True

    def compose(self) -> ComposeResult:
        yield Button("first", id="first")
        yield Button("second", id="second")
        yield WizardFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "extra":
            return self.extra_shown  # False: not shown at all
        return True


class KeysApp(App):
    ENABLE_COMMAND_PALETTE = False

    def on_mount(self) -> None:
        self.push_screen(KeysScreen())


def footer_keys(app) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


async def test_same_keys_keep_the_same_footer_and_changed_keys_rebuild_it():
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        first_keys = footer_keys(app)
        assert [k.description for k in first_keys] == ["Extra", "Why"]

        app.screen.query_one("#second", Button).focus()  # bindings updated, same keys
        await pilot.pause()
        await pilot.pause()
        assert footer_keys(app) == first_keys  # the very same widgets: nothing recomposed

        app.screen.extra_shown = False
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert [k.description for k in footer_keys(app)] == ["Why"]
