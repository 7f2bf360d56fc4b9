"""Findings: what a careful sysadmin would notice before touching the driver.

One small function per finding; each returns a `Finding` or None. Ids are stable (scripts and
the wizard match on them); severities: `info` (worth knowing), `warn` (act or accept the
risk), `block` (the fix must happen before any driver change).

| id | severity | fires when |
| --- | --- | --- |
| no-nvidia-gpu | info | no NVIDIA GPU was found |
| nouveau-loaded | warn | the nouveau module is loaded on a machine with an NVIDIA GPU |
| secure-boot-dkms-only | warn | Secure Boot on, no signed modules for this kernel (or driver) |
| nvml-mismatch | warn | loaded module version differs from the installed libraries' |
| dpkg-interrupted | block | `dpkg --audit` reports problems or /var/lib/dpkg/updates is not empty |
| half-configured-packages | block | NVIDIA packages left unfinished (iF, iU, iH, iW, it) |
| dpkg-lock-held | warn | a process holds the dpkg/apt lock (named with its pid) |
| gpu-processes | warn | jobs use the GPU: a purge or driver change kills them (no GPU services) |
| reboot-required | warn | /var/run/reboot-required exists |
|   | info | ... only for NVIDIA packages whose driver is loaded already (`activate`) |
| kernel-older-than-installed | warn | a newer linux-image than the running kernel is installed |
| held-packages | warn | packages are on hold (`apt-mark showhold`) |
| mixed-driver-sources | warn | CUDA-repository packages or sources plus archive drivers |
| low-disk | warn | under 2 GiB free on / or /var |
| run-installer | block | a .run-installed driver is present (info when only its old log is) |
| open-impossible | info | a GPU cannot run the open modules (Maxwell/Pascal/Volta/older) |
| open-required | info | a GPU runs only the open kernel modules (Blackwell, Grace Hopper, newer) |
| over-ssh | info | nvwizard runs over SSH and a reboot lies ahead (a driver change, a reboot due) |
| loaded-driver-cannot-drive-gpu | block | the loaded module cannot drive a GPU (e.g. Blackwell) |
| gpu-fallen-off-bus | block | a GPU does not answer on the bus (`rev ff`, "GPU is lost") |
| gpus-missing-from-nvidia-smi | warn | nvidia-smi lists some GPUs but not every one on the bus |
| gpu-passthrough | info | a GPU is bound to vfio-pci or pci-stub (a VM's passthrough) |
| gpu-switched-off | info | a laptop's discrete GPU reads `rev ff` with no driver: switched off |
| gpu-rev-ff-unconfirmed | warn | `rev ff` where only NVIDIA devices were listed: lost or off? |
| every-driver-past-end-of-life | warn | every runnable driver offered is past its end of life |
| newer-than-known | info | a branch offered is newer than nvwizard's tables |
| headless-unknown | info | nothing shows whether the machine runs a desktop |
| debian-components-missing | warn | Debian: sources lack contrib, non-free or non-free-firmware |
| cuda-toolkit-newer-than-driver | warn | an installed CUDA toolkit needs a newer driver branch |
|   | info | ... that minor-version compatibility still runs, with its limits |
| cudnn-cuda-mismatch | warn | cuDNN is built for another CUDA major than the installed toolkit |
| container-toolkit-not-configured | warn | a container runtime has no nvidia runtime configured |
| gpu-hardware-errors | warn | kernel log: hardware Xids (48, 63, 64, 74, 79 answering again, 9x) |
| gsp-firmware-errors | warn | kernel log: GSP firmware Xids (119, 120) |
| gpu-application-errors | info | kernel log: programs' GPU faults (Xid 13, 31, 43, 45) |
| gpu-other-xid-errors | info | kernel log: Xids nvwizard's table does not know |
| driver-api-mismatch | warn | kernel log: API mismatch of the loaded module (else nvml-mismatch) |
| gpu-init-failed | warn | kernel log: `RmInitAdapter failed` |
| module-for-another-kernel | warn | kernel log: nvidia "disagrees about version of symbol" |
| unsigned-module-refused | warn | kernel log: Lockdown refused a module; nvidia not loaded |
| module-unsigned | info | kernel log: an nvidia module loaded unsigned (verification failed) |
| open-modules-refused-gpu | warn | kernel log: the open modules refused a GPU without GSP |

The kernel log's findings (kernel-log.txt, this boot) also strengthen others: its Xid 79 is
evidence for gpu-fallen-off-bus, its API mismatch for nvml-mismatch.

The checks live by subject: `gpu.py`, `bus.py`, `driver.py`, `system.py`, `advice.py`, `stack.py`,
`kernel_log.py`;
Debian's sources in report/debian.py.

To add a finding: a function `(report, facts) -> Finding | None` in the subject's module (a
fact it needs and the report lacks goes into facts.py's `ExtraFacts`), its name in `CHECKS`
below (the order findings are shown in), and its row in the table above; a test on a
realistic report where it fires and one where it does not.
"""

