"""Findings from this boot's kernel log (kernel-log.txt, detect/kernel_log.py): Xid errors per
GPU, the module refused or failing, programs refused by a module of another version.

Xids are told apart by kind (knowledge/xid.py): hardware (memory, NVLink, a reset needed) and
GSP firmware errors warn; a program's own faults (13, 31, 43, 45) are only worth knowing: no
driver change helps them. Xid 79 is `gpu-fallen-off-bus`'s (bus.py) while the GPU is still
lost; once it answers again it is said here among the hardware errors. An API mismatch the
`nvml-mismatch` finding already says (driver.py) is said there, and one of a module since
reloaded not at all: the kernel log keeps the whole boot, also what is over.

Counts are what the log shows: where the kernel's rate limit or capture's size cap dropped
lines, the finding says the counts are a lower bound.
"""

from __future__ import annotations

from nvwizard.detect.kernel_log import KernelLog, XidEvent
from nvwizard.host.demo_advice import activate_command
from nvwizard.knowledge import secure_boot as sb
from nvwizard.knowledge.xid import XID_CATALOG, xid_meaning
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings.bus import FALLEN_OFF_BUS_XID, lost_gpus
from nvwizard.report.findings.common import api_mismatch_evidence, by_hand, times
from nvwizard.report.findings.driver import nvml_mismatch
from nvwizard.report.models import Finding, Report


def gpu_named(report: Report, address: str) -> str:
    """ "0000:3b:00.0 (A100 PCIe 80GB)", or the address alone for a GPU not detected."""
    gpu = next((g for g in report.gpus if g.pci_address == address), None)
    return f"{address} ({gpu.name})" if gpu and gpu.name else address


def _lower_bound(log: KernelLog) -> str:
    dropped = log.suppressed + log.left_out
    if not dropped:
        return ""
    return (
        f" (at least: {dropped} more lines were dropped by the kernel's rate limit or the size cap)"
    )


def _other_versions(log: KernelLog) -> str:
    left_out = log.gsp_xids_of_other_versions
    if not left_out:
        return ""
    return (
        f" ({left_out} more logged under another driver version, loaded earlier this boot, "
        "are left out)"
    )


def xid_line(report: Report, event: XidEvent) -> str:
    """ "Xid 48 x2 on 0000:3b:00.0 (A100 PCIe 80GB): double-bit ECC error (...)"."""
    meaning = xid_meaning(event.xid)
    said = meaning.meaning if meaning.kind != "other" else event.message or meaning.meaning
    who = (
        f" ({', '.join(event.processes)})"
        if meaning.kind == "application" and event.processes
        else ""
    )
    where = gpu_named(report, event.pci_address)
    return f"Xid {event.xid}{times(event.count)} on {where}: {said}{who}"


def _xids_of_kind(report: Report, kind: str, lost: set[str]) -> list[XidEvent]:
    log = report.kernel_log
    if log is None:
        return []
    return [
        x
        for x in log.xids
        if xid_meaning(x.xid).kind == kind
        # Xid 79 of a GPU still lost is gpu-fallen-off-bus's evidence
        and not (x.xid == FALLEN_OFF_BUS_XID and x.pci_address in lost)
    ]


def _advice(events: list[XidEvent]) -> str:
    codes = sorted({x.xid for x in events})
    return "; ".join(f"Xid {code}: {xid_meaning(code).advice}" for code in codes)


def _xid_finding(report: Report, facts: ExtraFacts, kind: str) -> Finding | None:
    """The finding of one kind of Xid (the table `_XID_KINDS` below names it)."""
    log = report.kernel_log
    if log is None or not log.xids:
        return None
    events = _xids_of_kind(report, kind, set(lost_gpus(report, facts)))
    if not events:
        return None
    finding_id, severity, subject, closing = _XID_KINDS[kind]
    listed = "; ".join(xid_line(report, x) for x in events)
    return Finding(
        finding_id,
        severity,
        f"This boot's kernel log shows {subject}: {listed}{_lower_bound(log)}"
        f"{_other_versions(log) if kind == 'gsp' else ''}.",
        f"{_advice(events)}. {closing(report)} (NVIDIA's Xid catalog: {XID_CATALOG})",
    )


def gpu_hardware_errors(report: Report, facts: ExtraFacts) -> Finding | None:
    return _xid_finding(report, facts, "hardware")


def gsp_firmware_errors(report: Report, facts: ExtraFacts) -> Finding | None:
    return _xid_finding(report, facts, "gsp")


def gpu_application_errors(report: Report, facts: ExtraFacts) -> Finding | None:
    return _xid_finding(report, facts, "application")


def gpu_other_xid_errors(report: Report, facts: ExtraFacts) -> Finding | None:
    return _xid_finding(report, facts, "other")


def _hardware_closing(report: Report) -> str:
    return "A driver install or change does not repair hardware."


def _gsp_closing(report: Report) -> str:
    module = report.loaded_module
    running = (
        "The open kernel modules running now always use the GSP firmware; "
        if module and module.flavor == "open"
        else "The open kernel modules always use the GSP firmware; "
    )
    return (
        running + "where the GPU allows it, the proprietary ones can run without it "
        "(`NVreg_EnableGpuFirmware=0`, the driver README's GSP Firmware chapter)."
    )


