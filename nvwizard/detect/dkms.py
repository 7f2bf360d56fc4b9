"""`dkms status`: which module versions DKMS built and installed for which kernels."""

from __future__ import annotations

from nvwizard.detect._text import clean_lines
from nvwizard.detect.models import DkmsModule


def parse_dkms_status(text: str) -> list[DkmsModule]:
    """`dkms status` rows, in both the 2.x and 3.x layouts; other lines are ignored.

    3.x: `nvidia/580.95.05, 6.8.0-45-generic, x86_64: installed`
    2.x: `nvidia, 470.82.00, 5.4.0-91-generic, x86_64: installed`
    A module only added or built for no kernel (`nvidia/580.95.05: added`) has no row.
    """
    rows = []
    for line in clean_lines(text):
        head, sep, status = line.rpartition(":")
        if not sep:
            continue
        parts = [p.strip() for p in head.split(",")]
        if parts and "/" in parts[0]:
            module, _, version = parts[0].partition("/")
            parts = [module, version, *parts[1:]]
        if len(parts) >= 3 and all(parts[:3]):
            words = status.strip().split(" ", 1)
            rows.append(DkmsModule(parts[0], parts[1], parts[2], words[0] if words[0] else ""))
    return rows
