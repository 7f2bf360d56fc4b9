"""dpkg's views of installed packages: `dpkg -l`, `dpkg-query -W`, `dpkg --audit`,
`apt-mark showhold`."""

from __future__ import annotations

from dataclasses import replace

from nvwizard.detect._text import clean_lines, is_package_name
from nvwizard.detect.models import DpkgEntry

_WANT_CODES = set("uihrp")
_STATUS_CODES = set("ncHUFWti")
_ARCHES = {
    "all",
    "amd64",
    "arm64",
    "armhf",
    "armel",
    "i386",
    "ppc64el",
    "s390x",
    "riscv64",
    "mips64el",
}

# dpkg-query's ${Status} words -> the letters `dpkg -l` prints (the simulator inverts them)
WANT_LETTER = {"unknown": "u", "install": "i", "hold": "h", "deinstall": "r", "purge": "p"}
STATUS_LETTER = {
    "not-installed": "n",
    "config-files": "c",
    "half-installed": "H",
    "unpacked": "U",
    "half-configured": "F",
    "triggers-awaited": "W",
    "triggers-pending": "t",
    "installed": "i",
}


# The package's own state (second letter of a dpkg state) when dpkg did not finish with it:
# `dpkg --configure -a` (and for unpacked ones maybe `apt-get -f install`) finishes them.
UNFINISHED_STATUS = {
    "F": "half-configured",
    "U": "unpacked, not configured",
    "H": "half-installed",
    "W": "waiting for triggers",
    "t": "triggers pending",
}


def unfinished_meaning(state: str) -> str | None:
    """What an unfinished dpkg state means ("iF" -> "half-configured"), None when finished."""
    if len(state) < 2:
        return None
    # dpkg prints triggers-pending as "t"; people often write it "T"
    letter = "t" if state[1] == "T" else state[1]
    return UNFINISHED_STATUS.get(letter)


def parse_dpkg_l(text: str) -> list[DpkgEntry]:
    """`dpkg -l` rows, with or without the header, grep-filtered, cut to narrow columns."""
    entries: list[DpkgEntry] = []
    widths: tuple[int, ...] = ()
    has_arch_column: bool | None = None
    for line in clean_lines(text):
        stripped = line.strip()
        # dpkg's pager cuts each line at the screen's edge and marks the cut with ">"; a row
        # cut before its architecture may have lost the end of its name or version
        paged = stripped.endswith(">")
        stripped = stripped.removesuffix(">").rstrip() if paged else stripped
        paged_cut = paged and len(stripped.split(None, 4)) < 4
        if stripped.startswith("+++-"):
            rule_widths = tuple(len(part) for part in stripped.split("-")[1:])
            widths = rule_widths if _printed_to_terminal(rule_widths) else ()
            continue
        if stripped.startswith("||/"):
            has_arch_column = "Architecture" in stripped
            continue
        entry = _dpkg_l_row(stripped, widths, has_arch_column)
        if entry is not None:
            entries.append(replace(entry, maybe_truncated=True) if paged_cut else entry)
    return entries


def _dpkg_l_row(
    line: str, widths: tuple[int, ...], has_arch_column: bool | None
) -> DpkgEntry | None:
    tokens = line.split(None, 4)
    if len(tokens) < 3 or not _is_state(tokens[0]):
        return None
    name, arch = _split_arch(tokens[1])
    if not is_package_name(name):
        return None
    version = tokens[2]
    rest = tokens[3:]
    arch_present = (
        has_arch_column if has_arch_column is not None else bool(rest and rest[0] in _ARCHES)
    )
    description = None
    if arch_present and rest:
        arch = None if rest[0] == "<none>" else rest[0]
        description = rest[1] if len(rest) > 1 else None
    elif rest:
        description = " ".join(rest)
    cut = bool(widths) and (len(tokens[1]) >= widths[0] or len(version) >= widths[1])
    return DpkgEntry(
        name=name,
        version=None if version == "<none>" else version,
        state=tokens[0][:2],
        arch=arch,
        description=description,
        maybe_truncated=cut,
    )


def _printed_to_terminal(widths: tuple[int, ...]) -> bool:
    """Whether the column widths are the ones dpkg uses on a terminal, where it cuts values.

    On a terminal of C columns dpkg sets, with x = (C - 80) // 2: name 14 + x//2, version and
    architecture 12 + x//4, description 33 + x. Into a pipe or file it widens each column to
    its longest value instead, and cuts nothing.
    """
    if len(widths) != 4:
        return False
    name, version, arch, description = widths
    x = description - 33
    return x >= 0 and name == 14 + x // 2 and version == arch == 12 + x // 4


def _is_state(token: str) -> bool:
    """ "ii", "rc", "iU", "iF", "hi", "iHR": desired action, status, optional error flag."""
    if not 2 <= len(token) <= 3:
        return False
    if token[0] not in _WANT_CODES or token[1] not in _STATUS_CODES:
        return False
    return len(token) == 2 or token[2] == "R"


def _split_arch(name: str) -> tuple[str, str | None]:
    base, sep, arch = name.partition(":")
    return (base, arch) if sep and arch else (base, None)


def parse_dpkg_query(text: str) -> list[DpkgEntry]:
    """`dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n'` lines."""
    entries: list[DpkgEntry] = []
    for line in clean_lines(text):
        tokens = line.split()
        if len(tokens) < 4:
            continue
        want, status = WANT_LETTER.get(tokens[1]), STATUS_LETTER.get(tokens[3])
        name, arch = _split_arch(tokens[0])
        if want is None or status is None or not is_package_name(name):
            continue
        version = tokens[4] if len(tokens) > 4 else None
        entries.append(DpkgEntry(name=name, version=version, state=want + status, arch=arch))
    return entries


def parse_dpkg_audit(text: str) -> list[str]:
    """Package names `dpkg --audit` complains about; [] when dpkg is healthy.

    Each complaint is a paragraph of prose ending in ":" and then one ` <name>  <description>`
    line per package; the names are read from those lists only, so prose is never mistaken for
    a package even when the indentation was lost.
    """
    names: dict[str, None] = {}  # ordered and de-duplicated
    in_list = False
    for line in clean_lines(text):
        stripped = line.strip()
        if not stripped:
            in_list = False
            continue
        if stripped.endswith(":") and not in_list:
            in_list = True
            continue
        if in_list:
            name = _split_arch(stripped.split()[0])[0]
            if is_package_name(name):
                names[name] = None
    return list(names)


def parse_showhold(text: str) -> list[str]:
    """`apt-mark showhold`: one package name per line (maybe with ":arch")."""
    names: dict[str, None] = {}  # ordered and de-duplicated
    for line in clean_lines(text):
        tokens = line.split()
        if len(tokens) != 1:
            continue
        name = _split_arch(tokens[0])[0]
        if is_package_name(name):
            names[name] = None
    return list(names)
