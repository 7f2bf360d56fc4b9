"""The wizard's footer: one line of the screen's keys, redrawn only when those keys change."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Button

from nvwizard.tui.widgets.footer import FooterKey, WizardFooter


class KeysScreen(Screen):
    BINDINGS = [
        Binding("x", "extra", "Extra"),
        Binding("y", "why", "Why"),
        Binding("z,w", "zed", "Zed"),  # two keys, one action: shown once, by its first key
        Binding("h", "hidden", "Hidden", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.extra_shown = True
        self.why_enabled = True

    def compose(self) -> ComposeResult:
        yield Button("first", id="first")
        yield Button("second", id="second")
        yield WizardFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "extra":
            return self.extra_shown  # False: not shown at all
        if action == "why":
            return True if self.why_enabled else None  # None: shown, disabled
        return True


class KeysApp(App):
    ENABLE_COMMAND_PALETTE = False

    def on_mount(self) -> None:
        self.push_screen(KeysScreen())


def footer(app) -> WizardFooter:
    return app.screen.query_one(WizardFooter)


def footer_text(app) -> str:
    return footer(app).render().plain


async def test_the_footer_shows_each_action_once_with_its_state():
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        assert footer(app).keys == (
            FooterKey("x", "Extra", True),
            FooterKey("y", "Why", True),
            FooterKey("z", "Zed", True),
        )
        assert footer_text(app) == " x Extra  y Why  z Zed "
        assert footer(app).region.y == 9  # docked on the last line

        app.screen.why_enabled = False
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert FooterKey("y", "Why", False) in footer(app).keys
        why = footer(app).render()
        dimmed = [span for span in why.spans if span.style.dim]  # type: ignore[union-attr]
        assert {why.plain[s.start : s.end] for s in dimmed} == {" y ", "Why "}


async def test_same_keys_do_not_redraw_the_footer_and_changed_keys_do():
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        refreshes = []
        original_refresh = footer(app).refresh
        footer(app).refresh = lambda *a, **k: refreshes.append(1) or original_refresh(*a, **k)

        app.screen.query_one("#second", Button).focus()  # bindings updated, same keys
        await pilot.pause()
        await pilot.pause()
        assert refreshes == []

        app.screen.extra_shown = False
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert refreshes
        assert footer_text(app) == " y Why  z Zed "
