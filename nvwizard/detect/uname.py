"""`uname -r` (or a pasted `uname -a`) and the kernel flavour in a release string."""

from __future__ import annotations

from nvwizard.detect._text import clean_lines


def parse_uname_r(text: str) -> str | None:
    """The kernel release: the first token that starts like "6.8.0"."""
    for line in clean_lines(text):
        for token in line.split():
            if _looks_like_release(token):
                return token
    return None


def _looks_like_release(token: str) -> bool:
    major, dot, rest = token.partition(".")
    return bool(dot) and major.isdigit() and rest[:1].isdigit() and len(token) <= 100


def kernel_flavour(release: str | None) -> str | None:
    """ "6.8.0-87-generic" -> "generic"; "6.8.0-1017-nvidia-64k" -> "nvidia-64k";
    "5.15.0-1045-aws" -> "aws"; Debian "6.1.0-26-cloud-amd64" -> "cloud-amd64".

    HWE kernels report "generic" too: "-hwe-22.04" lives only in the package names.
    A release without an ABI number and flavour ("6.9.0", a self-built kernel) gives None.
    """
    if not release:
        return None
    parts = release.strip().split("-", 2)
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    flavour = parts[2].rstrip("+")
    return flavour or None