def _application_closing(report: Report) -> str:
    return "These are the programs' faults: nothing for the driver install to change."


def _other_closing(report: Report) -> str:
    return "nvwizard has no advice of its own for these codes."


# kind -> (finding id, severity, what the message calls them, the fix's closing words)
_XID_KINDS = {
    "hardware": ("gpu-hardware-errors", "warn", "GPU hardware errors", _hardware_closing),
    "gsp": ("gsp-firmware-errors", "warn", "GSP firmware errors", _gsp_closing),
    "application": (
        "gpu-application-errors",
        "info",
        "programs' GPU faults",
        _application_closing,
    ),
    "other": ("gpu-other-xid-errors", "info", "other Xid errors", _other_closing),
}


def driver_api_mismatch(report: Report, facts: ExtraFacts) -> Finding | None:
    """Programs refused by the loaded module (another version); said by nvml-mismatch when it
    fires, not at all for a module reloaded since."""
    evidence = api_mismatch_evidence(report)
    if not evidence or nvml_mismatch(report, facts) is not None:
        return None
    activate = activate_command(report.demo.name) if report.demo else "nvwizard activate"
    return Finding(
        "driver-api-mismatch",
        "warn",
        f"This boot's kernel log shows NVIDIA programs refused by the loaded kernel module ("
        f"{evidence}): the installed driver is not the one that runs, so nvidia-smi and CUDA "
        "fail until it is loaded.",
        "Reboot to load the installed module, or load it without a reboot where nothing holds "
        f"the old one ({facts.words.load_check.format(activate=activate)}).",
    )


def gpu_init_failed(report: Report, facts: ExtraFacts) -> Finding | None:
    log = report.kernel_log
    if log is None or not log.init_failures:
        return None
    listed = "; ".join(
        f"{gpu_named(report, f.pci_address) if f.pci_address else 'a GPU'}{times(f.count)}"
        + (f" ({f.code})" if f.code else "")
        for f in log.init_failures
    )
    look = by_hand(report, "`journalctl -k -b | grep -B3 RmInitAdapter` shows the lines before it")
    return Finding(
        "gpu-init-failed",
        "warn",
        f"This boot's kernel log shows the NVIDIA driver failing to initialise a GPU "
        f"(RmInitAdapter failed): {listed}.",
        f"{look}: `No firmware image found` means the GSP firmware of the loaded version is "
        "gone (its packages were upgraded): reboot into the installed version; a GPU fallen "
        "off the bus, short of power or refused by the open modules fails this way too.",
    )


def module_for_another_kernel(report: Report, facts: ExtraFacts) -> Finding | None:
    log = report.kernel_log
    if log is None or not log.symbol_mismatches:
        return None
    return Finding(
        "module-for-another-kernel",
        "warn",
        "This boot's kernel log shows the kernel refusing an NVIDIA module built for another "
        f"kernel ({', '.join(log.symbol_mismatches)}: disagrees about version of symbol).",
        by_hand(
            report,
            "Install the module for the running kernel: Canonical's signed "
            "`linux-modules-nvidia-<flavour>-$(uname -r)`, or a DKMS build (`sudo dkms "
            "autoinstall` with `linux-headers-$(uname -r)` installed); then load it or reboot.",
        ),
    )


def unsigned_module_refused(report: Report, facts: ExtraFacts) -> Finding | None:
    """Secure Boot's lockdown refused an unsigned module and no nvidia module runs."""
    log = report.kernel_log
    if log is None or not log.lockdown_refusals or report.loaded_module or not report.gpus:
        return None
    return Finding(
        "unsigned-module-refused",
        "warn",
        "This boot's kernel log shows the kernel refusing an unsigned module"
        f"{times(log.lockdown_refusals)} (Lockdown: unsigned module loading is restricted) "
        "and no nvidia module is loaded: "
        "Secure Boot rejects a DKMS-built NVIDIA module until its key is enrolled.",
        by_hand(
            report,
            f"Install Canonical's signed modules for this kernel where apt offers them, or "
            f"{sb.enrolment(report.os_id)}.",
        ),
    )


def module_unsigned(report: Report, facts: ExtraFacts) -> Finding | None:
    log = report.kernel_log
    if log is None or not log.unsigned_modules:
        return None
    return Finding(
        "module-unsigned",
        "info",
        f"The {', '.join(log.unsigned_modules)} module is not signed with a key this kernel "
        "trusts (module verification failed): it loaded because the kernel does not enforce "
        "module signatures now.",
        "Nothing to do while Secure Boot stays off; before turning it on, use Canonical's "
        "signed modules or enrol the DKMS key, or the module stops loading.",
    )


def open_modules_refused_gpu(report: Report, facts: ExtraFacts) -> Finding | None:
    log = report.kernel_log
    if log is None or not log.open_refused:
        return None
    listed = ", ".join(
        f"{gpu_named(report, r.pci_address)} (PCI ID {r.pci_id})" for r in log.open_refused
    )
    return Finding(
        "open-modules-refused-gpu",
        "warn",
        f"This boot's kernel log shows the open kernel modules refusing {listed}: it has no "
        "GSP (GPU System Processor), which they need (Maxwell, Pascal, Volta and older).",
        "Install a variant without -open (the proprietary kernel modules) and reboot.",
    )
