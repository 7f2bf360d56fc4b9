"""The files a booted kernel shows about its NVIDIA driver, in the formats of the real ones:
/proc/driver/nvidia/version, `modinfo nvidia`, `lsmod`, the `driver=` of the GPUs in the
bundle's sysfs and lspci files, and the new boot's kernel log (kernel-log.txt)."""

from __future__ import annotations

import re

from nvwizard.detect.lsmod import parse_lsmod
from nvwizard.detect.models import LsmodEntry
from nvwizard.simulator.state import LoadedNvidia

NVIDIA_MODULES = ("nvidia_uvm", "nvidia_drm", "nvidia_modeset", "nvidia", "nvidia_peermem")
# sizes of the .ko as lsmod shows them: the open modules are a fraction of the proprietary ones
_SIZES = {
    False: {"nvidia_uvm": 1523712, "nvidia_drm": 122880, "nvidia_modeset": 1355776},
    True: {"nvidia_uvm": 2076672, "nvidia_drm": 139264, "nvidia_modeset": 1638400},
}
_NVIDIA_SIZE = {False: 56795136, True: 14143488}
_PEERMEM_SIZE = 16384


def module_size(name: str, open_modules: bool) -> int:
    """The size lsmod shows for an NVIDIA module of either flavour."""
    if name == "nvidia":
        return _NVIDIA_SIZE[open_modules]
    return _SIZES[open_modules].get(name, _PEERMEM_SIZE)


# the compiler each release builds its kernel with (the second line of /proc/.../version)
GCC_BY_RELEASE = {
    "20.04": "gcc version 9.4.0 (Ubuntu 9.4.0-1ubuntu1~20.04.2)",
    "22.04": "gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)",
    "24.04": "gcc version 13.3.0 (Ubuntu 13.3.0-6ubuntu2~24.04)",
    "12": "gcc version 12.2.0 (Debian 12.2.0-14+deb12u1)",
    "13": "gcc version 14.2.0 (Debian 14.2.0-19)",
}


def proc_version(module: LoadedNvidia, os_version: str, build_date: str) -> str:
    """/proc/driver/nvidia/version."""
    if module.open:
        first = (
            f"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  {module.version}  "
            f"Release Build  (dvs-builder@U22-I3-AE18-23-3)  {build_date}"
        )
    else:
        first = f"NVRM version: NVIDIA UNIX x86_64 Kernel Module  {module.version}  {build_date}"
    gcc = GCC_BY_RELEASE.get(os_version, GCC_BY_RELEASE["24.04"])
    return f"{first}\nGCC version:  {gcc} \n"


_DEFAULT_LOG_HEADER = (
    "# nvwizard: the NVIDIA lines of `journalctl -k -b --no-pager -o short-monotonic` (this boot)"
)
_LOG_HOST = re.compile(r"^\[\s*\d+\.\d+\] (\S+) kernel:", re.M)


def kernel_log_after_boot(
    before: str | None, module: LoadedNvidia | None, build_date: str
) -> str | None:
    """The new boot's kernel-log.txt: the old boot's errors are gone with it; the module's
    loading line where one loaded. None where the bundle had none: not captured stays so."""
    if before is None:
        return None
    header = next(
        (line for line in before.splitlines() if line.startswith("# nvwizard:") and "`" in line),
        _DEFAULT_LOG_HEADER,
    )
    host = _LOG_HOST.search(before)
    prefix = f"[    5.104520] {host.group(1) if host else 'localhost'} kernel: "
    lines = [header]
    if module is not None:
        kind = "Open Kernel Module for x86_64" if module.open else "x86_64 Kernel Module"
        lines.append(f"{prefix}NVRM: loading NVIDIA UNIX {kind}  {module.version}  {build_date}")
    return "\n".join(lines) + "\n"


