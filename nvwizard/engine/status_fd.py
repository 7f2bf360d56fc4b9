"""apt's machine-readable progress (`-o APT::Status-Fd=3`), one line at a time.

apt writes `dlstatus:<n>:<percent>:<text>` while downloading and
`pmstatus:<package>:<percent>:<text>` while dpkg works; `pmerror:` and `pmconffile:` lines
report a failed package and a conffile prompt. Newer apt versions put the architecture into
the package field (`pmstatus:libc6:amd64:20:...`), so the percent is found as the first
numeric field rather than at a fixed position.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusLine:
    kind: str  # "download", "install", "error", "conffile"
    package: str | None
    percent: float | None
    text: str


_KINDS = {
    "dlstatus": "download",
    "pmstatus": "install",
    "pmerror": "error",
    "pmconffile": "conffile",
}


def _as_percent(field: str) -> float | None:
    try:
        value = float(field)
    except ValueError:
        return None
    return value if 0.0 <= value <= 100.0 else None


def parse_status_line(line: str) -> StatusLine | None:
    """One Status-Fd line, or None when it is not one apt writes."""
    head, sep, rest = line.strip().partition(":")
    if not sep or head not in _KINDS:
        return None
    fields = rest.split(":")
    for i, field in enumerate(fields):
        percent = _as_percent(field)
        if percent is not None and i > 0:
            package = ":".join(fields[:i]) or None
            text = ":".join(fields[i + 1 :]).strip()
            if head == "dlstatus":
                package = None  # the first field is a file counter, not a package
            return StatusLine(_KINDS[head], package, percent, text)
    # pmerror/pmconffile lines may carry no usable percent
    return StatusLine(_KINDS[head], fields[0] or None, None, ":".join(fields[1:]).strip())
