"""What the parsers read of a GPU the driver cannot use: lspci's `(rev ff)`, sysfs-pci's
`revision=0xff`, the driver bound to it, nvidia-smi's "Unable to determine the device handle"
lines. Sources: samples/bus/SOURCES.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from nvwizard.detect.lspci import parse_lspci
from nvwizard.detect.nvidia_smi import parse_nvidia_smi
from nvwizard.detect.sysfs_pci import parse_sysfs_pci

SAMPLES = Path(__file__).parent / "samples"


def read(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "address", "revision"),
    [
        ("bus/lspci-plain-laptop-gtx765m-switched-off.txt", "0000:01:00.0", "ff"),
        ("bus/lspci-egrep-optimus-920m-switched-off.txt", "0000:01:00.0", "ff"),
        ("bus/lspci-grep-nvidia-4x-l40s.txt", "0000:ac:00.0", "a1"),
        ("bus/lspci-nnk-p40-vfio-pci.txt", "0000:04:00.0", "a1"),
        ("lspci/lspci-nn-k-rtx3090.txt", "0000:01:00.0", "a1"),
    ],
)
def test_lspci_keeps_the_revision_of_each_nvidia_device(name, address, revision):
    devices = {d.address: d for d in parse_lspci(read(name))}
    assert devices[address].vendor_id == "10de"
    assert devices[address].revision == revision


def test_a_switched_off_gpu_keeps_its_name_and_class():
    intel, gpu = parse_lspci(read("bus/lspci-plain-laptop-gtx765m-switched-off.txt"))
    # the integrated GPU is kept (vendor and class: the sign of hybrid graphics), no other
    assert (intel.address, intel.vendor_id, intel.class_code) == ("0000:00:02.0", "8086", "0300")
    assert (gpu.class_code, gpu.description) == (
        "0302",
        "NVIDIA Corporation GK106M [GeForce GTX 765M]",
    )


def test_lspci_k_names_the_vfio_pci_binding():
    [gpu] = parse_lspci(read("bus/lspci-nnk-p40-vfio-pci.txt"))
    assert (gpu.device_id, gpu.driver_in_use) == ("1b38", "vfio-pci")


def test_sysfs_pci_reads_the_revision_field():
    text = (
        "0000:0b:00.0 class=0x030000 vendor=0x10de device=0x1e07 driver=nvidia revision=0xff\n"
        "0000:0c:00.0 class=0x030000 vendor=0x10de device=0x1e07 revision=0xA1\n"
        "0000:0d:00.0 class=0x030000 vendor=0x10de device=0x1e07 revision=0x1\n"
    )
    assert [d.revision for d in parse_sysfs_pci(text)] == ["ff", "a1", None]


@pytest.mark.parametrize(
    ("name", "address", "lost"),
    [
        ("nvidia-smi/error-gpu-is-lost.txt", "0000:02:00.0", True),
        ("bus/nvidia-smi-2080ti-0b-unknown-error.txt", "0000:0b:00.0", False),
        ("nvidia-smi/error-device-handle.txt", "0000:41:00.0", False),  # "GPU0000:41:00.0"
    ],
)
def test_nvidia_smi_names_the_gpus_it_cannot_reach(name, address, lost):
    [unreachable] = parse_nvidia_smi(read(name)).unreachable
    assert (unreachable.address, unreachable.lost) == (address, lost)


def test_a_healthy_table_names_no_unreachable_gpu():
    smi = parse_nvidia_smi(read("bus/nvidia-smi-570-l40s-3-of-4.txt"))
    assert smi.status == "ok" and len(smi.gpus) == 3 and smi.unreachable == ()
