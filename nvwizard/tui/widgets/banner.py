"""The demo banner that never leaves, and the step bar that says where the user is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from nvwizard.tui import flow
from nvwizard.tui.widgets.plain_text import PlainText

if TYPE_CHECKING:
    from nvwizard.host.base import Host


def banner_text(host: Host) -> str | None:
    if host.kind == "demo":
        return f"DEMO: nothing on this machine is changed ({host.label})"
    if host.kind == "bundle":
        return f"BUNDLE: nothing on this machine is changed ({host.label})"
    return None


class Banner(PlainText):
    def __init__(self, host: Host) -> None:
        super().__init__(banner_text(host) or "", id="banner")
        self.display = banner_text(host) is not None


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
