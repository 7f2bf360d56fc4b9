"""NVIDIA's GPU services on the simulated machine: nvidia-persistenced, fabric manager, DCGM.

Their state is the machine's gpu-services.txt (`<unit>\\t<active>\\t<enabled>`, as `nvwizard
capture` records it), and a running one's daemon is among the processes holding /dev/nvidia*
(gpu-processes.txt), as on a real machine. A bundle without gpu-services.txt: a service runs
when its daemon is among those processes. Stopping a service ends its daemon; starting one
needs the nvidia module loaded (the daemons open /dev/nvidia*), else it fails as systemd says;
fabric manager also needs its package at the loaded driver's version (it exits otherwise).
"""

from __future__ import annotations

from nvwizard.detect.lsmod import parse_lsmod
from nvwizard.detect.misc import parse_gpu_processes, parse_unit_states
from nvwizard.detect.models import GpuProcess, UnitState
from nvwizard.detect.proc_version import parse_proc_driver_version
from nvwizard.knowledge.kernel_modules import CORE, GPU_SERVICE_UNITS, GPU_SERVICES, module_role
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.state import Machine

SOURCE = "gpu-services.txt"
PROCESSES = "gpu-processes.txt"
# the daemon's user and the devices it keeps open, for the process list
_DAEMONS = {
    "nvidia-persistenced.service": ("nvidia-persistenced", "all GPUs"),
    "nvidia-fabricmanager.service": ("root", "/dev/nvidia-nvswitchctl"),
    "nvidia-dcgm.service": ("root", "/dev/nvidiactl"),
    "dcgm.service": ("root", "/dev/nvidiactl"),
    "nvidia-powerd.service": ("root", "/dev/nvidiactl"),
}
_FIRST_DAEMON_PID = {unit: 2900 + 100 * i for i, unit in enumerate(GPU_SERVICE_UNITS)}
FABRIC_MANAGER_UNIT = "nvidia-fabricmanager.service"


def is_gpu_service(unit: str) -> bool:
    return unit in GPU_SERVICE_UNITS


def unit_states(machine: Machine) -> dict[str, UnitState]:
    """Each GPU service's state now (only the ones the machine knows of)."""
    text = machine.read(SOURCE)
    if text is not None:
        return {u.name: u for u in parse_unit_states(text) if is_gpu_service(u.name)}
    running = {p.name for p in processes(machine)}
    found: dict[str, UnitState] = {}
    seen: set[str] = set()
    for service in GPU_SERVICES:
        if service.process in running and service.process not in seen:
            seen.add(service.process)
            enabled = "enabled" if service.unit in machine.state.enabled_units else None
            found[service.unit] = UnitState(service.unit, "active", enabled)
    return found


def is_active(machine: Machine, unit: str) -> bool:
    state = unit_states(machine).get(unit)
    return state is not None and state.active == "active"


def processes(machine: Machine) -> list[GpuProcess]:
    return parse_gpu_processes(machine.read(PROCESSES) or "")


def nvidia_loaded(machine: Machine) -> bool:
    return any(module_role(m.name) == CORE for m in parse_lsmod(machine.read("lsmod.txt") or ""))


def loaded_version(machine: Machine) -> str | None:
    """The loaded nvidia module's version, as /proc/driver/nvidia/version says."""
    found = parse_proc_driver_version(machine.read("proc-driver-nvidia-version.txt") or "")
    return found.version if found is not None else None


def version_refused(model: MachineModel, unit: str, module_version: str | None) -> bool:
    """Fabric manager exits at start unless its package is at the loaded driver's version
    (NVIDIA's fabric manager checks the driver's version; the unit then fails)."""
    if unit != FABRIC_MANAGER_UNIT or module_version is None:
        return False
    installed = {
        p.version.split(":", 1)[-1].rsplit("-", 1)[0]
        for p in model.rows()
        if p.present and p.name.startswith("nvidia-fabricmanager")
    }
    return bool(installed) and module_version not in installed


