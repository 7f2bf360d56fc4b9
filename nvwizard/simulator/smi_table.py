"""`nvidia-smi` as a freshly booted driver prints it: the summary table of each driver
generation (79 columns up to 530, 89 for 535, 91 from 545; a `+---+` rule under the title
from 580; `KMD Version` from 610), the GPUs idle, and no processes.

The GPUs' names and memory come from the bundle's old nvidia-smi table when it listed them,
else from GPU_FACTS, else a generic data-center card.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from nvwizard.knowledge.branches import highest_cuda


@dataclass(frozen=True)
class GpuFacts:
    """What nvidia-smi shows of a GPU model that no PCI file records."""

    smi_name: str  # "NVIDIA H100 80GB HBM3"
    memory_mib: int
    power_cap_w: int
    fan: str  # "N/A" on passively cooled cards
    ecc: str  # "0" (ECC on, no errors) or "N/A"/"Off"
    mig: str  # "Disabled" where MIG exists, else "N/A"
    idle_power_w: int
    idle_temp_c: int


# By PCI device id: the demo machines' GPUs and a few common ones.
GPU_FACTS = {
    "2330": GpuFacts("NVIDIA H100 80GB HBM3", 81559, 700, "N/A", "0", "Disabled", 71, 31),
    "2331": GpuFacts("NVIDIA H100 PCIe", 81559, 350, "N/A", "0", "Disabled", 48, 33),
    "20b5": GpuFacts("NVIDIA A100 80GB PCIe", 81920, 300, "N/A", "0", "Disabled", 44, 34),
    "20b2": GpuFacts("NVIDIA A100-SXM4-80GB", 81920, 400, "N/A", "0", "Disabled", 62, 32),
    "1eb8": GpuFacts("Tesla T4", 15360, 70, "N/A", "0", "N/A", 9, 30),
    "2204": GpuFacts("NVIDIA GeForce RTX 3090", 24576, 350, "0%", "N/A", "N/A", 21, 36),
    "2684": GpuFacts("NVIDIA GeForce RTX 4090", 24564, 450, "0%", "N/A", "N/A", 18, 35),
    "2b85": GpuFacts("NVIDIA GeForce RTX 5090", 32607, 575, "0%", "N/A", "N/A", 23, 33),
    "1b80": GpuFacts("NVIDIA GeForce GTX 1080", 8192, 180, "27%", "N/A", "N/A", 7, 38),
}
UNKNOWN_GPU = GpuFacts("NVIDIA Graphics Device", 16384, 250, "N/A", "0", "N/A", 30, 32)


@dataclass(frozen=True)
class SmiGpuRow:
    """One GPU as the table shows it."""

    bus_id: str  # "00000000:18:00.0"
    facts: GpuFacts


@dataclass(frozen=True)
class _Layout:
    name_cell: int  # inner width of the first column
    bus_cell: int  # inner width of the second column
    title_version: int  # width of the driver version field in the title line
    plus_rule: bool  # "+---+" under the title (580 and newer) instead of "|---+"
    kmd: bool  # "KMD Version" / "CUDA UMD Version" (610 and newer)
    wide_pid: bool  # the process table's PID column got wider in 570

    @property
    def width(self) -> int:
        return self.name_cell + self.bus_cell + 22 + 4


def _layout(branch: int) -> _Layout:
    if branch < 535:
        return _Layout(31, 22, 13, False, False, False)
    if branch < 545:
        return _Layout(41, 22, 13, False, False, False)
    return _Layout(41, 24, 15, branch >= 580, branch >= 610, branch >= 570)


def render_nvidia_smi(
    version: str, gpus: list[SmiGpuRow], persistence: bool, now: float | None = None
) -> str:
    """The table `nvidia-smi` prints right after a boot with driver `version`."""
    branch = int(version.split(".")[0])
    layout = _layout(branch)
    inner = layout.width - 2
    cuda = _cuda(branch)
    stamp = time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(now))
    lines = [f"{stamp}       ", "+" + "-" * inner + "+", _title(layout, version, cuda)]
    cells = (layout.name_cell, layout.bus_cell, 22)
    rule = "+".join("-" * w for w in cells)
    lines.append(("+" if layout.plus_rule else "|") + rule + "+")
    lines += _column_heads(layout)
    lines.append("|" + "+".join("=" * w for w in cells) + "|")
    for index, gpu in enumerate(gpus):
        lines += _gpu_rows(layout, index, gpu, persistence, branch)
        lines.append("+" + rule + "+")
    lines.append(" " * layout.width)
    lines += _no_processes(layout)
    return "\n".join(lines) + "\n"


def _cuda(branch: int) -> str:
    """The CUDA version the branch supports (a branch newer than the table: the newest known)."""
    for number in range(branch, 300, -1):
        cuda = highest_cuda(number)
        if cuda:
            return cuda
    return "N/A"


def _title(layout: _Layout, version: str, cuda: str) -> str:
    driver_label, cuda_label = ("KMD Version: ", "CUDA UMD Version: ")
    driver_width = layout.title_version - 1
    if not layout.kmd:
        driver_label, cuda_label, driver_width = (
            "Driver Version: ",
            "CUDA Version: ",
            layout.title_version,
        )
    text = (
        f" NVIDIA-SMI {version:<{layout.name_cell - 18}}"
        f"{driver_label}{version:<{driver_width}}{cuda_label}{cuda:<9}"
    )
    return f"|{text:<{layout.width - 2}}|"


def _column_heads(layout: _Layout) -> list[str]:
    if layout.name_cell == 31:
        first = (" GPU  Name        Persistence-M", " Fan  Temp  Perf  Pwr:Usage/Cap", "")
    else:
        first = (
            " GPU  Name                 Persistence-M ",
            " Fan  Temp   Perf          Pwr:Usage/Cap ",
            "",
        )
    second = (" Bus-Id        Disp.A ", "         Memory-Usage ", "")
    if layout.bus_cell == 24:
        second = (" Bus-Id          Disp.A ", "           Memory-Usage ", "")
    third = (" Volatile Uncorr. ECC ", " GPU-Util  Compute M. ", "               MIG M. ")
    return [
        "|"
        + "|".join(f"{cell:<{width}}" for cell, width in zip(row, _widths(layout), strict=True))
        + "|"
        for row in zip(first, second, third, strict=True)
    ]


def _widths(layout: _Layout) -> tuple[int, int, int]:
    return layout.name_cell, layout.bus_cell, 22


def _gpu_rows(
    layout: _Layout, index: int, gpu: SmiGpuRow, persistence: bool, branch: int
) -> list[str]:
    facts = gpu.facts
    name_cell, bus_cell, _ = _widths(layout)
    mode = "On" if persistence else "Off"
    name_width = name_cell - 11
    name = facts.smi_name
    if len(name) >= name_width:  # nvidia-smi cuts long names with "..."
        name = name[: name_width - 4] + "..."
    first = f"{index:>4}  {name:<{name_width}}{mode:>3}  "
    used = 1 if branch >= 535 else 0  # newer drivers count their own context
    power = f"{facts.idle_power_w}W / {facts.power_cap_w:>3}W"
    perf = "P0" if persistence or facts.fan == "N/A" else "P8"
    second = f" {facts.fan:>3}   {facts.idle_temp_c:>2}C    {perf}"
    second += f"{power:>{name_cell - len(second) - 1}} "
    bus = f" {gpu.bus_id} Off "
    memory = f"{used}MiB / {facts.memory_mib}MiB "
    if bus_cell == 24:
        bus = f"   {gpu.bus_id} Off "
        memory = f"{used:>5}MiB / {facts.memory_mib:>6}MiB "
    return [
        f"|{first}|{bus:>{bus_cell}}|{facts.ecc:>21} |",
        f"|{second}|{memory:>{bus_cell}}|{'0%':>8}      Default |",
        f"|{'':<{name_cell}}|{'':<{bus_cell}}|{facts.mig:>21} |",
    ]


def _no_processes(layout: _Layout) -> list[str]:
    inner = layout.width - 2
    pid = "              PID" if layout.wide_pid else "        PID"
    head = f"  GPU   GI   CI{pid}   Type   Process name"
    usage_at = inner - len(" GPU Memory ")
    return [
        "+" + "-" * inner + "+",
        f"|{' Processes:':<{inner}}|",
        f"|{head:<{usage_at}} GPU Memory |",
        f"|{'        ID   ID':<{usage_at}} Usage      |",
        "|" + "=" * inner + "|",
        f"|{'  No running processes found':<{inner}}|",
        "+" + "-" * inner + "+",
    ]
