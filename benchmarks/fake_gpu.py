"""This machine as if it had an NVIDIA GPU: for timing live detection when a GPU is present.

`make_root(scratch)` builds a root folder that is this machine's own (links to /etc, /proc,
/usr, /var ...) except for the PCI bus, which lists this machine's devices plus an NVIDIA L4.
`python -m benchmarks.fake_gpu ROOT` then runs `nvwizard detect --json` on a `LocalHost` whose
file reads come from ROOT: every command (dpkg, apt-cache, nvidia-smi...) runs for real, and
the report asks apt for the driver stanzas as it would on a GPU machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FAKE_GPU = {  # an NVIDIA L4 (Ada), as sysfs shows one
    "class": "0x030200",
    "vendor": "0x10de",
    "device": "0x27b8",
    "modalias": "pci:v000010DEd000027B8sv000010DEsd000016CAbc03sc02i00",
}
FAKE_ADDRESS = "0000:e1:00.0"
PCI_DEVICES = "sys/bus/pci/devices"


def make_root(scratch: Path) -> Path:
    root = scratch / "fake-gpu-root"
    for entry in os.listdir("/"):
        if entry not in ("sys", "proc", "dev") and not (root / entry).exists():
            root.mkdir(exist_ok=True)
            (root / entry).symlink_to(f"/{entry}")
    for entry in ("proc", "dev"):
        if not (root / entry).exists():
            (root / entry).symlink_to(f"/{entry}")
    devices = root / PCI_DEVICES
    devices.mkdir(parents=True, exist_ok=True)
    real = Path("/") / PCI_DEVICES
    for address in os.listdir(real) if real.is_dir() else []:
        if not (devices / address).exists():
            (devices / address).symlink_to(os.path.realpath(real / address))
    gpu = devices / FAKE_ADDRESS
    gpu.mkdir(exist_ok=True)
    for key, value in FAKE_GPU.items():
        (gpu / key).write_text(f"{value}\n", encoding="utf-8")
    return root


def main(root: str) -> int:
    from nvwizard.host import local

    class FakeGpuHost(local.LocalHost):
        def __init__(self) -> None:
            super().__init__(root=root)

    local.LocalHost = FakeGpuHost  # type: ignore[misc]  # what `detect` builds for this machine
    from nvwizard.cli.main import main as nvwizard

    return nvwizard(["detect", "--json"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