def set_state(machine: Machine, model: MachineModel, unit: str, active: bool) -> None:
    """Record a started or stopped service, and its daemon coming or going."""
    states = unit_states(machine)
    enabled = "enabled" if unit in model.state.enabled_units else None
    old = states.get(unit)
    states[unit] = UnitState(
        unit, "active" if active else "inactive", enabled or (old.enabled if old else "disabled")
    )
    write_states(machine, states.values())
    daemon = next(s.process for s in GPU_SERVICES if s.unit == unit)
    kept = [p for p in processes(machine) if p.name != daemon]
    if active:
        kept.append(_daemon_process(machine, unit, daemon))
    write_processes(machine, kept)


def set_enabled(machine: Machine, unit: str, enabled: bool) -> None:
    """Record `systemctl enable` or `disable` of a GPU service."""
    states = unit_states(machine)
    old = states.get(unit)
    states[unit] = UnitState(
        unit, old.active if old else "inactive", "enabled" if enabled else "disabled"
    )
    write_states(machine, states.values())


def after_boot(machine: Machine, model: MachineModel, module_version: str | None) -> None:
    """A boot starts the enabled GPU services whose unit is installed; their daemons run when
    the module loaded (`module_version`: its version, None when none did; without it they
    fail, as on a real machine, and fabric manager fails at another version than its own)."""
    states = unit_states(machine)
    enabled = model.state.enabled_units | {
        u.name for u in states.values() if u.enabled == "enabled"
    }
    new: dict[str, UnitState] = {}
    running: list[GpuProcess] = []
    for unit in GPU_SERVICE_UNITS:
        if not unit_installed(model, unit):
            continue
        starts = unit in enabled
        runs = module_version is not None and not version_refused(model, unit, module_version)
        active = "active" if starts and runs else ("failed" if starts else "inactive")
        new[unit] = UnitState(unit, active, "enabled" if starts else "disabled")
        if active == "active":
            daemon = next(s.process for s in GPU_SERVICES if s.unit == unit)
            running.append(_daemon_process(machine, unit, daemon))
    if new or machine.read(SOURCE) is not None:
        write_states(machine, new.values())
    write_processes(machine, running)


def unit_installed(model: MachineModel, unit: str) -> bool:
    """NVIDIA's units ship with packages: persistenced with Ubuntu's nvidia-compute-utils-*
    (and nvidia-utils-*) or Debian's nvidia-persistenced, fabric manager with its package,
    DCGM with datacenter-gpu-manager."""
    present = model.present()
    if unit == "nvidia-persistenced.service":
        return "nvidia-persistenced" in present or any(
            n.startswith(("nvidia-compute-utils-", "nvidia-utils-")) for n in present
        )
    if unit == "nvidia-fabricmanager.service":
        return any(n.startswith("nvidia-fabricmanager") for n in present)
    if unit in ("nvidia-dcgm.service", "dcgm.service"):
        return any(n.startswith("datacenter-gpu-manager") for n in present)
    if unit == "nvidia-powerd.service":
        return any(n.startswith("nvidia-compute-utils-") for n in present)
    return False


def write_states(machine: Machine, states) -> None:
    rows = sorted(states, key=lambda u: GPU_SERVICE_UNITS.index(u.name))
    machine.write(
        SOURCE, "".join(f"{u.name}\t{u.active}\t{u.enabled or 'unknown'}\n" for u in rows)
    )


def write_processes(machine: Machine, found: list[GpuProcess]) -> None:
    rows = sorted(found, key=lambda p: p.pid)
    machine.write(
        PROCESSES, "".join(f"{p.pid}\t{p.name}\t{p.user or ''}\t{p.device or ''}\n" for p in rows)
    )


def _daemon_process(machine: Machine, unit: str, daemon: str) -> GpuProcess:
    user, devices = _DAEMONS.get(unit, ("root", "/dev/nvidiactl"))
    if devices == "all GPUs":
        count = max(1, _gpu_count(machine))
        devices = ",".join(f"/dev/nvidia{i}" for i in range(count))
    pid = _FIRST_DAEMON_PID[unit] + len(machine.state.boots)
    return GpuProcess(pid=pid, name=daemon, user=user, device=devices)


def _gpu_count(machine: Machine) -> int:
    text = machine.read("sysfs-pci.txt") or machine.read("lspci-nn.txt") or ""
    return sum(
        1
        for line in text.splitlines()
        if ("vendor=0x10de" in line and "class=0x03" in line)
        or ("[10de:" in line and ("[0300]" in line or "[0302]" in line))
    )
