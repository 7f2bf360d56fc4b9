"""What a plan installs on Debian, where every driver family has its own package names.

Debian builds the kernel modules with DKMS, always: there are no precompiled, signed module
packages like Ubuntu's linux-modules-nvidia-*. Under Secure Boot, Debian's DKMS signs the
module with its own Machine Owner Key (/var/lib/dkms/mok.key), which must be enrolled once
with `mokutil --import` and confirmed at the next boot on the console.

- headless (compute): the kernel modules (`nvidia-kernel-dkms`, `nvidia-open-kernel-dkms` or
  the Tesla family's), `nvidia-smi`, `libcuda1`, `libnvidia-cfg1` and `nvidia-persistenced`
  (each in the chosen family's name), the GSP firmware for
  GPUs that have a GSP, and the headers of the running kernel plus the headers metapackage,
  so DKMS can build for the next kernel too;
- desktop: the family's metapackage (`nvidia-driver`, `nvidia-tesla-535-driver`), with the
  open kernel modules named first when chosen (apt then takes them for the metapackage's
  `nvidia-kernel-dkms | nvidia-open-kernel-<version>` dependency), plus the headers.
"""

from __future__ import annotations

from nvwizard.knowledge.debian import PERSISTENCED, DebianDriver, headers_meta
from nvwizard.plan.models import Choices
from nvwizard.report.models import Report

MOK_WARNING = (
    "Secure Boot is on and Debian builds the module with DKMS: it is signed with DKMS's "
    "Machine Owner Key (/var/lib/dkms/mok.key), which must be enrolled once (`mokutil --import "
    "/var/lib/dkms/mok.pub`, then confirm at the next boot on the console or BMC). This cannot "
    "be done over SSH alone; without it the driver will not load."
)


def _needs_gsp_firmware(report: Report, driver: DebianDriver) -> bool:
    """The open modules always run on the GSP; the proprietary ones use it on Turing+."""
    if not driver.has_gsp_firmware:
        return False
    if driver.open or not report.gpus:
        return True
    return any(g.open_kernel in ("supported", "required") for g in report.gpus)


def _headers(report: Report, warnings: list[str]) -> list[str]:
    if not report.kernel:
        warnings.append(
            "The running kernel is unknown: add its linux-headers package, DKMS needs it."
        )
        return []
    meta = headers_meta(report.kernel)
    return [f"linux-headers-{report.kernel}"] + ([meta] if meta else [])


def debian_install_lists(
    report: Report, choices: Choices, driver: DebianDriver
) -> tuple[list[str], list[str], str]:
    """(packages, warnings, why of the install step) for a Debian driver."""
    warnings: list[str] = []
    if choices.headless:
        # persistenced depends on `libnvidia-cfg1 | ... | libnvidia-cfg1-any`: naming the
        # family's library first keeps apt from pulling the current family's beside a Tesla one
        packages = [driver.kernel_dkms, driver.smi, driver.cuda_library, driver.cfg_library]
        packages.append(PERSISTENCED)
        if _needs_gsp_firmware(report, driver):
            packages.append(driver.gsp_firmware)
    elif driver.open:
        packages = [driver.kernel_dkms, driver.metapackage]
    else:
        packages = [driver.metapackage]
    packages += _headers(report, warnings)
    if report.secure_boot == "enabled":
        warnings.append(MOK_WARNING)
    why = (
        f"Debian has no precompiled NVIDIA modules: DKMS builds {driver.kernel_dkms} for kernel "
        f"{report.kernel or '(unknown)'} (and, with the headers metapackage, for each new "
        "kernel); under Secure Boot the module is signed with DKMS's key, enrolled at the next "
        "boot on the console."
    )
    return packages, warnings, why
