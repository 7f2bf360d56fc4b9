"""NVIDIA GPUs and NVSwitches among PCI devices, or among ubuntu-drivers' modaliases where the
bus was not captured; each GPU classified by the knowledge tables (generation, open-module
support, the branches it runs). Pure: the report reads the sources and hands them in."""

from __future__ import annotations

from nvwizard.detect import lspci, sysfs_pci
from nvwizard.detect.models import NvidiaSmi, PciDevice, UbuntuDriversDevice
from nvwizard.knowledge.architectures import classify_gpu
from nvwizard.report.candidates import is_nvidia_device
from nvwizard.report.models import Gpu

NVIDIA_VENDOR = "10de"
NVSWITCH_CLASS = "0680"


def is_nvidia_display(device: PciDevice) -> bool:
    return device.vendor_id == NVIDIA_VENDOR and (device.class_code or "03").startswith("03")


def is_nvswitch(device: PciDevice) -> bool:
    return device.vendor_id == NVIDIA_VENDOR and device.class_code == NVSWITCH_CLASS


def synthetic_modalias(device: PciDevice) -> str | None:
    """A concrete modalias from the ids (subsystem zeroed): enough for apt's sv*sd* patterns.

    None without a device id (plain lspci): apt's Modaliases cannot be matched then.
    """
    if not device.device_id:
        return None
    klass = (device.class_code or "0300").upper()
    return (
        f"pci:v0000{device.vendor_id.upper()}d0000{device.device_id.upper()}"
        f"sv00000000sd00000000bc{klass[:2]}sc{klass[2:4]}i00"
    )


def _gpu(
    address: str, device_id: str | None, pci_name: str | None, device: PciDevice | None = None
) -> Gpu:
    found = classify_gpu(device_id, pci_name)
    name = found.marketing_name or _strip_vendor(pci_name)
    return Gpu(
        address,
        device_id,
        name,
        found.architecture,
        found.open_kernel,
        found.chip,
        first_branch=found.first_branch,
        last_branch=found.last_branch,
        driver_in_use=device.driver_in_use if device else None,
        revision=device.revision if device else None,
    )


def _strip_vendor(pci_name: str | None) -> str | None:
    if not pci_name:
        return None
    return pci_name.removeprefix("NVIDIA Corporation").strip() or None


def _address_of(sysfs_path: str | None) -> str:
    if not sysfs_path:
        return "unknown"
    last = sysfs_path.rstrip("/").rsplit("/", 1)[-1]
    return lspci.normalise_pci_address(last) or last


def gpus_from_pci(devices: list[PciDevice]) -> list[Gpu]:
    return [_gpu(d.address, d.device_id, d.description, d) for d in devices if is_nvidia_display(d)]


def gpus_from_ubuntu_drivers(devices: list[UbuntuDriversDevice]) -> tuple[list[Gpu], list[str]]:
    gpus, modaliases = [], []
    for device in devices:
        if not is_nvidia_device(device) or not device.modalias:
            continue
        parsed = sysfs_pci.parse_modalias(device.modalias)
        if parsed is None or not parsed.base_class.startswith("03"):
            continue
        gpus.append(_gpu(_address_of(device.sysfs_path), parsed.device, device.model))
        modaliases.append(device.modalias)
    return gpus, modaliases


def gpus_from_nvidia_smi(smi: NvidiaSmi | None) -> list[Gpu]:
    """The GPUs nvidia-smi lists, at their bus address, by the name it prints: for a machine
    whose PCI devices were not captured (nvidia-smi.txt alone). Their PCI ids are unknown, so
    their generation is known only where the name says it. The GPUs it names but cannot reach
    ("Unable to determine the device handle for GPU <address>") are GPUs too, nameless."""
    if smi is None:
        return []
    listed = [
        _gpu(lspci.normalise_pci_address(g.bus_id or "") or "unknown", None, g.name)
        for g in (smi.gpus if smi.status == "ok" else ())
    ]
    seen = {g.pci_address for g in listed}
    return listed + [_gpu(u.address, None, None) for u in smi.unreachable if u.address not in seen]
