"""/proc/driver/nvidia/version (or /sys/module/nvidia/version) and `modinfo nvidia`."""

from __future__ import annotations

from nvwizard.detect._text import clean_lines
from nvwizard.detect.models import KernelModuleVersion

_MODINFO_KEYS = ("version", "filename", "signer", "license", "vermagic")


def parse_proc_driver_version(text: str) -> KernelModuleVersion | None:
    """ "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build ..."
    -> (580.95.05, open); "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.183.01 ..." ->
    (535.183.01, proprietary). A bare "580.95.05" (/sys/module/nvidia/version) has no flavour."""
    for line in clean_lines(text):
        stripped = line.strip()
        if stripped.startswith("NVRM version:"):
            return _nvrm_line(stripped)
        if _is_version(stripped):
            return KernelModuleVersion(version=stripped, flavor=None)
    return None


def _nvrm_line(line: str) -> KernelModuleVersion:
    module_pos = line.find("Kernel Module")
    if module_pos < 0:
        return KernelModuleVersion(version=_first_version(line), flavor=None)
    flavor = "open" if "Open Kernel Module" in line else "proprietary"
    return KernelModuleVersion(version=_first_version(line[module_pos:]), flavor=flavor)


def _first_version(text: str) -> str | None:
    for token in text.split()[:20]:
        if _is_version(token):
            return token
    return None


def _is_version(token: str) -> bool:
    """ "580.95.05", "550.54.15", "470.256.02", "390.157"."""
    parts = token.split(".")
    return 2 <= len(parts) <= 4 and all(p.isdigit() and p.isascii() for p in parts)


def parse_modinfo(text: str) -> dict[str, str]:
    """`modinfo nvidia`: version, filename, signer, license and vermagic, when printed."""
    info: dict[str, str] = {}
    for line in clean_lines(text):
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key in _MODINFO_KEYS and key not in info and value.strip():
            info[key] = value.strip()
    return info
