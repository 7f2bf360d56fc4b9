"""apt's and dpkg's text formats: sizes, wrapped package lists, `dpkg -l`, `dpkg --audit`,
dpkg-query's --showformat. Pure functions of the model's packages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from nvwizard.simulator.packages import Installed

APT_WIDTH = 80  # apt wraps package lists at the terminal width; 80 when not a terminal


def size_to_str(size: float) -> str:
    """apt's SizeToStr: 4612 B, 15.6 kB, 312 MB."""
    units = ["B", "kB", "MB", "GB", "TB"]
    unit = 0
    while size >= 10000 and unit < len(units) - 1:
        size /= 1000
        unit += 1
    if size < 100 and unit > 0:
        return f"{size:.1f} {units[unit]}"
    return f"{size:.0f} {units[unit]}"


def wrapped(names: Iterable[str], width: int = APT_WIDTH) -> list[str]:
    """A package list as apt prints it: two-space indent, wrapped at the terminal width."""
    lines, current = [], " "
    for name in names:
        if len(current) + 1 + len(name) > width - 1 and current.strip():
            lines.append(current)
            current = " "
        current += " " + name
    if current.strip():
        lines.append(current)
    return lines


def render_dpkg_l(rows: Sequence[Installed]) -> str:
    """`dpkg -l` as dpkg prints it to a pipe: the legend, a header and one row per package."""
    name_w = max([len(p.name) for p in rows] + [20]) + 1
    version_w = max([len(p.version) for p in rows] + [14]) + 1
    arch_w = 12
    lines = [
        "Desired=Unknown/Install/Remove/Purge/Hold",
        "| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend",
        "|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)",
        f"||/ {'Name':<{name_w}} {'Version':<{version_w}} {'Architecture':<{arch_w}} Description",
        f"+++-{'=' * name_w}-{'=' * version_w}-{'=' * arch_w}-{'=' * 40}",
    ]
    for p in rows:
        lines.append(
            f"{p.state:<3} {p.name:<{name_w}} {p.version:<{version_w}} {p.arch:<{arch_w}} "
            f"{p.description}".rstrip()
        )
    return "\n".join(lines) + "\n"


def render_audit(rows: Sequence[Installed]) -> str:
    """What `dpkg --audit` prints for unfinished packages ("" when dpkg is healthy)."""
    unpacked = [p for p in rows if p.status == "U"]
    half = [p for p in rows if p.status == "F"]
    parts = []
    if unpacked:
        parts.append(
            "The following packages have been unpacked but not yet configured.\n"
            "They must be configured using dpkg --configure or the configure\n"
            "menu option in dselect for them to work:\n" + _audit_rows(unpacked)
        )
    if half:
        parts.append(
            "The following packages are only half configured, probably due to problems\n"
            "configuring them the first time.  The configuration should be retried using\n"
            "dpkg --configure <package> or the configure menu option in dselect:\n"
            + _audit_rows(half)
        )
    return "\n".join(parts)


def _audit_rows(rows: Sequence[Installed]) -> str:
    return "".join(f" {p.name:<20} {p.description}\n" for p in rows)


def render_dpkg_query_rows(rows: Sequence[Installed]) -> str:
    """The bundle's dpkg-query.txt: `${Package}\\t${Status}\\t${Version}` per package."""
    return "".join(f"{p.name}\t{p.status_words}\t{p.version}\n" for p in rows)


def unescape_showformat(fmt: str) -> str:
    """dpkg-query's --showformat escapes: \\t, \\n, \\\\."""
    return fmt.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")


_FIELD = re.compile(r"\$\{([^}]+)\}")


def format_package(fmt: str, package: Installed) -> str:
    """One package through a --showformat; unknown fields print as nothing, as dpkg-query does."""
    values = {
        "Package": package.name,
        "binary:Package": package.name,
        "Version": package.version,
        "Architecture": package.arch,
        "Status": package.status_words,
        "db:Status-Abbrev": f"{package.state} ",
        "db:Status-Want": package.want_word,
        "db:Status-Status": package.status_word,
        "binary:Summary": package.description,
        "Description": package.description,
    }
    return _FIELD.sub(lambda m: values.get(m.group(1).split(";")[0], ""), fmt)
