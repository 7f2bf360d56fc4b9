"""What the package managers say: apt's driver stanzas, its sources, and the held packages.

apt is slow to start where its binary cache is off (each `apt-cache` call then re-reads every
package list: 0.5-0.8 s), and even with the cache a regular expression makes apt look at every
package name (0.1-0.3 s). So apt is asked once, by one `apt-cache show` whose regular
expression picks the packages the report and the demo simulator read (apt_show_query.py),
and only when the report needs it (see report/build.py: not on a machine without an NVIDIA
GPU). The held packages come from dpkg-query's Status column ("hold" selections), the list
`apt-mark showhold` prints, without starting apt at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from nvwizard.host.apt_show_query import apt_show_argv
from nvwizard.host.reading import Unavailable, read_small, run_command
from nvwizard.host.system_files import under

APT_TIMEOUT_S = 120
INLINE_KEY = "(inline key)"  # a deb822 Signed-By with the key itself (detect/apt_sources.py)


def apt_cache_show(kernel: str, timeout_s: float = APT_TIMEOUT_S) -> str | Unavailable:
    """The stanzas of every version apt offers of the driver packages (empty: apt offers none)."""
    result = run_command(apt_show_argv(kernel), timeout_s)
    if isinstance(result, Unavailable):
        return result
    if result.exit_code != 0 and not result.stdout.strip():
        if "No packages found" in result.stderr:
            return ""  # apt answered: it offers none of them
        first = (result.stderr.strip().splitlines() or [""])[0]
        return Unavailable(f"apt-cache show failed: {first}")
    return result.stdout  # purely virtual names only add stderr notes


def held_packages(
    dpkg_query: str | None, apt_mark: Callable[[], str | Unavailable]
) -> str | Unavailable:
    """`apt-mark showhold`'s list: from dpkg-query's text when it answered, else apt-mark."""
    if dpkg_query is None:
        return apt_mark()
    return "".join(f"{name}\n" for name in held_in_dpkg_query(dpkg_query))


def held_in_dpkg_query(text: str) -> list[str]:
    """Packages whose dpkg selection is "hold" (Status `hold ok installed`), from dpkg-query
    lines `<package>\t<status>\t<version>`: what `apt-mark showhold` lists."""
    held = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[1].split()[:1] == ["hold"]:
            held.append(fields[0])
    return held


def apt_sources(root: Path) -> str:
    """The deb lines of sources.list and sources.list.d (.list and deb822 .sources files),
    each file's after a `# file: <path>` line (a plan adding Debian's components needs to
    know the format and the file of the entries it extends)."""
    files = [under(root, "/etc/apt/sources.list")]
    folder = under(root, "/etc/apt/sources.list.d")
    if folder.is_dir():
        files += sorted(folder.glob("*.list")) + sorted(folder.glob("*.sources"))
    lines: list[str] = []
    for file in files:
        text = read_small(file, strip=False)
        if text is None:
            continue
        if file.suffix == ".sources":
            entries = deb822_to_one_line(text)
        else:
            entries = [
                s.strip() for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")
            ]
        if entries:
            lines += [f"# file: /{file.relative_to(root)}", *entries]
    return "".join(f"{line}\n" for line in lines)


def deb822_to_one_line(text: str) -> list[str]:
    """deb822 `.sources` stanzas as one-line `deb [opts] URI suite components` entries; an
    inline Signed-By key becomes `[signed-by=(inline key)]`."""
    lines = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        signed_by = fields.get("signed-by")
        options = f" [signed-by={signed_by}]" if signed_by else ""
        if signed_by and "-----BEGIN" in signed_by:  # the key itself, not a keyring's path
            options = f" [signed-by={INLINE_KEY}]"
        for kind in fields.get("types", "").split():
            for uri in fields.get("uris", "").split():
                for suite in fields.get("suites", "").split():
                    lines.append(f"{kind}{options} {uri} {suite} {fields.get('components', '')}")
    return [line.rstrip() for line in lines]
