"""Sources read from files under the machine's root: /etc, /proc, /sys and /var.

Each function takes the root ("/" on a real machine; tests point it at a fake tree) and returns
the source's text in the bundle format (sources.py), or `Unavailable` with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

from nvwizard.host.os_release import os_release_file
from nvwizard.host.reading import Unavailable, read_file, read_small

RUN_INSTALLER_TRACES = ("/usr/bin/nvidia-uninstall", "/usr/bin/nvidia-installer")
RUN_INSTALLER_LOG = "/var/log/nvidia-installer.log"


def under(root: Path, absolute: str) -> Path:
    return root / absolute.lstrip("/")


def file_text(root: Path, absolute: str) -> str | Unavailable:
    return read_file(under(root, absolute), absolute)


def os_release(root: Path) -> str | Unavailable:
    """The text of /etc/os-release, or of /usr/lib/os-release where /etc has none: the file
    distro reads the fields from (os_release.py)."""
    path = os_release_file(root)
    return read_file(path, "/" + str(path.relative_to(root)))


def reboot_required(root: Path) -> str | Unavailable:
    text = file_text(root, "/var/run/reboot-required")
    return Unavailable("absent: no reboot is pending") if isinstance(text, Unavailable) else text


def reboot_required_pkgs(root: Path) -> str | Unavailable:
    text = file_text(root, "/var/run/reboot-required.pkgs")
    return (
        Unavailable("absent: no package asked for a reboot")
        if isinstance(text, Unavailable)
        else text
    )


def dpkg_updates(root: Path) -> str | Unavailable:
    """The file names in /var/lib/dpkg/updates: any means dpkg was interrupted."""
    folder = under(root, "/var/lib/dpkg/updates")
    try:
        names = sorted(os.listdir(folder))
    except OSError as error:
        return Unavailable(f"{folder}: {error.strerror or error}")
    return "".join(f"{name}\n" for name in names)


def lsmod(root: Path) -> str | Unavailable:
    """`lsmod`'s table, formatted from /proc/modules (works without kmod installed)."""
    text = file_text(root, "/proc/modules")
    if isinstance(text, Unavailable):
        return text
    lines = ["Module                  Size  Used by"]
    for row in text.splitlines():
        fields = row.split()
        if len(fields) < 4:
            continue
        name, size, refs, users = fields[:4]
        users = users.strip("-").rstrip(",")
        lines.append(f"{name:<19} {size:>8}  {refs} {users}".rstrip())
    return "\n".join(lines) + "\n"


NVIDIA_VENDOR = "0x10de"
PCI_REVISION_OFFSET = 8  # the revision byte of a PCI config space header


def sysfs_pci(root: Path) -> str | Unavailable:
    """One line per PCI device: `<address> class=... vendor=... device=... modalias=...
    driver=...`, each key only where sysfs has it; NVIDIA's devices also `revision=...`."""
    devices = under(root, "/sys/bus/pci/devices")
    try:
        addresses = sorted(os.listdir(devices))
    except OSError as error:
        return Unavailable(f"{devices}: {error.strerror or error}")
    lines = []
    for address in addresses:
        folder = devices / address
        fields = [address]
        for key in ("class", "vendor", "device", "modalias"):
            value = read_small(folder / key)
            if value is not None:
                fields.append(f"{key}={value}")
        if f"vendor={NVIDIA_VENDOR}" in fields:
            fields += config_revision(folder / "config")
        driver = folder / "driver"
        if driver.is_symlink():
            fields.append(f"driver={os.path.basename(os.readlink(driver))}")
        lines.append(" ".join(fields))
    return "".join(f"{line}\n" for line in lines)


def config_revision(config: Path) -> list[str]:
    """`revision=0xa1` from the device's config space, as lspci reads it: sysfs' own `revision`
    file keeps the value read at boot, while a GPU that fell off the bus since reads 0xff here
    (every byte of its config space does). Empty when the file cannot be read."""
    try:
        with open(config, "rb") as file:
            head = file.read(PCI_REVISION_OFFSET + 1)
    except OSError:
        return []
    if len(head) <= PCI_REVISION_OFFSET:
        return []
    return [f"revision=0x{head[PCI_REVISION_OFFSET]:02x}"]


def run_installer(root: Path) -> str:
    """Traces of NVIDIA's .run installer; empty text means "looked, found none"."""
    lines = [trace for trace in RUN_INSTALLER_TRACES if under(root, trace).exists()]
    head = read_small(under(root, RUN_INSTALLER_LOG), strip=False, limit=4000)
    if head is not None:
        lines.append(RUN_INSTALLER_LOG)
        lines += [f"  {line}" for line in head.splitlines()[:15]]
    return "".join(f"{line}\n" for line in lines)


def mounts_for_df(root: Path) -> list[str]:
    """The mount points `df` reports on: the ones a driver install writes to."""
    return [p for p in ("/", "/var", "/boot") if under(root, p).exists()]
