"""`nvidia-smi` (its summary table, or the error text it prints instead).

Read by content, not by column positions, so every table generation is accepted: branch 290's
rows numbered "0.", memory in "MB" up to branch 325, the 79-column tables up to branch 530, the
89-column tables of 535, the 91-column tables of 545 and newer, with `|---|` or `+---+` rules,
two- or three-line GPU rows, and the newer header that says `KMD Version` / `CUDA UMD Version`
instead of `Driver Version` / `CUDA Version`. Lines other programs print around it (ssh's X11
warnings) are not its complaints.

Statuses: "ok" (a driver answered: a version header or GPU rows), "no-driver", "version-mismatch",
"no-devices", "error". `nvidia-smi: command not found` is "error" (message says so), not
"no-driver": the utils package can be missing while a driver is loaded (`--gpgpu` installs);
the loaded module is read from /proc, not from here. Empty text is "error" with no message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nvwizard.detect._text import clean_lines, is_hex, to_int
from nvwizard.detect.lspci import normalise_pci_address
from nvwizard.detect.models import NvidiaSmi, SmiGpu, SmiProcess, SmiUnreachableGpu

_DRIVER_LABELS = ("Driver Version:", "KMD Version:")
_CUDA_LABELS = ("CUDA Version:", "CUDA UMD Version:")
_PERSISTENCE = {"On", "Off", "N/A"}
_MIG_MODES = {"Enabled", "Disabled", "N/A"}
_PROCESS_TYPES = {"C", "G", "C+G", "M", "M+C", "M+G", "M+C+G"}
_MAX_MESSAGE = 300
_MAX_ERROR_LINES = 50
_COMPLAINT_WORDS = ("unable", "error", "fail", "warning", "corrupt")
_GPU_WORDS = ("gpu", "nvml", "driver", "inforom", "nvidia")
# "Unable to determine the device handle for GPU 0000:02:00.0: GPU is lost. Reboot ..." (also
# "GPU0000:41:00.0", without the space)
_DEVICE_HANDLE_RE = re.compile(
    r"device handle for GPU\s*([0-9a-f]{1,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]):\s*(.*)", re.I
)


@dataclass
class _GpuRow:
    index: int | None
    name: str | None
    bus_id: str | None
    memory_used_mib: int | None = None
    memory_total_mib: int | None = None
    mig_mode: str | None = None
    lines_seen: int = 1

    def freeze(self) -> SmiGpu:
        return SmiGpu(
            index=self.index,
            name=self.name,
            bus_id=self.bus_id,
            memory_total_mib=self.memory_total_mib,
            memory_used_mib=self.memory_used_mib,
            mig_mode=self.mig_mode,
        )


@dataclass
class _State:
    driver_version: str | None = None
    smi_version: str | None = None
    cuda_version: str | None = None
    nvml_library_version: str | None = None
    section: str | None = None  # "gpus", "processes", "mig"
    mig: bool = False
    gpus: list[SmiGpu] = field(default_factory=list)
    processes: list[SmiProcess] = field(default_factory=list)
    current: _GpuRow | None = None
    first_text: str | None = None
    error_lines: list[str] = field(default_factory=list)

    def close_gpu(self) -> None:
        if self.current is not None:
            self.gpus.append(self.current.freeze())
            self.current = None


def parse_nvidia_smi(text: str) -> NvidiaSmi:
    state = _State()
    for line in clean_lines(text):
        stripped = line.strip()
        if not stripped:
            continue
        if state.first_text is None:
            state.first_text = stripped
        _read_line(state, stripped)
    state.close_gpu()
    return _result(state)


def _read_line(state: _State, line: str) -> None:
    _read_versions(state, line)
    if "processes:" in line.lower():
        state.close_gpu()
        state.section = "processes"
        return
    if "MIG devices:" in line:
        state.close_gpu()
        state.section = "mig"
        state.mig = True
        return
    if "GPU  Name" in line or "Bus-Id" in line:
        state.close_gpu()
        state.section = "gpus"
        return
    if line.startswith("|"):
        if state.section == "processes":
            _read_process_row(state, line)
        elif state.section != "mig":
            _read_gpu_table_row(state, line)
        return
    if not line.startswith("+") and len(state.error_lines) < _MAX_ERROR_LINES:
        state.error_lines.append(line)


def _read_versions(state: _State, line: str) -> None:
    if "NVML library version" in line:
        state.nvml_library_version = _value_after_any(line, ("NVML library version:",))
        return
    if "Version" not in line and "NVIDIA-SMI " not in line:
        return
    if state.driver_version is None:
        state.driver_version = _value_after_any(line, _DRIVER_LABELS)
    if state.smi_version is None and line.startswith("| NVIDIA-SMI "):
        state.smi_version = _value_after_any(line, ("NVIDIA-SMI ",))
    if state.cuda_version is None:
        state.cuda_version = _value_after_any(line, _CUDA_LABELS)
    if "|" not in line and ":" in line:
        # `nvidia-smi -q` prints "Driver Version                 : 550.127"
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("Driver Version", "KMD Version") and state.driver_version is None:
            state.driver_version = _first_token(value)
        elif key in ("CUDA Version", "CUDA UMD Version") and state.cuda_version is None:
            state.cuda_version = _first_token(value)


def _value_after_any(line: str, labels: tuple[str, ...]) -> str | None:
    for label in labels:
        pos = line.find(label)
        if pos >= 0:
            return _first_token(line[pos + len(label) : pos + len(label) + 80])
    return None


def _first_token(s: str) -> str | None:
    tokens = s.replace("|", " ").split()
    if not tokens or tokens[0] in ("N/A", "Unknown"):
        return None
    return tokens[0]


def _cells(line: str) -> list[str]:
    return line.strip("|").split("|")


def _read_gpu_table_row(state: _State, line: str) -> None:
    if line.startswith("|=") or line.startswith("|-"):
        return
    cells = _cells(line)
    started = _gpu_row_start(cells, in_gpu_section=state.section == "gpus")
    if started is not None:
        state.close_gpu()
        state.current = started
        return
    gpu = state.current
    if gpu is None:
        return
    gpu.lines_seen += 1
    if gpu.memory_total_mib is None:
        for cell in cells:
            used, total = _memory_usage(cell)
            if total is not None:
                gpu.memory_used_mib, gpu.memory_total_mib = used, total
                return
    if gpu.lines_seen >= 3 and not cells[0].strip() and len(cells) >= 2:
        mode = cells[-1].strip()
        if mode in _MIG_MODES:
            gpu.mig_mode = mode


def _gpu_row_start(cells: list[str], in_gpu_section: bool) -> _GpuRow | None:
    """The first line of a GPU row: `|   0  NVIDIA H100 80GB HBM3   On  | 00000000:04:00.0 Off`."""
    tokens = cells[0].split()
    # branch 290 and older number the rows "0.", under an "Nb." heading
    index = tokens[0].removesuffix(".") if tokens else ""
    if len(tokens) < 2 or not index.isdigit() or not tokens[1][:1].isalpha():
        return None
    bus_id = None
    if len(cells) > 1:
        bus_tokens = cells[1].split()
        if bus_tokens and _looks_like_bus_id(bus_tokens[0]):
            bus_id = bus_tokens[0]
    if bus_id is None and not in_gpu_section:
        return None
    name_tokens = tokens[1:]
    if len(name_tokens) > 1 and name_tokens[-1] in _PERSISTENCE:
        name_tokens = name_tokens[:-1]
    return _GpuRow(index=int(index), name=" ".join(name_tokens) or None, bus_id=bus_id)


def _looks_like_bus_id(token: str) -> bool:
    # "00000000:01:00.0" (current) or "0000:03:00.0" (old tables)
    parts = token.split(":")
    if len(parts) != 3 or not is_hex(parts[0]) or not is_hex(parts[1]):
        return False
    slot, _, function = parts[2].partition(".")
    return is_hex(slot) and function.isdigit()


def _memory_usage(cell: str) -> tuple[int | None, int | None]:
    """ "  72459MiB / 81559MiB " -> (72459, 81559); branch 325 and older print "9MB / 4095MB"
    (the same mebibytes)."""
    if ("MiB" not in cell and "MB" not in cell) or "/" not in cell:
        return None, None
    left, _, right = cell.partition("/")
    used = left.split()  # branch 290 and older print the percentage first: "17%   42MB"
    return _mib(used[-1] if used else ""), _mib(right)


def _mib(s: str) -> int | None:
    s = s.strip()
    for unit in ("MiB", "MB"):
        if s.endswith(unit):
            return to_int(s[: -len(unit)])
    return None


def _read_process_row(state: _State, line: str) -> None:
    tokens = line.replace("|", " ").split()
    for t in range(2, min(len(tokens), 6)):
        if tokens[t] in _PROCESS_TYPES and tokens[t - 1].isdigit():
            break
    else:
        return
    rest = tokens[t + 1 :]
    memory = None
    if rest and (rest[-1].endswith("MiB") or rest[-1] == "N/A"):
        memory = _mib(rest[-1])
        rest = rest[:-1]
    state.processes.append(
        SmiProcess(
            gpu_index=to_int(tokens[0]),
            pid=to_int(tokens[t - 1]),
            type=tokens[t],
            name=" ".join(rest) or None,
            memory_mib=memory,
        )
    )


def _result(state: _State) -> NvidiaSmi:
    if state.first_text is None:
        return NvidiaSmi(status="error")
    if state.driver_version is None:
        # a working nvidia-smi has the driver's version: NVML refuses to run on a mismatch
        state.driver_version = state.smi_version
    if state.gpus or state.driver_version:
        return NvidiaSmi(
            status="ok",
            driver_version=state.driver_version,
            cuda_version=state.cuda_version,
            gpus=tuple(state.gpus),
            processes=tuple(state.processes),
            mig=state.mig,
            message=_first_warning(state.error_lines),
            unreachable=_unreachable(state.error_lines),
        )
    status, message = _classify_error(state.error_lines or [state.first_text])
    return NvidiaSmi(
        status=status,
        message=message,
        nvml_library_version=state.nvml_library_version,
        unreachable=_unreachable(state.error_lines),
    )


def _unreachable(lines: list[str]) -> tuple[SmiUnreachableGpu, ...]:
    """The GPUs nvidia-smi names in "Unable to determine the device handle" lines."""
    found: dict[str, SmiUnreachableGpu] = {}
    for line in lines:
        match = _DEVICE_HANDLE_RE.search(line)
        address = normalise_pci_address(match.group(1)) if match else None
        if match and address and address not in found:
            found[address] = SmiUnreachableGpu(address, _shorten(match.group(2).strip()))
    return tuple(found.values())


def _classify_error(lines: list[str]) -> tuple[str, str]:
    for line in lines:
        lower = line.lower()
        if "version mismatch" in lower:
            return "version-mismatch", _shorten(line)
        if "communicate with the nvidia driver" in lower:
            return "no-driver", _shorten(line)
        if "no devices were found" in lower:
            return "no-devices", _shorten(line)
    for line in lines:
        if "not found" in line.lower() and "nvidia-smi" in line.lower():
            return "error", "nvidia-smi: command not found"
    return "error", _shorten(lines[0])


def _first_warning(lines: list[str]) -> str | None:
    """nvidia-smi's own complaint printed around a working table ("Unable to determine the
    device handle for GPU ...", "WARNING: infoROM is corrupted at gpu ..."). Other programs'
    lines around it are not its complaints: `ssh host nvidia-smi` prints "Warning: untrusted
    X11 forwarding setup failed" first, which names no GPU."""
    for line in lines:
        lower = line.lower()
        if any(word in lower for word in _COMPLAINT_WORDS) and any(
            word in lower for word in _GPU_WORDS
        ):
            return _shorten(line)
    return None


def _shorten(line: str) -> str:
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 3] + "..."
