"""The honest texts behind the wizard's Select panel and the plan.

The fixed texts say what the variants and install kinds mean (per shared/DOMAIN.md, "Variants,
explained correctly"). `explain_candidate` turns them into paragraphs about one candidate on
this machine: its GPU, Secure Boot, kernel, headless state and NVSwitch fabric.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nvwizard.knowledge import branches
from nvwizard.knowledge.packages import parse_driver_package

if TYPE_CHECKING:  # the report layer sits above this one; only its types are used here
    from nvwizard.report.models import DriverCandidate, Report

OPEN_TEXT = (
    "-open uses NVIDIA's open-source (MIT/GPL) kernel modules. They need the GPU's GSP "
    "processor: Turing (GTX 16xx, RTX 20xx, T4) and newer. Maxwell, Pascal and Volta (GTX 9xx/"
    "10xx, P100, V100) cannot run them; Blackwell and Grace Hopper run nothing else. The "
    "user-space libraries are the same; only the kernel module differs."
)
PROPRIETARY_TEXT = (
    "Without -open you get NVIDIA's proprietary kernel modules: the only choice before Turing, "
    "impossible on Blackwell and Grace Hopper. The user-space libraries are the same as -open's."
)
SERVER_TEXT = (
    "-server is the Enterprise Ready Driver (ERD) packaging for servers and compute: the same "
    "driver version as the plain package, packaged and updated on NVIDIA's data-center cadence; "
    "fabric manager and NSCQ are packaged to match it. Ubuntu ships -server builds of new "
    "feature branches too (565-server, 575-server), so -server alone does not mean long-term "
    "support: the branch's designation says that."
)
DESKTOP_TEXT = (
    "Names without -server are the desktop (UDA) driver: the same hardware support, on NVIDIA's "
    "consumer release cadence."
)
HEADLESS_TEXT = (
    "Headless install: nvidia-headless-no-dkms-<flavour> (the compute stack, no X or desktop "
    "libraries) plus nvidia-utils-<branch> (nvidia-smi, which `ubuntu-drivers install --gpgpu` "
    "forgets) plus the kernel modules. This is what an SSH-only server wants."
)
DESKTOP_INSTALL_TEXT = (
    "Desktop install: nvidia-driver-<flavour>, the full driver with the X and Wayland "
    "libraries and nvidia-settings, plus the kernel modules."
)
SIGNED_TEXT = (
    "Canonical's precompiled, signed modules (linux-modules-nvidia-<flavour>-<kernel>) load "
    "under Secure Boot with no key to enroll, and need no compiler or headers."
)
DKMS_TEXT = (
    "DKMS (nvidia-dkms-<flavour>) builds the module on this machine for each kernel: it needs "
    "linux-headers for the kernel, and under Secure Boot a Machine Owner Key (MOK) that must be "
    "enrolled at the console on the next boot. Over SSH alone that is impossible."
)
# Debian (knowledge/debian.py): other names, and DKMS is the only way to get the module.
DEBIAN_OPEN_TEXT = (
    "nvidia-open-kernel-dkms builds NVIDIA's open-source (MIT/GPL) kernel modules of the same "
    "branch as nvidia-driver. They need the GPU's GSP processor: Turing (GTX 16xx, RTX 20xx, "
    "T4) and newer. The user-space libraries are the same; only the kernel module differs."
)
DEBIAN_TESLA_TEXT = (
    "nvidia-tesla-<branch>-driver is Debian's packaging of NVIDIA's data-center (Tesla) "
    "branches, for servers and compute; its parts carry the family in their names "
    "(nvidia-tesla-535-kernel-dkms, nvidia-tesla-535-smi, libnvidia-tesla-535-cuda1)."
)
DEBIAN_DESKTOP_TEXT = (
    "nvidia-driver is Debian's current driver, one branch per Debian release (535 in Debian "
    "12); nvidia-legacy-<branch>xx-driver serves older GPUs."
)
DEBIAN_HEADLESS_TEXT = (
    "Headless install: the kernel module (nvidia-kernel-dkms or the family's), nvidia-smi, "
    "libcuda1, nvidia-persistenced and the GSP firmware, each in the chosen family's name, "
    "with --no-install-recommends: no X server or desktop libraries."
)
DEBIAN_DESKTOP_INSTALL_TEXT = (
    "Desktop install: the nvidia-driver (or nvidia-tesla-<branch>-driver) metapackage, the "
    "full driver with the X driver, GL libraries and the kernel module built by DKMS."
)
DEBIAN_DKMS_TEXT = (
    "Debian has no precompiled NVIDIA modules: DKMS builds the module here for each kernel, "
    "from the kernel's headers (nvwizard adds linux-headers-<kernel> and the headers "
    "metapackage). Under Secure Boot, Debian's DKMS signs it with its own Machine Owner Key "
    "(/var/lib/dkms/mok.key), which must be enrolled once: `mokutil --import "
    "/var/lib/dkms/mok.pub`, then confirm at the console on the next boot. Over SSH alone that "
    "is impossible."
)
SUPPORT_TEXT = (
    "A PB (production branch) gets fixes for a year, an LTSB (long-term support branch) for "
    "three; an NFB (new feature branch) has no end-of-life date and ends when the next "
    "production or long-term branch ships. Ubuntu (not Debian) turns a branch past its end of "
    "life into transitional packages that pull in a newer branch."
)


@dataclass(frozen=True)
class Paragraph:
    title: str
    text: str
    severity: str = "info"  # info, warn, block (as findings)


def _gpu_label(report: Report) -> str:
    if not report.gpus:
        return "this machine"
    gpu = report.gpus[0]
    name = gpu.name or f"device {gpu.device_id}"
    return f"the {name} ({gpu.architecture})"


def _modules_paragraph(candidate: DriverCandidate, report: Report) -> Paragraph:
    gpu = _gpu_label(report)
    gpu = gpu[0].upper() + gpu[1:]
    open_text = DEBIAN_OPEN_TEXT if _is_debian(report) else OPEN_TEXT
    title, text = (
        ("Open kernel modules", open_text)
        if candidate.open
        else ("Proprietary kernel modules", PROPRIETARY_TEXT)
    )
    if _gpus_run_the_modules(candidate, report):
        return Paragraph(title, f"{text} {gpu} runs them.")
    return Paragraph(title, f"{text} {gpu} cannot run them.", "block")


def _gpus_run_the_modules(candidate: DriverCandidate, report: Report) -> bool:
    """Whether the GPUs run this kind of kernel module: a candidate can be impossible for
    another reason (its branch, or on Debian open modules apt cannot install today)."""
    if not report.gpus:
        return candidate.runnable
    if candidate.open:
        return all(g.open_kernel != "unsupported" for g in report.gpus)
    return all(g.open_kernel != "required" for g in report.gpus)


def _is_debian(report: Report) -> bool:
    return report.os_id == "debian"


def _build_paragraph(candidate: DriverCandidate, report: Report) -> Paragraph:
    if candidate.server and _is_debian(report):
        return Paragraph("Data-center build (Tesla)", DEBIAN_TESLA_TEXT)
    if candidate.server:
        return Paragraph("Data-center build (-server)", SERVER_TEXT)
    text = DEBIAN_DESKTOP_TEXT if _is_debian(report) else DESKTOP_TEXT
    severity = "info"
    if report.nvswitch_count:
        text += (
            f" This machine has {report.nvswitch_count} NVSwitch bridge(s): it needs "
            f"nvidia-fabricmanager-{candidate.branch} at exactly the driver's version, which "
            "the -server branches are made for."
        )
        severity = "warn"
    return Paragraph("Desktop build", text, severity)


def _install_paragraph(report: Report) -> Paragraph:
    debian = _is_debian(report)
    text = DEBIAN_HEADLESS_TEXT if debian else HEADLESS_TEXT
    if report.headless is None:
        return Paragraph(
            "Headless install (assumed)",
            "Nothing shows whether this machine runs a desktop, so nvwizard assumed a headless "
            f"server; untick Headless for the desktop driver. {text}",
            "warn",
        )
    if report.headless:
        return Paragraph("Headless install", text)
    return Paragraph(
        "Desktop install", DEBIAN_DESKTOP_INSTALL_TEXT if debian else DESKTOP_INSTALL_TEXT
    )


def _kernel_modules_paragraph(candidate: DriverCandidate, report: Report) -> Paragraph:
    driver = parse_driver_package(candidate.package)
    kernel = report.kernel
    if driver and kernel:
        signed = driver.signed_modules_for_kernel(kernel)
        if signed in report.signed_modules_available:
            return Paragraph(
                "Signed modules", f"{SIGNED_TEXT} {signed} exists for kernel {kernel}."
            )
    where = f"kernel {kernel}" if kernel else "the running kernel"
    if _is_debian(report):
        text = DEBIAN_DKMS_TEXT
    else:
        text = f"No signed precompiled modules are offered for {where}. {DKMS_TEXT}"
    if report.secure_boot == "enabled":
        extra = " Secure Boot is ON here"
        extra += (
            ": you are on SSH, so plan console or BMC access first." if report.over_ssh else "."
        )
        return Paragraph("DKMS under Secure Boot", text + extra, "warn")
    return Paragraph("DKMS-built modules", text)


def _branch_paragraph(candidate: DriverCandidate, today: dt.date | None) -> Paragraph:
    parts = []
    if candidate.support:
        name = branches.DESIGNATION_NAMES.get(candidate.support, candidate.support)
        parts.append(f"Branch {candidate.branch} is a {name} ({candidate.support}).")
    else:
        parts.append(f"Branch {candidate.branch} has no published support designation.")
    severity = "info"
    if candidate.end_of_life and branches.is_end_of_life(candidate.end_of_life, today):
        parts.append(f"It reached its end of life in {candidate.end_of_life}.")
        severity = "warn"
    elif candidate.lifecycle == "superseded":
        parts.append(
            f"Branch {candidate.superseded_by} (production or long-term) replaced it: NVIDIA "
            "no longer fixes it."
        )
        severity = "warn"
    elif candidate.end_of_life:
        parts.append(f"Supported until {candidate.end_of_life}.")
    elif candidate.lifecycle == "current":
        parts.append("It is current until the next production or long-term branch ships.")
    cuda = branches.cuda_words(candidate.branch, candidate.cuda)
    if cuda:
        parts.append(cuda)
    if candidate.transitional_to:
        parts.append(
            f"It is a transitional package: installing it installs {candidate.transitional_to}."
        )
        severity = "warn"
    parts.append(SUPPORT_TEXT)
    return Paragraph("Support and end of life", " ".join(parts), severity)


def explain_candidate(
    candidate: DriverCandidate, report: Report, today: dt.date | None = None
) -> list[Paragraph]:
    """Paragraphs about this candidate on this machine, the most important first."""
    paragraphs = []
    if not candidate.runnable:
        paragraphs.append(
            Paragraph("Cannot run here", f"{candidate.package}: {candidate.reason}.", "block")
        )
    paragraphs += [
        _modules_paragraph(candidate, report),
        _build_paragraph(candidate, report),
        _install_paragraph(report),
        _kernel_modules_paragraph(candidate, report),
        _branch_paragraph(candidate, today),
    ]
    return paragraphs
