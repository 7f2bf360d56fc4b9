"""Debian version strings compared as dpkg compares them (`dpkg --compare-versions`).

`[epoch:]upstream[-revision]`: the epoch as a number; upstream and revision alternately as
runs of non-digits (letters sort before other characters, `~` before everything, even the end)
and numbers. Pure Python: apt's candidate choice and a family's "newest version" need it.
"""

from __future__ import annotations

import functools
import re

_PARTS_RE = re.compile(r"(\d+)|(\D+)")


def _char_order(char: str) -> int:
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_text(left: str, right: str) -> int:
    """dpkg's verrevcmp on one field."""
    i = j = 0
    while i < len(left) or j < len(right):
        # the non-digit run
        while (i < len(left) and not left[i].isdigit()) or (
            j < len(right) and not right[j].isdigit()
        ):
            a = _char_order(left[i]) if i < len(left) and not left[i].isdigit() else 0
            b = _char_order(right[j]) if j < len(right) and not right[j].isdigit() else 0
            if a != b:
                return -1 if a < b else 1
            i += 1
            j += 1
        # the digit run
        start_i, start_j = i, j
        while i < len(left) and left[i].isdigit():
            i += 1
        while j < len(right) and right[j].isdigit():
            j += 1
        a_num = int(left[start_i:i] or 0)
        b_num = int(right[start_j:j] or 0)
        if a_num != b_num:
            return -1 if a_num < b_num else 1
    return 0


def _split(version: str) -> tuple[int, str, str]:
    version = version.strip()
    epoch, colon, rest = version.partition(":")
    if not colon:
        epoch, rest = "0", version
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    return int(epoch) if epoch.isdigit() else 0, upstream, revision


def compare_versions(left: str, right: str) -> int:
    """-1, 0 or 1, as `dpkg --compare-versions left lt|eq|gt right` would answer."""
    l_epoch, l_up, l_rev = _split(left)
    r_epoch, r_up, r_rev = _split(right)
    if l_epoch != r_epoch:
        return -1 if l_epoch < r_epoch else 1
    return _compare_text(l_up, r_up) or _compare_text(l_rev, r_rev)


def upstream_part(version: str) -> str:
    """The upstream version, without epoch and Debian revision: "1:535.309.01-0+deb12u1" ->
    "535.309.01" (the revision is what follows the last hyphen, as dpkg reads it)."""
    return _split(version)[1]


def really_upstream(upstream: str) -> str:
    """The release a package really carries. A rolled-back package keeps a higher version
    string and names the release it holds after "+really": Ubuntu's focal-updates shipped
    "440.82+really.440.64-0ubuntu6", whose kernel module says 440.64. Else `upstream` itself."""
    _, sep, really = upstream.rpartition("+really")
    really = really.lstrip(".")
    return really if sep and really else upstream


version_key = functools.cmp_to_key(compare_versions)
"""A sort key: `sorted(versions, key=version_key)` sorts oldest first."""
