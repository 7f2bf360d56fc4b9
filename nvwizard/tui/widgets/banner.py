"""The demo banner that never leaves, and the step bar that says where the user is."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from nvwizard.tui import flow
from nvwizard.tui.widgets.plain_text import PlainText


class Banner(PlainText):
    """`text`: controllers/lines.py's `banner_text`; None hides the banner (this machine)."""

    def __init__(self, text: str | None) -> None:
        super().__init__(text or "", id="banner")
        self.display = text is not None


class StepBar(Static):
    """Detect > Purge > Select > Install > Reboot, the current one marked."""

    def __init__(self, current: str) -> None:
        super().__init__(self._text(current), id="stepbar")

    @staticmethod
    def _text(current: str) -> Text:
        text = Text(" nvwizard  ", style="bold")
        names = flow.STEPS if current in flow.STEPS else (current,)
        for index, name in enumerate(names, 1):
            label = f"{index} {flow.TITLES[name]}" if current in flow.STEPS else flow.TITLES[name]
            if name == current:
                text.append(f"[{label}]", style="bold reverse")
            else:
                text.append(f" {label} ", style="dim")
            text.append(" ")
        return text