def modinfo(module: LoadedNvidia, kernel: str) -> str:
    """`modinfo nvidia` for the module on disk (the one that loaded)."""
    lines = [
        f"filename:       {module.path}",
        "alias:          char-major-195-*",
        f"version:        {module.version}",
        "supported:      external",
        f"license:        {'Dual MIT/GPL' if module.open else 'NVIDIA'}",
        f"firmware:       nvidia/{module.version}/gsp_tu10x.bin",
        f"firmware:       nvidia/{module.version}/gsp_ga10x.bin",
        "alias:          pci:v000010DEd*sv*sd*bc06sc80i00*",
        "alias:          pci:v000010DEd*sv*sd*bc03sc02i00*",
        "alias:          pci:v000010DEd*sv*sd*bc03sc00i00*",
        "depends:        ",
        "retpoline:      Y",
        "name:           nvidia",
        f"vermagic:       {kernel} SMP preempt mod_unload modversions ",
    ]
    if module.signed_by_canonical:
        lines += [
            "sig_id:         PKCS#7",
            "signer:         Canonical Ltd. Kernel Module Signing",
            "sig_hashalgo:   sha512",
        ]
    lines.append("parm:           NVreg_ResmanDebugLevel:int")
    return "\n".join(lines) + "\n"


def lsmod_after_boot(old_text: str | None, module: LoadedNvidia | None, nouveau: bool) -> str:
    """The old lsmod without the NVIDIA modules (and nouveau with what only it used, when it
    stays out), then the modules this boot loaded on top, as lsmod lists the newest first."""
    old = parse_lsmod(old_text or "")
    gone = set(NVIDIA_MODULES)
    if not nouveau:
        gone |= _only_used_by({"nouveau"}, old)
    kept = [m for m in old if m.name not in gone]
    if nouveau and not any(m.name == "nouveau" for m in kept):
        kept.insert(0, LsmodEntry("nouveau", 2887680, ()))
    rows = [_row(m.name, m.size, [u for u in m.used_by if u not in gone]) for m in kept]
    if module is not None:
        rows = _nvidia_rows(module.open) + rows
    return "Module                  Size  Used by\n" + "".join(f"{row}\n" for row in rows)


def _only_used_by(removed: set[str], modules: list[LsmodEntry]) -> set[str]:
    """`removed` plus the modules loaded only for them (nouveau's ttm, drm_display_helper, ...)."""
    removed = set(removed)
    changed = True
    while changed:
        changed = False
        for module in modules:
            users = set(module.used_by)
            if module.name not in removed and users and users <= removed:
                removed.add(module.name)
                changed = True
    return removed


def _nvidia_rows(open_modules: bool) -> list[str]:
    sizes = _SIZES[open_modules]
    return [
        _row("nvidia_uvm", sizes["nvidia_uvm"], []),
        _row("nvidia_drm", sizes["nvidia_drm"], []),
        _row("nvidia_modeset", sizes["nvidia_modeset"], ["nvidia_drm"]),
        _row("nvidia", _NVIDIA_SIZE[open_modules], ["nvidia_uvm", "nvidia_modeset"]),
    ]


def _row(name: str, size: int | None, used_by: list[str]) -> str:
    users = ",".join(used_by)
    return f"{name:<19} {size or 16384:>10}  {len(used_by)} {users}".rstrip()


_SYSFS_DRIVER = re.compile(r"\s+driver=\S+")


def sysfs_with_driver(text: str, driver: str | None) -> str:
    """sysfs-pci.txt with `driver=` of the NVIDIA GPUs and NVSwitches set (None: unbound)."""
    lines = []
    for line in text.splitlines():
        if "vendor=0x10de" in line and re.search(r"class=0x0(3|680)", line):
            line = _SYSFS_DRIVER.sub("", line)
            if driver:
                line += f" driver={driver}"
        lines.append(line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def lspci_with_driver(text: str, driver: str | None) -> str:
    """`lspci -nn -k` with "Kernel driver in use:" of the NVIDIA GPUs and NVSwitches set."""
    lines: list[str] = []
    for block in _lspci_blocks(text.splitlines()):
        head, details = block[0], block[1:]
        if not ("[10de:" in head and re.search(r"\[(03..|0680)\]", head)):
            lines += block
            continue
        details = [d for d in details if not d.strip().startswith("Kernel driver in use:")]
        if driver:
            # lspci prints the driver after Subsystem and before "Kernel modules:"
            at = next(
                (i for i, d in enumerate(details) if d.strip().startswith("Kernel modules:")),
                len(details),
            )
            details.insert(at, f"\tKernel driver in use: {driver}")
        lines += [head, *details]
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def _lspci_blocks(lines: list[str]) -> list[list[str]]:
    """Each device's line with its indented detail lines."""
    blocks: list[list[str]] = []
    for line in lines:
        if blocks and line[:1].isspace():
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks
