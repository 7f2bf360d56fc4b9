"""Synthetic capture bundles for the scaling figures, made from the hgx-h100 demo.

`make_bundle(dest, gpus, packages)` copies the demo and keeps only its first `gpus` GPUs (in
every source that lists them), or, past its eight, adds copies of them in further PCI domains
(0001:18:00.0 ...), as a machine with several root complexes shows them; and replaces its
installed NVIDIA packages by `packages` of them: the demo's own first, then leftovers of
older branches named as Ubuntu names them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from nvwizard.host.demo import find_demo

GPU_CLASS = "class=0x0302"
COMPONENTS = (
    "libnvidia-cfg1", "libnvidia-common", "libnvidia-compute", "libnvidia-decode",
    "libnvidia-encode", "libnvidia-extra", "libnvidia-fbc1", "libnvidia-gl",
    "nvidia-compute-utils", "nvidia-dkms", "nvidia-driver", "nvidia-kernel-common",
    "nvidia-kernel-source", "nvidia-utils", "xserver-xorg-video-nvidia",
)  # fmt: skip
OLD_BRANCHES = (525, 470, 510, 515, 520, 530, 545, 550, 555, 560, 565, 570, 575, 580, 590)
# Past 900 packages, branch numbers that never shipped, named the same way: enough for 3,000+.
MORE_BRANCHES = tuple(b for b in range(340, 620, 5) if b not in OLD_BRANCHES and b != 535)
FLAVOURS = ("-server", "", "-open", "-server-open")
_SMI_GPU_ROW = re.compile(r"^\|\s+(\d+)\s+NVIDIA ")
_SMI_PROCESS_ROW = re.compile(r"^\|\s+(\d+)\s+N/A\s+N/A\s")


def _is_nvidia_package(name: str) -> bool:
    return "nvidia" in name


def _short(address: str) -> str:
    return address.split(":", 1)[1]  # 0000:18:00.0 -> 18:00.0


def _gpu_addresses(sysfs: str) -> list[str]:
    return [line.split()[0] for line in sysfs.splitlines() if GPU_CLASS in line]


def _keep_gpus(bundle: Path, gpus: int) -> None:
    sysfs_file = bundle / "sysfs-pci.txt"
    addresses = _gpu_addresses(sysfs_file.read_text())
    dropped = set(addresses[gpus:])
    short = {_short(a) for a in dropped}
    sysfs_file.write_text(
        "".join(
            line
            for line in sysfs_file.read_text().splitlines(keepends=True)
            if line.split(" ", 1)[0] not in dropped
        )
    )
    _filter_blocks(bundle / "lspci-nn.txt", lambda head: head.split(" ", 1)[0] in short)
    _filter_paragraphs(
        bundle / "ubuntu-drivers-devices.txt",
        lambda block: any(block.split("==", 2)[1].strip().endswith(a) for a in dropped),
    )
    _filter_smi(bundle / "nvidia-smi.txt", gpus)
    processes = bundle / "gpu-processes.txt"
    if processes.exists():
        kept = []
        for line in processes.read_text().splitlines(keepends=True):
            devices = re.findall(r"/dev/nvidia(\d+)", line)
            if not devices or any(int(d) < gpus for d in devices):
                kept.append(line)
        processes.write_text("".join(kept))


def _filter_blocks(path: Path, drop) -> None:
    """lspci -k: a device line, then its tab-indented lines."""
    if not path.exists():
        return
    kept, dropping = [], False
    for line in path.read_text().splitlines(keepends=True):
        if not line.startswith("\t"):
            dropping = drop(line)
        if not dropping:
            kept.append(line)
    path.write_text("".join(kept))


def _filter_paragraphs(path: Path, drop) -> None:
    """ubuntu-drivers devices: `== path ==` paragraphs separated by blank lines."""
    if not path.exists():
        return
    blocks = path.read_text().split("\n\n")
    path.write_text("\n\n".join(b for b in blocks if not (b.startswith("==") and drop(b))))


def _filter_smi(path: Path, gpus: int) -> None:
    if not path.exists():
        return
    kept, skip = [], 0
    for line in path.read_text().splitlines(keepends=True):
        if skip:
            skip -= 1
            continue
        row = _SMI_GPU_ROW.match(line)
        if row and int(row.group(1)) >= gpus:
            skip = 3  # the row's two continuation lines and its separator
            continue
        process = _SMI_PROCESS_ROW.match(line)
        if process and int(process.group(1)) >= gpus:
            continue
        kept.append(line)
    path.write_text("".join(kept))


def synthetic_packages(own: list[tuple[str, str, str]], count: int) -> list[tuple[str, str, str]]:
    """`count` (name, status, version): the demo's NVIDIA packages first, then old branches'."""
    packages = list(own[:count])
    names = {name for name, _, _ in packages}
    for branch in OLD_BRANCHES + MORE_BRANCHES:
        for flavour in FLAVOURS:
            for component in COMPONENTS:
                if len(packages) >= count:
                    return packages
                name = f"{component}-{branch}{flavour}"
                if name not in names:
                    names.add(name)
                    version = f"{branch}.{(branch * 7) % 200}.01-0ubuntu0.24.04.1"
                    packages.append((name, "install ok installed", version))
    return packages


def _replace_packages(bundle: Path, count: int) -> None:
    query_file = bundle / "dpkg-query.txt"
    rows = [line.split("\t") for line in query_file.read_text().splitlines() if line.strip()]
    others = [tuple(r) for r in rows if not _is_nvidia_package(r[0])]
    own = [tuple(r) for r in rows if _is_nvidia_package(r[0])]
    packages = sorted(others + synthetic_packages(own, count))
    query_file.write_text("".join(f"{n}\t{s}\t{v}\n" for n, s, v in packages))
    header = (bundle / "dpkg-l.txt").read_text().splitlines(keepends=True)[:5]
    abbreviations = {"install ok installed": "ii", "hold ok installed": "hi"}
    body = [
        f"{abbreviations.get(s, 'rc')}  {n:<38} {v:<30} amd64        {n}\n" for n, s, v in packages
    ]
    (bundle / "dpkg-l.txt").write_text("".join(header + body))


def _in_domain(address: str, domain: int) -> str:
    """0000:18:00.0 -> 0001:18:00.0"""
    return f"{domain:04x}:{address.split(':', 1)[1]}"


def _add_gpus(bundle: Path, gpus: int) -> None:
    """Copies of the demo's GPUs in PCI domains 1, 2, ... until there are `gpus` of them, in
    every source that lists GPUs (the copies' processes too)."""
    sysfs_file = bundle / "sysfs-pci.txt"
    sysfs_lines = sysfs_file.read_text().splitlines(keepends=True)
    originals = _gpu_addresses("".join(sysfs_lines))
    copies = [
        (n // len(originals), originals[n % len(originals)]) for n in range(len(originals), gpus)
    ]
    by_address = {line.split(" ", 1)[0]: line for line in sysfs_lines}
    sysfs_file.write_text(
        "".join(sysfs_lines)
        + "".join(_in_domain(a, d) + by_address[a][len(a) :] for d, a in copies)
    )
    lspci_file = bundle / "lspci-nn.txt"
    blocks = _lspci_blocks(lspci_file.read_text())
    lspci_file.write_text(
        "".join(blocks.values())
        + "".join(_in_domain(a, d) + blocks[_short(a)][len(_short(a)) :] for d, a in copies)
    )
    drivers_file = bundle / "ubuntu-drivers-devices.txt"
    paragraphs = drivers_file.read_text().rstrip("\n").split("\n\n")
    by_gpu = {
        p.split("==", 2)[1].strip().rsplit("/", 1)[-1]: p for p in paragraphs if p.startswith("==")
    }
    added = [
        by_gpu[a].replace("pci0000:", f"pci{d:04x}:").replace("/0000:", f"/{d:04x}:")
        for d, a in copies
    ]
    drivers_file.write_text("\n\n".join(paragraphs + added) + "\n")
    _add_smi_rows(bundle / "nvidia-smi.txt", [(d, a) for d, a in copies], len(originals))


def _lspci_blocks(text: str) -> dict[str, str]:
    """lspci -k: each device line with its tab-indented lines, by short address."""
    blocks: dict[str, str] = {}
    current = ""
    for line in text.splitlines(keepends=True):
        if not line.startswith("\t"):
            current = line.split(" ", 1)[0]
            blocks[current] = ""
        blocks[current] += line
    return blocks


def _add_smi_rows(path: Path, copies: list[tuple[int, str]], originals: int) -> None:
    """nvidia-smi: a GPU row (three lines and a separator) and a process row per copy."""
    lines = path.read_text().splitlines(keepends=True)
    rows: dict[int, list[str]] = {}
    processes: dict[int, str] = {}
    for number, line in enumerate(lines):
        row = _SMI_GPU_ROW.match(line)
        if row:
            rows[int(row.group(1))] = lines[number : number + 4]
        process = _SMI_PROCESS_ROW.match(line)
        if process:
            processes[int(process.group(1))] = line
    last_row = max(n for n, line in enumerate(lines) if _SMI_GPU_ROW.match(line)) + 4
    last_process = max(
        (n for n, line in enumerate(lines) if _SMI_PROCESS_ROW.match(line)), default=None
    )
    new_rows, new_processes = [], []
    for index, (domain, address) in enumerate(copies, start=originals):
        source = index % originals
        bus = f"0000{address.upper()[4:]}"
        copied = [rows[source][0].replace(f"{source:>4}  ", f"{index:>4}  ", 1)]
        copied[0] = copied[0].replace(bus, f"{domain:04X}{bus[4:]}".rjust(len(bus), "0"))
        new_rows += copied + rows[source][1:]
        if source in processes:
            new_processes.append(
                processes[source].replace(f"{source:>4}   N/A", f"{index:>4}   N/A", 1)
            )
    if last_process is not None:
        lines[last_process + 1 : last_process + 1] = new_processes
    lines[last_row:last_row] = new_rows
    path.write_text("".join(lines))


def make_bundle(dest: Path, gpus: int, packages: int | None) -> Path:
    """A bundle with `gpus` GPUs and `packages` NVIDIA packages (None: as the demo)."""
    shutil.copytree(find_demo("hgx-h100").path, dest)
    if gpus > len(_gpu_addresses((dest / "sysfs-pci.txt").read_text())):
        _add_gpus(dest, gpus)
    else:
        _keep_gpus(dest, gpus)
    if packages is not None:
        _replace_packages(dest, packages)
    return dest
