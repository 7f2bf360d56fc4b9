"""Findings about the GPUs: none found, nouveau, which kernel modules they can run."""

from __future__ import annotations

from nvwizard.host.demo_advice import activate_command
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings.common import by_hand
from nvwizard.report.models import Finding, Report


def no_nvidia_gpu(report: Report, facts: ExtraFacts) -> Finding | None:
    if report.gpus:
        return None
    return Finding(
        "no-nvidia-gpu",
        "info",
        "No NVIDIA GPU was found on this machine.",
        "Nothing to install. "
        + by_hand(report, "Check `lspci -nn | grep -i nvidia` if a GPU should be present."),
    )


def nouveau_loaded(report: Report, facts: ExtraFacts) -> Finding | None:
    if not (report.nouveau_loaded and report.gpus):
        return None
    activate = activate_command(report.demo.name) if report.demo else "nvwizard activate"
    return Finding(
        "nouveau-loaded",
        "warn",
        "The open-source nouveau driver is loaded and holds the GPU.",
        "The NVIDIA packages blacklist nouveau: after the install, reboot, or load the new "
        "driver without a reboot where nothing holds nouveau "
        f"({facts.words.load_check.format(activate=activate)}).",
    )


def open_impossible(report: Report, facts: ExtraFacts) -> Finding | None:
    gpus = [g for g in report.gpus if g.open_kernel == "unsupported"]
    if not gpus:
        return None
    gpu = gpus[0]
    return Finding(
        "open-impossible",
        "info",
        f"The {gpu.name or gpu.device_id} ({gpu.architecture}) cannot run the open kernel "
        "modules: they need the GSP of Turing or newer.",
        "Choose a variant without -open; nvwizard never proposes an -open one here.",
    )


def open_required(report: Report, facts: ExtraFacts) -> Finding | None:
    gpus = [g for g in report.gpus if g.open_kernel == "required"]
    if not gpus:
        return None
    gpu = gpus[0]
    return Finding(
        "open-required",
        "info",
        f"The {gpu.name or gpu.device_id} ({gpu.architecture}) runs only the open kernel modules.",
        "Choose an -open variant; the proprietary ones cannot drive this GPU.",
    )


def _module_words(flavor: str | None) -> str:
    return {"open": "open", "proprietary": "proprietary"}.get(flavor or "", "NVIDIA")


def loaded_driver_cannot_drive_gpu(report: Report, facts: ExtraFacts) -> Finding | None:
    """A loaded NVIDIA module of the flavour the GPU cannot use (e.g. proprietary on Blackwell).

    The module loads, but binds no GPU: nvidia-smi says "No devices were found". Replacing it
    with the flavour the GPU needs is the fix, so it blocks any other change until chosen.
    """
    module = report.loaded_module
    if module is None or not report.gpus:
        return None
    if module.flavor == "proprietary":
        stuck = [g for g in report.gpus if g.open_kernel == "required"]
        needed = "the open kernel modules (an -open variant)"
    elif module.flavor == "open":
        stuck = [g for g in report.gpus if g.open_kernel == "unsupported"]
        needed = "the proprietary kernel modules (a variant without -open)"
    else:
        stuck = []
    smi = report.nvidia_smi
    if not stuck and smi is not None and smi.status == "no-devices":
        stuck, needed = list(report.gpus), "a driver that supports it"
    if not stuck:
        return None
    gpu = stuck[0]
    name = gpu.name or f"device {gpu.device_id or gpu.pci_address}"
    version = f" {module.version}" if module.version else ""
    seen = "No devices were found" if smi and smi.status == "no-devices" else "no GPU"
    choice = f" such as {report.recommended_driver}" if report.recommended_driver else ""
    return Finding(
        "loaded-driver-cannot-drive-gpu",
        "block",
        f"The loaded {_module_words(module.flavor)} NVIDIA module{version} cannot drive the "
        f"{name} ({gpu.architecture}), which needs {needed}; the GPU is unused "
        f"(nvidia-smi: {seen}).",
        f"Install a driver it can run{choice}: nvwizard's plan purges the installed driver "
        "packages first; then reboot.",
    )