from __future__ import annotations

from collections.abc import Callable

from nvwizard.report.debian import components_missing
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings.advice import (
    every_driver_past_end_of_life,
    headless_unknown,
    newer_than_known,
)
from nvwizard.report.findings.bus import (
    gpu_fallen_off_bus,
    gpu_passthrough,
    gpu_rev_ff_unconfirmed,
    gpu_switched_off,
    gpus_missing_from_nvidia_smi,
)
from nvwizard.report.findings.common import by_hand, upstream_version
from nvwizard.report.findings.driver import (
    mixed_driver_sources,
    nvml_mismatch,
    run_installer,
    secure_boot_dkms_only,
)
from nvwizard.report.findings.gpu import (
    loaded_driver_cannot_drive_gpu,
    no_nvidia_gpu,
    nouveau_loaded,
    open_impossible,
    open_required,
)
from nvwizard.report.findings.kernel_log import (
    driver_api_mismatch,
    gpu_application_errors,
    gpu_hardware_errors,
    gpu_init_failed,
    gpu_other_xid_errors,
    gsp_firmware_errors,
    module_for_another_kernel,
    module_unsigned,
    open_modules_refused_gpu,
    unsigned_module_refused,
)
from nvwizard.report.findings.stack import (
    container_toolkit_not_configured,
    cuda_toolkit_newer_than_driver,
    cudnn_for_another_cuda_major,
)
from nvwizard.report.findings.system import (
    dpkg_interrupted,
    dpkg_lock_held,
    gpu_processes,
    half_configured_packages,
    held_packages,
    kernel_older_than_installed,
    low_disk,
    newest_installed_kernel,
    over_ssh,
    reboot_required,
)
from nvwizard.report.models import Finding, Report

__all__ = [
    "CHECKS",
    "find_all",
    "newest_installed_kernel",
    "upstream_version",
]


def debian_components_missing(report: Report, facts: ExtraFacts) -> Finding | None:
    # no NVIDIA GPU: nothing to install (a plan for a named driver still adds the components)
    if not report.has_nvidia_gpu:
        return None
    return components_missing(report.debian, lambda fix: by_hand(report, fix))


CHECKS: tuple[Callable[[Report, ExtraFacts], Finding | None], ...] = (
    no_nvidia_gpu,
    debian_components_missing,
    loaded_driver_cannot_drive_gpu,
    gpu_fallen_off_bus,
    gpu_rev_ff_unconfirmed,
    gpus_missing_from_nvidia_smi,
    gpu_hardware_errors,
    gsp_firmware_errors,
    gpu_init_failed,
    open_modules_refused_gpu,
    module_for_another_kernel,
    unsigned_module_refused,
    dpkg_interrupted,
    half_configured_packages,
    run_installer,
    nvml_mismatch,
    driver_api_mismatch,
    dpkg_lock_held,
    gpu_processes,
    secure_boot_dkms_only,
    mixed_driver_sources,
    held_packages,
    reboot_required,
    kernel_older_than_installed,
    low_disk,
    nouveau_loaded,
    open_impossible,
    open_required,
    gpu_passthrough,
    gpu_switched_off,
    over_ssh,
    every_driver_past_end_of_life,
    newer_than_known,
    headless_unknown,
    cuda_toolkit_newer_than_driver,
    cudnn_for_another_cuda_major,
    container_toolkit_not_configured,
    module_unsigned,
    gpu_application_errors,
    gpu_other_xid_errors,
)

_SEVERITY_ORDER = {"block": 0, "warn": 1, "info": 2}


def find_all(report: Report, facts: ExtraFacts | None = None) -> list[Finding]:
    """Every finding that fires, most severe first (stable within a severity)."""
    facts = facts or ExtraFacts()
    found = [f for check in CHECKS if (f := check(report, facts)) is not None]
    return sorted(found, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3))
