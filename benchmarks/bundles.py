"""Synthetic capture bundles for the scaling figures, made from the hgx-h100 demo.

`make_bundle(dest, gpus, packages)` copies the demo and keeps only its first `gpus` GPUs (in
every source that lists them), and replaces its installed NVIDIA packages by `packages` of
them: the demo's own first, then leftovers of older branches named as Ubuntu names them.
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
    for branch in OLD_BRANCHES:
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


def make_bundle(dest: Path, gpus: int, packages: int | None) -> Path:
    """A bundle with the first `gpus` GPUs and `packages` NVIDIA packages (None: as the demo)."""
    shutil.copytree(find_demo("hgx-h100").path, dest)
    _keep_gpus(dest, gpus)
    if packages is not None:
        _replace_packages(dest, packages)
    return dest
