"""Text lines with a tone, so controllers decide what to say and views decide how it looks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nvwizard.host.base import Host

# Tones: the view maps each to a style; the text itself never relies on colour alone.
NORMAL = "normal"
HEADING = "heading"
OK = "ok"
INFO = "info"
WARN = "warn"
DANGER = "danger"
DIM = "dim"
COMMAND = "command"


@dataclass(frozen=True)
class Line:
    text: str
    tone: str = NORMAL
    hang: int = 0  # extra indent of wrapped continuation rows (past a label like "WARN  ")


def banner_text(host: Host) -> str | None:
    """The line above every screen on a demo or bundle machine; None on this machine."""
    if host.kind == "demo":
        return f"DEMO: nothing on this machine is changed ({host.label})"
    if host.kind == "bundle":
        return f"BUNDLE: nothing on this machine is changed ({host.label})"
    return None
