"""Hand-made detection reports for plan tests (the demo machines cover the real pipeline)."""

from __future__ import annotations

from nvwizard.detect.models import DpkgEntry, GpuProcess, LockHolder
from nvwizard.report.models import DriverCandidate, Gpu, Report

KERNEL = "6.8.0-45-generic"


def candidate(package: str, runnable: bool = True, reason: str | None = None) -> DriverCandidate:
    flavour = package.removeprefix("nvidia-driver-")
    return DriverCandidate(
        package=package,
        branch=int(flavour[:3]),
        open="open" in flavour,
        server="server" in flavour,
        recommended=False,
        source="distro",
        runnable=runnable,
        reason=reason,
    )


def installed(*names: str, state: str = "ii") -> list[DpkgEntry]:
    return [DpkgEntry(name=n, version="535.247.01-0ubuntu0.24.04.1", state=state) for n in names]


OLD_DRIVER = (
    "nvidia-driver-535-server",
    "nvidia-utils-535-server",
    "libnvidia-compute-535-server",
    "nvidia-kernel-common-535-server",
    "nvidia-dkms-535-server",
)
CONTAINER = ("nvidia-container-toolkit", "nvidia-container-toolkit-base", "libnvidia-container1")


def hopper_server(**changes) -> Report:
    """An HGX H100 board with the old 535-server driver, fabric manager and the toolkit."""
    report = Report(
        os="Ubuntu 24.04.1 LTS",
        os_id="ubuntu",
        os_version="24.04",
        kernel=KERNEL,
        gpus=[
            Gpu(f"0000:{n:02x}:00.0", "2330", "H100 SXM5 80GB", "Hopper", "supported", "GH100")
            for n in (0x18, 0x2A)
        ],
        nvswitch_count=4,
        driver_candidates=[
            candidate("nvidia-driver-580-server-open"),
            candidate("nvidia-driver-580-server"),
            candidate("nvidia-driver-535-server"),
        ],
        recommended_driver="nvidia-driver-580-server-open",
        installed_packages=installed(
            *OLD_DRIVER,
            *CONTAINER,
            "nvidia-fabricmanager-535",
            "libnvidia-nscq-535",
            "bash",
        ),
        secure_boot="disabled",
        headless=True,
        signed_modules_available=[
            f"linux-modules-nvidia-580-server-open-{KERNEL}",
            "linux-modules-nvidia-580-server-open-generic",
        ],
        source="demo hgx-h100",
    )
    for key, value in changes.items():
        setattr(report, key, value)
    return report


def pascal_secure_boot(**changes) -> Report:
    report = Report(
        os="Ubuntu 22.04.4 LTS",
        os_id="ubuntu",
        os_version="22.04",
        kernel="5.15.0-91-generic",
        gpus=[Gpu("0000:01:00.0", "1b80", "GeForce GTX 1080", "Pascal", "unsupported", "GP104")],
        driver_candidates=[
            candidate("nvidia-driver-580"),
            candidate(
                "nvidia-driver-580-open",
                runnable=False,
                reason="Pascal GPUs cannot use the open kernel modules",
            ),
        ],
        recommended_driver="nvidia-driver-580",
        secure_boot="enabled",
        headless=False,
        source="demo gtx1080-secureboot",
    )
    for key, value in changes.items():
        setattr(report, key, value)
    return report


__all__ = ["GpuProcess", "LockHolder", "hopper_server", "pascal_secure_boot", "installed"]
