"""argparse types for the values people type: an empty or padded one is a usage error (exit 2).

An unset shell variable (`--driver "$DRIVER"`) must never quietly mean "the default".
"""

from __future__ import annotations

import argparse

from nvwizard.errors import shown


def folder_name(text: str) -> str:
    """argparse type for a folder: an empty name (an unset shell variable) is a usage error."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty folder name (is a shell variable unset?)")
    return text


# What a bare `--demo` stands for until `demo_option` reads it: a NUL, which no argument typed
# in a shell can hold, so an empty `--demo ''` stays distinguishable from no name at all.
BARE_DEMO = "\0"


def demo_option(text: str) -> str:
    """argparse type for --demo's NAME: "" for a bare `--demo` (the default demo); an empty
    or blank name typed out (`--demo "$NAME"` with the variable unset) is a usage error."""
    if text == BARE_DEMO:
        return ""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty demo name (is a shell variable unset?)")
    return text


def package_name(text: str) -> str:
    """argparse type for a package name: empty or space-padded is a usage error, not a default.

    `--driver "$DRIVER"` with the variable unset must not install the recommended driver, and a
    padded name is refused rather than trimmed, so a script's mistake is seen.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty package name (is a shell variable unset?)")
    if text != text.strip():
        raise argparse.ArgumentTypeError(
            f"{shown(text)!r}: spaces around the package name "
            f"(it is not trimmed: did you mean {shown(text.strip())!r}?)"
        )
    if any(c.isspace() or not c.isprintable() for c in text):
        raise argparse.ArgumentTypeError(
            f"{shown(text)!r}: a package name has no spaces or control characters"
        )
    return text


def cuda_request(text: str) -> str:
    """argparse type for --cuda: a toolkit release ("12.8"), `latest` or `distro`."""
    if text in ("latest", "distro"):
        return text
    parts = text.split(".")
    if len(parts) == 2 and all(p.isdigit() and p.isascii() and len(p) <= 3 for p in parts):
        return f"{int(parts[0])}.{int(parts[1])}"
    raise argparse.ArgumentTypeError(
        f"{shown(text)!r}: expected a CUDA release such as 12.8 or 13.0, `latest` (the newest "
        "the driver and GPUs run) or `distro` (the distribution's nvidia-cuda-toolkit)"
    )
