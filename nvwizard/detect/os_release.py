"""/etc/os-release: `KEY=value` lines, values quoted with " or ' or not at all."""

from __future__ import annotations

from nvwizard.detect._text import clean_lines
from nvwizard.detect.models import OsRelease

_FIELDS = {
    "ID": "id",
    "VERSION_ID": "version_id",
    "PRETTY_NAME": "pretty_name",
    "VERSION_CODENAME": "version_codename",
    "ID_LIKE": "id_like",
}


def parse_os_release(text: str) -> OsRelease:
    values: dict[str, str] = {}
    for line in clean_lines(text):
        key, sep, raw = line.strip().partition("=")
        field_name = _FIELDS.get(key.strip())
        if not sep or field_name is None or field_name in values:
            continue
        value = unquote(raw.strip())
        if value:
            values[field_name] = value
    return OsRelease(**values)


def unquote(raw: str) -> str:
    """`"Ubuntu 22.04.4 LTS"` -> `Ubuntu 22.04.4 LTS`, with shell backslash escapes undone."""
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        inner = raw[1:-1]
        if raw[0] == "'":
            return inner
        out: list[str] = []
        escaped = False
        for char in inner:
            if escaped or char != "\\":
                out.append(char)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return raw
