"""`apt-get`'s command line as the simulator reads it: the options it knows (`-y`, `-s` and its
synonyms, `--purge`, `--autoremove`, `-o Key=Value`, ...), the command and the package names,
as an `AptRequest`; anything else is refused with apt's own error line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

_APT_FLAGS = {
    "-y": "yes",
    "--yes": "yes",
    "--assume-yes": "yes",
    "-s": "simulate",
    "--simulate": "simulate",
    "--just-print": "simulate",
    "--dry-run": "simulate",
    "--recon": "simulate",
    "--no-act": "simulate",
    "--purge": "purge",
    "--autoremove": "autoremove",
    "--auto-remove": "autoremove",
    "--no-install-recommends": "no-recommends",
    "--install-recommends": "recommends",
    "--allow-change-held-packages": "allow-held",
    "-f": "fix",
    "--fix-broken": "fix",
    "-q": "quiet",
    "-qq": "quiet",
    "--quiet": "quiet",
}


@dataclass
class AptRequest:
    command: str
    packages: list[str]
    flags: set[str]  # the values of _APT_FLAGS: "yes", "simulate", "purge", ...
    options: dict[str, str]  # -o Key=Value

    @property
    def simulate(self) -> bool:
        return "simulate" in self.flags

    @property
    def status_fd(self) -> bool:
        return any(k.lower() == "apt::status-fd" for k in self.options)

    @property
    def lock_timeout(self) -> int:
        for key, value in self.options.items():
            if key.lower() == "dpkg::lock::timeout":
                try:
                    return int(value.strip())
                except ValueError:
                    return 0
        return 0


def parse_apt_argv(args: Sequence[str]) -> AptRequest | str:
    """apt-get's options, command and package names; an error line for bad input."""
    flags: set[str] = set()
    options: dict[str, str] = {}
    words: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg in ("-o", "--option"):
            if i + 1 >= len(items):
                return "E: Option -o requires an argument"
            key, _, value = items[i + 1].partition("=")
            options[key] = value
            i += 2
            continue
        if arg.startswith("-o") and len(arg) > 2:
            key, _, value = arg[2:].partition("=")
            options[key] = value
        elif arg in _APT_FLAGS:
            flags.add(_APT_FLAGS[arg])
        elif arg.startswith("-"):
            return f"E: Command line option '{arg}' is not understood"
        else:
            words.append(arg)
        i += 1
    if not words:
        return "E: No command given"
    return AptRequest(words[0], words[1:], flags, options)
