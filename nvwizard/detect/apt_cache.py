"""`apt-cache show` output (or a Packages file): RFC 822 stanzas separated by blank lines."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from nvwizard.detect._text import clean_lines, to_int
from nvwizard.detect.models import AptPackage

_KNOWN = {
    "Package",
    "Version",
    "Depends",
    "Provides",
    "Modaliases",
    "Support",
    "Origin",
    "Section",
    "Installed-Size",
}
_MAX_EXTRA_VALUE = 2000
# Tried on every line of a listing (hundreds of stanzas): one expression, not a loop per letter.
_FIELD_NAME = re.compile(r"[A-Za-z0-9-]+")


def parse_apt_cache_show(text: str) -> list[AptPackage]:
    packages: list[AptPackage] = []
    for stanza in _stanzas(text):
        package = _package(stanza)
        if package is not None:
            packages.append(package)
    return packages


def _stanzas(text: str) -> Iterator[dict[str, str]]:
    """Each stanza as {field: value}; continuation lines are folded into the field above."""
    stanza: dict[str, str] = {}
    last: str | None = None
    for line in clean_lines(text):  # without trailing whitespace: a blank line is ""
        if not line:
            if stanza:
                yield stanza
            stanza, last = {}, None
            continue
        if not line[0].isspace():
            key, sep, value = line.partition(":")
            if sep and _FIELD_NAME.fullmatch(key) is not None:
                last = key
                stanza.setdefault(key, value.strip())
                continue
        # a continuation (leading space), or one whose indentation was lost
        if last is not None and len(folded := stanza[last]) < _MAX_EXTRA_VALUE:
            stanza[last] = f"{folded} {line.strip()}" if folded else line.strip()
    if stanza:
        yield stanza


def _package(fields: dict[str, str]) -> AptPackage | None:
    name = fields.get("Package", "").split()
    if len(name) != 1:
        return None
    return AptPackage(
        package=name[0],
        version=fields.get("Version") or None,
        depends=_clauses(fields.get("Depends", "")),
        provides=_clauses(fields.get("Provides", "")),
        modaliases=parse_modaliases_field(fields.get("Modaliases", "")),
        support=fields.get("Support") or None,
        origin=fields.get("Origin") or None,
        section=fields.get("Section") or None,
        installed_size_kib=to_int(fields.get("Installed-Size")),
        extra={k: v for k, v in fields.items() if k not in _KNOWN},
    )


def _clauses(value: str) -> tuple[str, ...]:
    """ "a (>= 1), b | c" -> ("a (>= 1)", "b | c")."""
    return tuple(" ".join(c.split()) for c in value.split(",") if c.strip())


def parse_modaliases_field(value: str) -> tuple[str, ...]:
    """ "nvidia(pci:v000010DEd00001340sv*sd*bc03sc*i*, pci:v...)" -> the patterns inside.

    Several `module(...)` groups may follow each other; every `pci:` item of each is kept."""
    patterns: list[str] = []
    for item in value.replace("(", ",").replace(")", ",").split(","):
        item = item.strip()
        if item.lower().startswith("pci:"):
            patterns.append(item)
    return tuple(patterns)


def modalias_matches(pattern: str, modalias: str) -> bool:
    """Whether a device's modalias matches an apt `Modaliases:` pattern (fnmatch, any case)."""
    if not pattern or not modalias:
        return False
    return fnmatch.fnmatchcase(modalias.strip().lower(), pattern.strip().lower())
