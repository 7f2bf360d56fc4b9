"""The demo machines shipped inside the package (nvwizard/demo_machines/<name>/): the list.

Each is a capture bundle of a realistic machine; `--demo NAME` reads one, and the wizard can
"install" on it through its simulated machine without touching anything real. The host for a
demo, with that machine, is built by nvwizard/simulator/select.py (`demo_host`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nvwizard.errors import UsageError, shown

DEMO_ROOT = Path(__file__).resolve().parent.parent / "demo_machines"
# How a demo machine's host label starts: "demo hgx-h100", "demo hgx-h100 (after your changes: ...)"
# (simulator/select.py makes it; applies and verify results record it).
DEMO_LABEL = "demo "


@dataclass(frozen=True)
class Demo:
    name: str
    title: str
    description: str

    @property
    def path(self) -> Path:
        return DEMO_ROOT / self.name


DEMOS: list[Demo] = [
    Demo(
        "hgx-h100",
        "HGX H100 8-GPU server (Ubuntu 24.04)",
        "8x H100 SXM5 + 4 NVSwitch, old 535-server driver and fabric manager, CUDA 12.2 and "
        "cuDNN from NVIDIA's repository, Docker with the container toolkit, a training job "
        "running, over SSH",
    ),
    Demo(
        "rtx3090-fresh",
        "Fresh RTX 3090 server (Ubuntu 22.04)",
        "no NVIDIA driver installed, nouveau loaded (the console is on the BMC's VGA, so the "
        "new driver loads without a reboot), Docker without the container toolkit",
    ),
    Demo(
        "gtx1080-secureboot",
        "GTX 1080 with Secure Boot (Ubuntu 22.04)",
        "Pascal: open modules impossible; Secure Boot on, signed modules only for some branches",
    ),
    Demo(
        "rtx5090-workstation",
        "RTX 5090 workstation (Ubuntu 24.04 desktop)",
        "Blackwell: open modules only; a display manager is running",
    ),
    Demo(
        "nvml-mismatch",
        "A100 after an unattended upgrade (Ubuntu 22.04)",
        "module 550.127.05 loaded, libraries upgraded to 550.163.01: nvidia-smi fails, "
        "reboot pending",
    ),
    Demo(
        "debian12-t4",
        "Tesla T4 on Debian 12",
        "no ubuntu-drivers: candidates are Debian's own driver packages, from apt (bookworm's "
        "real archive); the open modules lag the driver's security update",
    ),
    Demo(
        "debian13-l4",
        "NVIDIA L4 server on Debian 13",
        "trixie: Debian's 550 driver, its open modules and the Tesla 535 family, from trixie's "
        "real archive; DKMS for the 6.12+deb13 kernel",
    ),
    Demo(
        "vm-no-gpu",
        "Cloud VM without a GPU (Ubuntu 24.04)",
        "virtio and bochs devices only: nothing to install",
    ),
]


def default_demo_name() -> str:
    return "hgx-h100"


def demo_names() -> list[str]:
    return [d.name for d in DEMOS]


def find_demo(name: str) -> Demo:
    for demo in DEMOS:
        if demo.name == name:
            return demo
    raise UsageError(
        f"unknown demo machine {shown(name)!r}; choose one of: {', '.join(demo_names())}"
    )


def demo_name(label: str | None) -> str | None:
    """The demo machine a host label names ("demo hgx-h100 (after ...)" -> "hgx-h100")."""
    if not label or not label.startswith(DEMO_LABEL):
        return None
    return label[len(DEMO_LABEL) :].split(" (", 1)[0].strip() or None
