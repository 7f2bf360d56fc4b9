"""`lsmod` (header optional, possibly grep-filtered)."""

from __future__ import annotations

from nvwizard.detect._text import clean_lines, to_int
from nvwizard.detect.models import LsmodEntry


def parse_lsmod(text: str) -> list[LsmodEntry]:
    """ "nvidia  56799232  2 nvidia_uvm,nvidia_modeset" -> LsmodEntry(nvidia, 56799232,
    (nvidia_uvm, nvidia_modeset), count 2). The count also holds what is not a module (open
    device files, the console): a module is in use when it exceeds its listed users."""
    entries: list[LsmodEntry] = []
    for line in clean_lines(text):
        tokens = line.split()
        if len(tokens) < 3 or not _is_module_name(tokens[0]):
            continue
        size, count = to_int(tokens[1]), to_int(tokens[2])
        if size is None or (count is None and tokens[2] != "-"):
            continue
        used_by = tuple(
            m for m in (tokens[3].split(",") if len(tokens) > 3 else []) if _is_module_name(m)
        )
        entries.append(LsmodEntry(name=tokens[0], size=size, used_by=used_by, count=count))
    return entries


def _is_module_name(token: str) -> bool:
    return bool(token) and token.isascii() and all(c.isalnum() or c == "_" for c in token)
