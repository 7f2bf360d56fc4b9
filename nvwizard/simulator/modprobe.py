"""`modprobe`, `modprobe -r` and `rmmod` on the simulated machine, with kmod's own messages.

Loading the nvidia module takes the module on disk for the running kernel (boot.py's choice:
Canonical's signed modules, else a DKMS build) and writes what a loaded driver shows: the
/proc version, the GPUs bound to nvidia in sysfs and lspci, nvidia-smi's table. It fails as
the real kernel refuses:

- no module for the running kernel: `modprobe: FATAL: Module nvidia not found in directory
  /lib/modules/<kernel>`;
- Secure Boot on and the module not Canonical-signed (a DKMS build whose key is not enrolled):
  `modprobe: ERROR: could not insert 'nvidia': Key was rejected by service`;
- nouveau still bound to the GPU (nvidia's probe never runs): `... No such device`;
- nvidia_uvm, nvidia_drm, ... on top of a loaded nvidia of another version: `... Invalid
  argument` (NVRM's API mismatch).

Unloading: `modprobe -r` of a module not loaded succeeds silently; of one in use (see
loaded_modules.py) it says `modprobe: FATAL: Module nvidia is in use.`; it then also unloads
what the module used and nothing uses any more, as kmod does. `rmmod` unloads only the one
module and says `rmmod: ERROR: Module X is not currently loaded` or `... is in use by: Y`.

NVWIZARD_DEMO_FAIL=unload:<module> makes that module's unload fail as in use;
NVWIZARD_DEMO_FAIL=load:<module> makes its load fail with "No such device".
"""

from __future__ import annotations

from collections.abc import Sequence

from nvwizard.detect.mokutil import parse_sb_state
from nvwizard.detect.proc_version import parse_proc_driver_version
from nvwizard.knowledge.kernel_modules import CORE, DRM, MODESET, NOUVEAU, module_role
from nvwizard.simulator.boot import BUILD_DATE, NO_DRIVER, module_at_boot, nvidia_smi_text
from nvwizard.simulator.kernel_files import (
    lspci_with_driver,
    module_size,
    proc_version,
    sysfs_with_driver,
)
from nvwizard.simulator.loaded_modules import LoadedModules
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.script import PACE, Invocation, Lines, Pause, Script, err
from nvwizard.simulator.state import LoadedNvidia, Machine

# what each NVIDIA module needs loaded first
_NEEDS = {"nvidia_uvm": [CORE], MODESET: [CORE], DRM: [MODESET], "nvidia_peermem": [CORE]}
_NOUVEAU_SIZE = 2424832


def modprobe(call: Invocation, args: Sequence[str]) -> Script:
    names = [a for a in args if not a.startswith("-")]
    if not names:
        yield err("modprobe: ERROR: missing parameters. See -h.")
        return 1
    if "-r" in args or "--remove" in args:
        for name in names:
            code = yield from _remove(call, name, "modprobe")
            if code:
                return code
        return 0
    return (yield from _insert(call, names[0]))  # what follows the name are its parameters


def rmmod(call: Invocation, args: Sequence[str]) -> Script:
    names = [a for a in args if not a.startswith("-")]
    if not names:
        yield err("rmmod: ERROR: missing module name.")
        return 1
    for name in names:
        code = yield from _remove(call, name, "rmmod")
        if code:
            return code
    return 0


# -- unloading -------------------------------------------------------------------------------


def _remove(call: Invocation, name: str, tool: str) -> Lines[int]:
    modules = LoadedModules(call.machine, stuck=call.failing_unload)
    module = modules.find(name)
    if module is None:
        if tool == "rmmod":
            yield err(f"rmmod: ERROR: Module {name} is not currently loaded")
            return 1
        return 0  # kmod: a module that is not loaded is removed already
    if modules.in_use(module):
        if tool == "rmmod":
            users = f" by: {' '.join(module.used_by)}" if module.used_by else ""
            yield err(f"rmmod: ERROR: Module {module.name} is in use{users}")
        else:
            yield err(f"modprobe: FATAL: Module {module.name} is in use.")
        return 1
    yield Pause(PACE["rmmod"])
    removed = modules.remove(module.name, cascade=tool == "modprobe")
    modules.save()
    if any(module_role(n) == CORE for n in removed):
        _nvidia_gone(call.machine)
    if NOUVEAU in removed:
        _set_gpu_driver(call.machine, None)
    return 0


