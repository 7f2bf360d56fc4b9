"""What each driver candidate means on this machine, in paragraphs for the Select panel:
its kernel modules and this GPU, its build, the install kind, how its module is built or
signed here (Secure Boot, kernel), its branch's support. The fixed texts are knowledge's
(knowledge/explanations.py); this layer fits them to the report.
"""

from __future__ import annotations

from nvwizard.detect.debversion import upstream_part, version_key
from nvwizard.knowledge import branches
from nvwizard.knowledge.explanations import (
    DEBIAN_DESKTOP_INSTALL_TEXT,
    DEBIAN_DESKTOP_TEXT,
    DEBIAN_DKMS_TEXT,
    DEBIAN_HEADLESS_TEXT,
    DEBIAN_OPEN_TEXT,
    DEBIAN_TESLA_TEXT,
    DESKTOP_INSTALL_TEXT,
    DESKTOP_TEXT,
    DKMS_TEXT,
    HEADLESS_TEXT,
    OPEN_TEXT,
    PROPRIETARY_TEXT,
    SERVER_TEXT,
    SIGNED_TEXT,
    SUPPORT_TEXT,
    Paragraph,
)
from nvwizard.knowledge.packages import parse_driver_package
from nvwizard.report.models import DriverCandidate, Report


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
    if report.assumes_headless:
        return Paragraph(
            "Headless install (assumed)",
            "Nothing shows whether this machine runs a desktop, so nvwizard assumed a headless "
            f"server; untick Headless for the desktop driver. {text}",
            "warn",
        )
    if report.ranked_headless:
        return Paragraph("Headless install", text)
    return Paragraph(
        "Desktop install", DEBIAN_DESKTOP_INSTALL_TEXT if debian else DESKTOP_INSTALL_TEXT
    )


def _kernel_modules_paragraph(candidate: DriverCandidate, report: Report) -> Paragraph:
    driver = parse_driver_package(candidate.package)
    kernel = report.kernel
    signed = driver.signed_modules_for_kernel(kernel) if driver and kernel else None
    if signed in report.signed_modules_available:
        return Paragraph("Signed modules", f"{SIGNED_TEXT} {signed} exists for kernel {kernel}.")
    where = f"kernel {kernel}" if kernel else "the running kernel"
    if _is_debian(report):
        text = DEBIAN_DKMS_TEXT
    else:
        # this candidate's: other branches may well have them for this kernel
        missing = f" (apt has no {signed})" if signed else ""
        text = (
            f"No signed precompiled modules are offered for {candidate.flavour} on {where}"
            f"{missing}. {DKMS_TEXT}"
        )
    if report.secure_boot == "enabled":
        extra = " Secure Boot is ON here"
        extra += (
            ": you are on SSH, so plan console or BMC access first." if report.over_ssh else "."
        )
        return Paragraph("DKMS under Secure Boot", text + extra, "warn")
    return Paragraph("DKMS-built modules", text)


def _version_paragraph(candidate: DriverCandidate, report: Report) -> Paragraph | None:
    """The version apt would install and, where another build of the same branch that can
    run here is newer, that one: it carries later fixes (bookworm's security updates move
    nvidia-driver, not nvidia-tesla-535-driver)."""
    if not candidate.version:
        return None
    text = f"apt installs {candidate.package} {candidate.version}."
    mine = upstream_part(candidate.version)
    newer = [
        c
        for c in report.driver_candidates
        if c.branch == candidate.branch
        and c.runnable
        and c.version
        and version_key(upstream_part(c.version)) > version_key(mine)
    ]
    if not newer:
        return Paragraph("Version", text)
    best = max(newer, key=lambda c: version_key(upstream_part(c.version or "")))
    return Paragraph(
        "Version",
        f"{text} {best.package} {best.version}, of the same branch, is a newer build: it "
        "carries NVIDIA's later fixes.",
        "warn",
    )


def _branch_paragraph(candidate: DriverCandidate) -> Paragraph:
    """Its designation and lifecycle, as the report judged them on its day."""
    parts = []
    if candidate.support:
        name = branches.DESIGNATION_NAMES.get(candidate.support, candidate.support)
        parts.append(f"Branch {candidate.branch} is a {name} ({candidate.support}).")
    else:
        parts.append(f"Branch {candidate.branch} has no published support designation.")
    severity = "info"
    if candidate.lifecycle == "ended":
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


def explain_candidate(candidate: DriverCandidate, report: Report) -> list[Paragraph]:
    """Paragraphs about this candidate on this machine, the most important first."""
    paragraphs = []
    if not candidate.runnable:
        paragraphs.append(
            Paragraph("Cannot run here", f"{candidate.package}: {candidate.reason}.", "block")
        )
    paragraphs += [_modules_paragraph(candidate, report), _build_paragraph(candidate, report)]
    version = _version_paragraph(candidate, report)
    paragraphs += [version] if version is not None else []
    paragraphs += [
        _install_paragraph(report),
        _kernel_modules_paragraph(candidate, report),
        _branch_paragraph(candidate),
    ]
    return paragraphs
