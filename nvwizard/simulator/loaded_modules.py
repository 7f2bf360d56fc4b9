"""The kernel modules the simulated machine has loaded: lsmod.txt's rows, as a model that
`modprobe`, `modprobe -r` and `rmmod` (modprobe.py) change.

A module is in use while another loaded module uses it (lsmod's "Used by") or something else
holds it: for nvidia, every process with /dev/nvidia* open (gpu-processes.txt); for nvidia_uvm,
those that are not one of the GPU services' daemons (CUDA jobs); for any other module what its
use count in the bundle holds beyond its listed users (the console on nouveau, a display
server on nvidia_drm). The use counts written back follow the same rule, so a re-read of
lsmod after `systemctl stop nvidia-persistenced` sees nvidia's count drop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nvwizard.detect.lsmod import parse_lsmod
from nvwizard.detect.misc import parse_gpu_processes
from nvwizard.knowledge.kernel_modules import CORE, GPU_SERVICES, UVM, module_role
from nvwizard.simulator.state import Machine

LSMOD = "lsmod.txt"
HEADER = "Module                  Size  Used by\n"
# Helpers the console's own driver (ast, mgag200, efifb's simpledrm) also uses: a bundle's
# lsmod may not list it among their users, so `modprobe -r` never takes them along.
_SHARED_HELPERS = frozenset({"drm", "drm_kms_helper", "video", "i2c_algo_bit", "cec", "wmi"})
_DAEMONS = frozenset(s.process for s in GPU_SERVICES)


@dataclass
class Module:
    name: str
    size: int
    used_by: list[str] = field(default_factory=list)
    others: int = 0  # holders that are no module (fixed, from the bundle's use count)


class LoadedModules:
    """lsmod.txt as a list of modules, newest first; `save()` writes it back."""

    def __init__(self, machine: Machine, stuck: str | None = None):
        """`stuck`: a module that is in use whatever holds it (NVWIZARD_DEMO_FAIL=unload:X)."""
        self.machine = machine
        self.stuck = stuck
        self.modules = [
            Module(
                e.name,
                e.size or 16384,
                list(e.used_by),
                max(0, (e.count or 0) - len(e.used_by)),
            )
            for e in parse_lsmod(machine.read(LSMOD) or "")
        ]
        jobs = parse_gpu_processes(machine.read("gpu-processes.txt") or "")
        self._holders = {
            CORE: len(jobs),
            UVM: sum(1 for p in jobs if p.name not in _DAEMONS),
        }

    def find(self, name: str) -> Module | None:
        wanted = name.replace("-", "_")
        return next((m for m in self.modules if m.name == wanted), None)

    def holders(self, module: Module) -> int:
        """What holds `module` besides the modules using it."""
        role = module_role(module.name)
        if role in self._holders:
            return self._holders[role]
        return module.others

    def in_use(self, module: Module) -> bool:
        return module.name == self.stuck or bool(module.used_by) or self.holders(module) > 0

    def remove(self, name: str, cascade: bool) -> list[str]:
        """Unload `name` (not in use); with `cascade`, as `modprobe -r` does, also the modules
        it used that nothing uses any more. Returns the names unloaded, in order."""
        module = self.find(name)
        if module is None:
            return []
        self.modules.remove(module)
        removed = [module.name]
        used = [m for m in self.modules if module.name in m.used_by]
        for other in used:
            other.used_by.remove(module.name)
        if cascade:
            for other in used:
                if other.name not in _SHARED_HELPERS and not self.in_use(other):
                    removed += self.remove(other.name, cascade=True)
        return removed

    def insert(self, name: str, size: int, uses: list[str]) -> None:
        """Load `name` on top (lsmod lists the newest first), using the modules in `uses`."""
        self.modules.insert(0, Module(name, size))
        for dependency in uses:
            found = self.find(dependency)
            if found is not None and name not in found.used_by:
                found.used_by.append(name)

    def save(self) -> None:
        rows = []
        for module in self.modules:
            count = len(module.used_by) + self.holders(module)
            users = ",".join(module.used_by)
            rows.append(f"{module.name:<19} {module.size:>10}  {count} {users}".rstrip())
        self.machine.write(LSMOD, HEADER + "".join(f"{row}\n" for row in rows))


def refresh_use_counts(machine: Machine) -> None:
    """Rewrite lsmod's use counts after processes holding /dev/nvidia* came or went."""
    if machine.read(LSMOD) is not None:
        LoadedModules(machine).save()
