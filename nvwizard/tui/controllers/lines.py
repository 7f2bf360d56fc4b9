"""Text lines with a tone, so controllers decide what to say and views decide how it looks."""

from __future__ import annotations

from dataclasses import dataclass

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