def _nvidia_gone(machine: Machine) -> None:
    machine.write("proc-driver-nvidia-version.txt", None)
    _set_gpu_driver(machine, None)
    if machine.read("nvidia-smi.txt") is not None:
        machine.write("nvidia-smi.txt", NO_DRIVER)


# -- loading ---------------------------------------------------------------------------------


def _insert(call: Invocation, name: str) -> Lines[int]:
    name = name.replace("-", "_")
    model = MachineModel(call.machine)
    modules = LoadedModules(call.machine)
    if modules.find(name) is not None:
        return 0
    if name == NOUVEAU:
        return (yield from _insert_nouveau(call, modules))
    role = module_role(name)
    module, _why = module_at_boot(model, model.kernel, secure_boot=False)
    if role is None or module is None:
        yield err(
            f"modprobe: FATAL: Module {name} not found in directory /lib/modules/{model.kernel}"
        )
        return 1
    secure_boot = parse_sb_state(call.machine.read("mokutil-sb-state.txt") or "") == "enabled"
    if secure_boot and not module.signed_by_canonical:
        yield err(f"modprobe: ERROR: could not insert '{name}': Key was rejected by service")
        return 1
    for needed in _NEEDS.get(role, []):
        if modules.find(needed) is None:
            code = yield from _insert(call, needed)
            if code:
                return code
    modules = LoadedModules(call.machine)
    if role == CORE:
        if call.fails_module("load", name) or _bound_to_nouveau(call.machine):
            yield err(f"modprobe: ERROR: could not insert '{name}': No such device")
            return 1
    elif _loaded_version(call.machine) != module.version or call.fails_module("load", name):
        why = "No such device" if call.fails_module("load", name) else "Invalid argument"
        yield err(f"modprobe: ERROR: could not insert '{name}': {why}")
        return 1
    yield Pause(PACE["modprobe"])
    modules.insert(name, module_size(name, module.open), _NEEDS.get(role, []))
    modules.save()
    if role == CORE:
        _nvidia_came(call.machine, model, module)
    return 0


def _insert_nouveau(call: Invocation, modules: LoadedModules) -> Lines[int]:
    if LoadedModules(call.machine).find(CORE) is None:
        _set_gpu_driver(call.machine, NOUVEAU)
    yield Pause(PACE["modprobe"])
    modules.insert(NOUVEAU, _NOUVEAU_SIZE, [])
    modules.save()
    return 0


def _nvidia_came(machine: Machine, model: MachineModel, module: LoadedNvidia) -> None:
    os_version = model.os.get("VERSION_ID", "")
    machine.write("proc-driver-nvidia-version.txt", proc_version(module, os_version, BUILD_DATE))
    _set_gpu_driver(machine, "nvidia")
    text, _status = nvidia_smi_text(machine, model, module.version, module.open, nouveau=False)
    machine.write("nvidia-smi.txt", text)


def _loaded_version(machine: Machine) -> str | None:
    found = parse_proc_driver_version(machine.read("proc-driver-nvidia-version.txt") or "")
    return found.version if found else None


def _bound_to_nouveau(machine: Machine) -> bool:
    text = machine.read("sysfs-pci.txt") or ""
    if any("vendor=0x10de" in line and "driver=nouveau" in line for line in text.splitlines()):
        return True
    return "Kernel driver in use: nouveau" in (machine.read("lspci-nn.txt") or "")


def _set_gpu_driver(machine: Machine, driver: str | None) -> None:
    """Bind the NVIDIA GPUs (and NVSwitches) to `driver` in sysfs and lspci (None: unbound)."""
    sysfs = machine.read("sysfs-pci.txt")
    if sysfs is not None:
        machine.write("sysfs-pci.txt", sysfs_with_driver(sysfs, driver))
    lspci = machine.read("lspci-nn.txt")
    if lspci is not None:
        machine.write("lspci-nn.txt", lspci_with_driver(lspci, driver))
