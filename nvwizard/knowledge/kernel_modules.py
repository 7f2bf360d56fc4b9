"""What an NVIDIA driver puts into the running kernel, and what keeps it there.

- the modules, in the order they come out (each user before the module it uses) and go in;
- the services that keep /dev/nvidia* open (persistenced, fabric manager, DCGM), with the
  process name /proc shows for each (a command name is cut to 15 characters);
- the display servers, which hold nvidia_drm while they run.

Used by the decision whether a new driver can be loaded without a reboot (report/activation.py)
and by the steps that do it (plan/activate.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CORE = "nvidia"
UVM = "nvidia_uvm"
DRM = "nvidia_drm"
MODESET = "nvidia_modeset"
PEERMEM = "nvidia_peermem"

# Unloaded in this order: nvidia_uvm and nvidia_drm use nvidia and nvidia_modeset;
# nvidia_modeset and nvidia_peermem use nvidia.
UNLOAD_ORDER = (UVM, DRM, MODESET, PEERMEM, CORE)
# Loaded in this order: each after the module it uses.
LOAD_ORDER = (CORE, MODESET, DRM, UVM, PEERMEM)
FIRST_PEERMEM_BRANCH = 470  # nvidia_peermem (GPUDirect RDMA) ships from 470 on
NOUVEAU = "nouveau"

# lsmod's names: Ubuntu's "nvidia_uvm"; Debian renames its builds after the package family
# ("nvidia_current_uvm", "nvidia_tesla_535_drm", "nvidia_legacy_390xx").
_MODULE_RE = re.compile(
    r"^nvidia(?:_(?:current|tesla_\d+|legacy_[0-9a-z]+))?(?:_open)?(_uvm|_drm|_modeset|_peermem)?$"
)


def module_role(name: str) -> str | None:
    """Which NVIDIA module an lsmod name is, as UNLOAD_ORDER names it; None for others.

    "nvidia_uvm" -> "nvidia_uvm", "nvidia_current_drm" -> "nvidia_drm", "nvidia" -> "nvidia"."""
    match = _MODULE_RE.match(name.replace("-", "_"))
    if match is None:
        return None
    return CORE + (match.group(1) or "")


def unload_rank(name: str) -> int:
    """Where an NVIDIA module comes in UNLOAD_ORDER (unknown names last)."""
    role = module_role(name)
    return UNLOAD_ORDER.index(role) if role in UNLOAD_ORDER else len(UNLOAD_ORDER)


def modules_to_load(loaded_before: set[str], desktop: bool, branch: int | None) -> list[str]:
    """The modules to load, in LOAD_ORDER: nvidia and nvidia_uvm (CUDA needs it) always;
    nvidia_modeset and nvidia_drm when they were loaded before or the machine has a desktop;
    nvidia_peermem when it was loaded before (it needs the InfiniBand stack)."""
    wanted = {CORE, UVM}
    if desktop or loaded_before & {MODESET, DRM}:
        wanted |= {MODESET, DRM}
    if PEERMEM in loaded_before and (branch is None or branch >= FIRST_PEERMEM_BRANCH):
        wanted.add(PEERMEM)
    return [m for m in LOAD_ORDER if m in wanted]


@dataclass(frozen=True)
class GpuService:
    unit: str  # "nvidia-persistenced.service"
    process: str  # its daemon's command name as /proc shows it: "nvidia-persiste"
    what: str  # for people


# Stopped in this order (what uses the others first), started in the reverse order.
GPU_SERVICES = (
    GpuService("nvidia-dcgm.service", "nv-hostengine", "DCGM (NVIDIA's GPU manager)"),
    GpuService("dcgm.service", "nv-hostengine", "DCGM (its older unit name)"),
    GpuService("nvidia-powerd.service", "nvidia-powerd", "nvidia-powerd (Dynamic Boost)"),
    GpuService(
        "nvidia-fabricmanager.service", "nv-fabricmanage", "fabric manager (NVSwitch boards)"
    ),
    GpuService("nvidia-persistenced.service", "nvidia-persiste", "nvidia-persistenced"),
)
GPU_SERVICE_UNITS = tuple(s.unit for s in GPU_SERVICES)


def service_of_process(process: str) -> tuple[str, ...]:
    """The GPU service units whose daemon has this command name."""
    return tuple(s.unit for s in GPU_SERVICES if s.process == process[:15])


def stop_order(units: set[str]) -> list[str]:
    return [u for u in GPU_SERVICE_UNITS if u in units]


def start_order(units: set[str]) -> list[str]:
    return list(reversed(stop_order(units)))


# Display servers and compositors: while one runs on the GPU it holds nvidia_drm.
DISPLAY_SERVERS = frozenset(
    {
        "Xorg",
        "X",
        "Xwayland",
        "gnome-shell",
        "kwin_wayland",
        "kwin_x11",
        "sway",
        "weston",
        "mutter",
        "Hyprland",
        "cage",
    }
)
