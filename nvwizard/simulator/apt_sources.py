"""nvwizard's own `_add-apt-source` (a Debian plan's `sources` step) on the simulated machine:
the new file's entries join the machine's apt-sources.txt, as the capture would read them."""

from __future__ import annotations

from collections.abc import Sequence

from nvwizard.simulator.script import Invocation, Script, err, out

COMMAND = "_add-apt-source"
SOURCES_FOLDER = "/etc/apt/sources.list.d"


def is_add_apt_source(argv: Sequence[str]) -> bool:
    """`<python> -m nvwizard _add-apt-source ...`."""
    return list(argv[1:4]) == ["-m", "nvwizard", COMMAND]


def add_apt_source(call: Invocation, args: Sequence[str]) -> Script:
    options = dict(zip(args[::2], args[1::2], strict=False))
    name, content = options.get("--name"), options.get("--content")
    if not name or content is None:
        yield err("simulated: _add-apt-source needs --name and --content")
        return 2
    path = f"{SOURCES_FOLDER}/{name}"
    known = call.machine.read("apt-sources.txt") or ""
    marker = f"# file: {path}\n"
    if marker in known:
        yield out(f"nvwizard: {path} exists with other content: not overwritten")
        return 1
    entries = _one_line_entries(content, deb822=name.endswith(".sources"))
    call.machine.write("apt-sources.txt", known + marker + "".join(f"{e}\n" for e in entries))
    yield out(f"Wrote {path}")
    for line in content.splitlines():
        yield out(line)
    return 0


def _one_line_entries(content: str, deb822: bool) -> list[str]:
    lines = [line.strip() for line in content.splitlines()]
    if not deb822:
        return [line for line in lines if line and not line.startswith("#")]
    entries, fields = [], {}
    for line in [*lines, ""]:
        if line.startswith("#"):
            continue
        if line:
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
            continue
        options = f" [signed-by={fields['Signed-By']}]" if "Signed-By" in fields else ""
        for suite in fields.get("Suites", "").split():
            uri, components = fields.get("URIs", ""), fields.get("Components", "")
            entries.append(f"{fields.get('Types', 'deb')}{options} {uri} {suite} {components}")
        fields = {}
    return entries
