"""The wizard's text boundary (tui/shown_text.py): machine text reaches Textual only through the
wizard's own widgets, each showing control characters as escapes and square brackets as
they are; the screens build no Textual text widget of their own."""

from __future__ import annotations

import ast
from pathlib import Path

from textual.app import App, ComposeResult

import nvwizard.tui
from nvwizard.tui.shown_text import inert, inert_lines
from nvwizard.tui.widgets.live_log import LiveLog
from nvwizard.tui.widgets.plain_text import PlainText
from nvwizard.tui.widgets.toggle_box import ToggleBox
from tests.tui.fakes import FakeBackend
from tests.tui.test_walk_fake import make_app

TUI = Path(nvwizard.tui.__file__).parent
# Textual's and Rich's ways to put text on the screen: only tui/widgets/ (the boundary) and
# shown_text.py use them.
TEXT_MAKERS = {"Static", "Label", "Log", "RichLog", "Text", "Content", "Markdown", "Pretty"}


def test_inert_escapes_controls_and_keeps_the_rest():
    assert inert("a\x1b[2Jb\x07c\x9b\u202e") == "a\\x1b[2Jb\\x07c\\x9b\\u202e"
    assert inert("tab\there\nnext [b]x[/b] Grüße 日本") == "tab\there\nnext [b]x[/b] Grüße 日本"
    plain = ["Setting up nvidia-utils-580 (580.95.05) ...", "done."]
    assert inert_lines(plain) == plain
    assert inert_lines([*plain, "\x1b[31mred"]) == [*plain, "\\x1b[31mred"]


def test_screens_build_no_text_widget_of_their_own():
    makers = []
    for path in TUI.rglob("*.py"):
        if path.parent.name == "widgets" or path.name == "shown_text.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in TEXT_MAKERS:
                    makers.append(f"{path.relative_to(TUI)}:{node.lineno} {node.func.id}")
    assert makers == []


class Widgets(App):
    def compose(self) -> ComposeResult:
        yield PlainText("hint \x1b[7m[bold]x[/bold]", id="plain")
        yield ToggleBox("cuDNN", id="box")
        yield LiveLog(id="log")


async def test_each_widget_of_the_boundary_shows_escapes_and_brackets():
    app = Widgets()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one("#box", ToggleBox).label = "cuDNN 9 [b]for[/b] CUDA 12\x07"
        app.query_one("#plain", PlainText).update("✓ Detected bundle \x1b]0;owned\x07")
        app.query_one("#log", LiveLog).write_lines(["Unpacking \x1b[1A\x1b[2Kx", "plain"])
        await pilot.pause()
        rows = ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]
    screen = "\n".join(rows)
    assert "✓ Detected bundle \\x1b]0;owned\\x07" in screen
    assert "cuDNN 9 [b]for[/b] CUDA 12\\x07" in screen
    assert "Unpacking \\x1b[1A\\x1b[2Kx" in screen
    assert "\x1b" not in screen and "\x07" not in screen


async def test_the_farewell_prints_plain_and_inert(capsys):
    app = make_app(FakeBackend())
    async with app.run_test():
        app.exit(message="nvwizard: stopped after [install] \x1b[2J\x07")
    printed = capsys.readouterr().err
    assert "nvwizard: stopped after [install] \\x1b[2J\\x07" in printed
    assert "\x1b[2J" not in printed
