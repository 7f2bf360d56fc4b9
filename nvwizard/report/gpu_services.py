"""NVIDIA's GPU services (DCGM, nvidia-powerd, fabric manager, nvidia-persistenced) as the
machine runs them: `systemctl is-active` / `is-enabled` (gpu-services.txt), else their daemons
among the processes holding /dev/nvidia*. A plan stops the running ones before it removes the
old driver; the activation stops and starts them around the module swap."""

from __future__ import annotations

from nvwizard.detect import misc
from nvwizard.detect.models import UnitState
from nvwizard.host.base import Host
from nvwizard.knowledge import kernel_modules as km


def gpu_service_states(host: Host, process_names: set[str]) -> list[UnitState]:
    """The GPU services as systemctl answers; without its answer, a service counts as active
    when its daemon is among the processes holding /dev/nvidia*."""
    text = host.read("gpu-services.txt")
    if text is not None:
        known = set(km.GPU_SERVICE_UNITS)
        return [u for u in misc.parse_unit_states(text) if u.name in known]
    found: list[UnitState] = []
    seen: set[str] = set()
    for service in km.GPU_SERVICES:
        if service.process in process_names and service.process not in seen:
            seen.add(service.process)
            found.append(UnitState(service.unit, "active"))
    return found
