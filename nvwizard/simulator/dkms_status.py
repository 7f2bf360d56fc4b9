"""`dkms status` as the simulated machine keeps it (dkms-status.txt): a row per module version
built and installed for a kernel. A DKMS package's postinst adds the row of its build, its
removal drops the module's rows, and a boot rewrites the nvidia rows for the kernel that came
up. Rows of other modules (zfs, ...) are kept as they are. A bundle without the file gets one
only when an nvidia DKMS module is built."""

from __future__ import annotations

from nvwizard.simulator.kernel_modules import (
    DkmsSource,
    is_nvidia_dkms_module,
    upstream_version,
)
from nvwizard.simulator.model import MachineModel

SOURCE = "dkms-status.txt"


def row(model: MachineModel, source: DkmsSource, version: str, kernel: str) -> str:
    """One "installed" row in the layout of the installed dkms (3.x: module/version)."""
    upstream = upstream_version(version)
    dkms = model.installed.get("dkms")
    slash_layout = dkms is None or _major(dkms.version) >= 3
    head = f"{source.module}/{upstream}" if slash_layout else f"{source.module}, {upstream}"
    return f"{head}, {kernel}, x86_64: installed"


def record_build(model: MachineModel, source: DkmsSource, version: str, kernel: str) -> None:
    """After a postinst built and installed the module for `kernel`."""
    kept = [
        line
        for line in _lines(model)
        if not (_module(line) == source.module and _kernel(line) == kernel)
    ]
    _write(model, kept + [row(model, source, version, kernel)])


def forget_module(model: MachineModel, source: DkmsSource) -> None:
    """After the package's prerm removed the module from every kernel."""
    if model.machine.read(SOURCE) is None:
        return
    _write(model, [line for line in _lines(model) if _module(line) != source.module])


def rewrite_for_boot(model: MachineModel, rows: list[str]) -> None:
    """After a boot: every nvidia row replaced by `rows` (the modules built for its kernel)."""
    if model.machine.read(SOURCE) is None and not rows:
        return
    kept = [line for line in _lines(model) if not is_nvidia_dkms_module(_module(line))]
    _write(model, kept + rows)


def _lines(model: MachineModel) -> list[str]:
    return [line for line in (model.machine.read(SOURCE) or "").splitlines() if line.strip()]


def _write(model: MachineModel, lines: list[str]) -> None:
    model.write_back(SOURCE, "".join(f"{line}\n" for line in lines))


def _module(line: str) -> str:
    """ "nvidia-current/535.247.01, 6.1.0-40-amd64, x86_64: installed" -> "nvidia-current"."""
    return line.strip().split(",", 1)[0].split("/", 1)[0].strip()


def _kernel(line: str) -> str | None:
    head = line.rpartition(":")[0] or line
    parts = [p.strip() for p in head.split(",")]
    if "/" in parts[0]:
        return parts[1] if len(parts) > 1 else None
    return parts[2] if len(parts) > 2 else None


def _major(version: str) -> int:
    """ "3.0.10-8+deb12u1" -> 3."""
    head = version.split(":", 1)[-1].split(".", 1)[0]
    return int(head) if head.isdigit() else 0
