"""Shows controller `Line`s; the tone picks the style, the text never depends on colour."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from nvwizard.tui.controllers import lines as tones
from nvwizard.tui.controllers.lines import Line

TONE_STYLE = {
    tones.NORMAL: "",
    tones.HEADING: "bold",
    tones.OK: "green",
    tones.INFO: "cyan",
    tones.WARN: "yellow",
    tones.DANGER: "bold red",
    tones.DIM: "dim",
    tones.COMMAND: "cyan",
}


def render_lines(lines: list[Line]) -> Text:
    text = Text(no_wrap=False, overflow="fold")
    for index, line in enumerate(lines):
        if index:
            text.append("\n")
        text.append(line.text, style=TONE_STYLE.get(line.tone, ""))
    return text


class LinesView(Static):
    """A block of toned lines. Plain `Text`, so square brackets in package output survive."""

    def show(self, lines: list[Line]) -> None:
        self.update(render_lines(lines))
