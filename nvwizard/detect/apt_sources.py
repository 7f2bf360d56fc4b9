"""apt-sources.txt as entries: which archive, suite and components each source enables, and
the file it came from.

The capture writes each file's enabled entries after a `# file: <path>` line (deb822 stanzas
of `.sources` files converted to one-line entries, their `Signed-By` as `[signed-by=...]`,
an inline key as `[signed-by=(inline key)]`); older captures have no such lines, and a pasted
deb822 stanza is read as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from nvwizard.detect._text import clean_lines

FILE_MARKER = "# file:"
INLINE_KEY = "(inline key)"  # what the capture writes for a Signed-By with the key itself
_MAX_PER_FIELD = 32  # values per field: keeps a garbage line or stanza from multiplying out


@dataclass(frozen=True)
class AptSourceEntry:
    kind: str  # "deb" or "deb-src"
    uri: str  # "http://deb.debian.org/debian"
    suite: str  # "bookworm-security"
    components: tuple[str, ...]  # ("main", "contrib")
    options: str = ""  # "[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
    file: str | None = None  # "/etc/apt/sources.list.d/debian.sources", when known
    deb822: bool = False  # written as a deb822 stanza (a .sources file)

    @property
    def inline_key(self) -> bool:
        """Signed by a key written into the entry itself (deb822 only): no other entry for
        this archive can repeat it from the capture."""
        return INLINE_KEY in self.options

    @property
    def uri_key(self) -> str:
        return self.uri.rstrip("/")


def parse_apt_source_entries(text: str) -> list[AptSourceEntry]:
    entries: list[AptSourceEntry] = []
    current_file: str | None = None
    stanza: dict[str, str] = {}
    for line in clean_lines(text):
        stripped = line.strip()
        if stripped.startswith(FILE_MARKER):
            entries += _stanza_entries(stanza, current_file)
            stanza = {}
            current_file = stripped[len(FILE_MARKER) :].strip() or None
            continue
        if not stripped:
            entries += _stanza_entries(stanza, current_file)
            stanza = {}
            continue
        if stripped.startswith("#"):
            continue
        first = stripped.split(None, 1)[0]
        if first in ("deb", "deb-src"):
            entry = _one_line(stripped, current_file)
            if entry is not None:
                entries.append(entry)
            continue
        key, sep, value = stripped.partition(":")
        if sep and key in ("Types", "URIs", "Suites", "Components", "Enabled", "Signed-By"):
            stanza[key] = value.strip()
    entries += _stanza_entries(stanza, current_file)
    return entries


def _one_line(line: str, file: str | None) -> AptSourceEntry | None:
    kind, _, rest = line.partition(" ")
    rest = rest.strip()
    options = ""
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            return None
        options, rest = rest[: close + 1], rest[close + 1 :].strip()
    words = rest.split()[:_MAX_PER_FIELD]
    if len(words) < 2:
        return None
    deb822 = bool(file and file.endswith(".sources"))
    return AptSourceEntry(kind, words[0], words[1], tuple(words[2:]), options, file, deb822)


def _stanza_entries(stanza: dict[str, str], file: str | None) -> list[AptSourceEntry]:
    if not stanza or stanza.get("Enabled", "yes").lower() == "no":
        return []
    signed_by = stanza.get("Signed-By")
    options = ""
    if signed_by is not None:  # a key block starts on the next line, or right here
        inline = not signed_by or signed_by.startswith("-")
        options = f"[signed-by={INLINE_KEY if inline else signed_by}]"
    components = tuple(stanza.get("Components", "").split()[:_MAX_PER_FIELD])
    return [
        AptSourceEntry(kind, uri, suite, components, options, file, True)
        for kind in stanza.get("Types", "").split()[:_MAX_PER_FIELD]
        for uri in stanza.get("URIs", "").split()[:_MAX_PER_FIELD]
        for suite in stanza.get("Suites", "").split()[:_MAX_PER_FIELD]
    ]
