"""Shows controller `Line`s; the tone picks the style, the text never depends on colour.

Long lines wrap with a hanging indent (continuations line up under the text, not under the
label), which plain `Static` text cannot do.
"""

from __future__ import annotations

import textwrap

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from nvwizard.tui.controllers import lines as tones
from nvwizard.tui.controllers.lines import Line
from nvwizard.tui.shown_text import inert

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
# NO_COLOR=1: Textual turns colours into greys by their brightness, and red on the dark
# background becomes grey on grey (~1.5:1). Danger is reverse video there, a warning bold.
MONOCHROME_TONE_STYLE = {
    **TONE_STYLE,
    tones.OK: "",
    tones.INFO: "",
    tones.WARN: "bold",
    tones.DANGER: "bold reverse",
    tones.COMMAND: "",
}


MARKERS = "!✓✗·▶$"  # "! text": continuation rows line up under the text


def wrap_line(line: Line, width: int) -> list[str]:
    """The rows one line takes at this width; continuations indented by `line.hang`. Machine
    data in the text is shown inert (tui/shown_text.py), and wrapped as shown."""
    text = inert(line.text)
    if not text or width <= 0:
        return [text]
    body = text.lstrip(" ")
    marker = 2 if len(body) > 2 and body[1] == " " and body[0] in MARKERS else 0
    indent = len(text) - len(body) + max(line.hang, marker)
    hang = " " * min(indent, max(0, width // 2))
    return textwrap.wrap(
        text,
        width=width,
        subsequent_indent=hang,
        break_on_hyphens=False,
        drop_whitespace=True,
    ) or [text]


def render_lines(lines: list[Line], width: int, monochrome: bool = False) -> Text:
    styles = MONOCHROME_TONE_STYLE if monochrome else TONE_STYLE
    text = Text(no_wrap=True, overflow="crop")
    first = True
    for line in lines:
        for row in wrap_line(line, width):
            if not first:
                text.append("\n")
            first = False
            text.append(row, style=styles.get(line.tone, ""))
    return text


class LinesView(Widget):
    """A block of toned lines. Plain `Text`, so square brackets in package output survive."""

    DEFAULT_CSS = "LinesView { height: auto; }"

    def __init__(self, placeholder: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[Line] = [Line(placeholder)] if placeholder else []

    def show(self, lines: list[Line]) -> None:
        self.lines = list(lines)
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return sum(len(wrap_line(line, width)) for line in self.lines)

    def render(self) -> Text:
        width = self.content_region.width or self.size.width
        return render_lines(self.lines, width, monochrome=self.app.no_color)

    @property
    def plain(self) -> str:
        """The text as shown, for tests: one row per line."""
        return "\n".join(inert(line.text) for line in self.lines)
