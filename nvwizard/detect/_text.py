"""Line handling shared by the parsers: how pasted text is cleaned before it is read."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Checked for every package of every listing (thousands on a machine with many packages):
# one regular expression is ~10x faster than testing character by character.
_HEX = re.compile(r"[0-9a-fA-F]+")
_PACKAGE_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+")


def clean_lines(text: str | None) -> Iterator[str]:
    """Yield each line without its line ending (LF, CRLF or lone CR), trailing whitespace and
    byte-order marks (a UTF-8 BOM anywhere is no text)."""
    if not text:
        return
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for line in text.split("\n"):
        yield line.rstrip()


def is_hex(s: str) -> bool:
    return _HEX.fullmatch(s) is not None


def to_int(s: str | None) -> int | None:
    """An integer from a decimal token, or None (no exception) when it is not one."""
    if s is None:
        return None
    s = s.strip()
    if not s.isdigit() or not s.isascii():
        return None
    return int(s)


def is_package_name(s: str) -> bool:
    """A Debian package name: lowercase letters, digits, + - . ; starting with a letter/digit."""
    return _PACKAGE_NAME.fullmatch(s) is not None
