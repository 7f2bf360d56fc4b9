"""The two kinds of package the model holds: what apt offers and what dpkg has installed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nvwizard.detect.dpkg import STATUS_LETTER, WANT_LETTER
from nvwizard.detect.models import AptPackage

# dpkg's state letters -> the words dpkg-query prints for ${Status} (the parser's tables, inverted)
WANT_WORD = {letter: word for word, letter in WANT_LETTER.items()}
STATUS_WORD = {letter: word for word, letter in STATUS_LETTER.items()}

_CLAUSE_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9+.\-]*)")

# A dependency as the model keeps it: the names of its alternatives, versions dropped.
Alternatives = tuple[str, ...]


def alternative_names(clause: str) -> Alternatives:
    """ "a (>= 1) | b:any" -> ("a", "b")."""
    names = []
    for alternative in clause.split("|"):
        match = _CLAUSE_NAME.match(alternative)
        if match:
            names.append(match.group(1))
    return tuple(names)


def _dependency_list(clauses: list[str] | tuple[str, ...]) -> tuple[Alternatives, ...]:
    """Each clause's alternatives; clauses without a package name are dropped."""
    return tuple(names for names in map(alternative_names, clauses) if names)


def _int(text: str | None) -> int:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return 0


@dataclass
class Offer:
    """A package version apt offers."""

    name: str
    version: str
    depends: tuple[Alternatives, ...] = ()
    recommends: tuple[Alternatives, ...] = ()
    provides: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    size: int = 0  # download size, bytes
    installed_kib: int = 0
    section: str = "main"
    origin: str | None = None
    arch: str = "amd64"
    description: str = ""
    filename: str = ""  # the archive path, "pool/updates/..." in Debian's security archive

    @classmethod
    def from_apt(cls, package: AptPackage) -> Offer:
        extra = package.extra
        return cls(
            name=package.package,
            version=package.version or "0",
            depends=_dependency_list(package.depends),
            recommends=_dependency_list(extra.get("Recommends", "").split(",")),
            provides=tuple(n for c in package.provides for n in alternative_names(c)),
            conflicts=tuple(
                n for c in extra.get("Conflicts", "").split(",") for n in alternative_names(c)
            ),
            size=_int(extra.get("Size")),
            installed_kib=package.installed_size_kib or 0,
            section=package.section or "main",
            origin=package.origin,
            arch=extra.get("Architecture", "amd64"),
            description=extra.get("Description", ""),
            filename=extra.get("Filename", ""),
        )


@dataclass
class Installed:
    """A package dpkg knows, with its state letters as `dpkg -l` prints them."""

    name: str
    version: str
    want: str = "i"  # i install, h hold, r deinstall, p purge
    status: str = "i"  # i installed, c config-files, U unpacked, F half-configured, ...
    arch: str = "amd64"
    description: str = ""

    @property
    def state(self) -> str:
        """ "ii", "rc", "iF", ...: the first column of `dpkg -l`."""
        return self.want + self.status

    @property
    def status_words(self) -> str:
        """ "install ok installed": dpkg-query's ${Status}."""
        return f"{self.want_word} ok {self.status_word}"

    @property
    def want_word(self) -> str:
        return WANT_WORD.get(self.want, "install")

    @property
    def status_word(self) -> str:
        return STATUS_WORD.get(self.status, "installed")

    @property
    def present(self) -> bool:
        """Files on disk (not merely config files left behind)."""
        return self.status not in ("c", "n")

    @property
    def unfinished(self) -> bool:
        """dpkg did not finish with it: `dpkg --configure -a` (or apt) has to."""
        return self.status in ("U", "F", "H", "W", "t")
