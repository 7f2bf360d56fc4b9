"""Findings about GPUs on the PCI bus that the driver cannot use: one that fell off the bus,
one nvidia-smi does not list beside the others, one a virtual machine's passthrough holds.

The evidence is what detection captures: lspci's `(rev ff)` or sysfs-pci's `revision=0xff`
(the config space reads all ones), the kernel driver bound to each GPU, nvidia-smi's
"Unable to determine the device handle for GPU <address>: GPU is lost" lines, and this boot's
kernel log: Xid 79 "GPU has fallen off the bus", or the driver's "has fallen off the bus"
without an Xid. The log adds to the other evidence; alone it counts while nothing shows the
GPU answering again (nvidia-smi listing it, its revision read): once it does, the Xid is
said among the hardware errors (kernel_log.py), not here. A laptop switches its discrete GPU
off to save power (bbswitch, PRIME) and lspci then shows `rev ff` too: with no driver bound
and an Intel or AMD display controller beside it, that is said as a switched-off GPU, not a
fault.
"""

from __future__ import annotations

from nvwizard.detect.lspci import normalise_pci_address
from nvwizard.detect.models import PciDevice
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings.common import by_hand, times
from nvwizard.report.models import Finding, Gpu, Report

# drivers that hold a GPU for a virtual machine on purpose
PASSTHROUGH_DRIVERS = ("vfio-pci", "pci-stub")
# the vendors of laptops' integrated GPUs (Intel, AMD); a server BMC's display (ASPEED,
# Matrox) is no sign of hybrid graphics
_INTEGRATED_GPU_VENDORS = ("8086", "1002")
_ALL_ONES = "ff"
FALLEN_OFF_BUS_XID = 79


def _named(gpu: Gpu) -> str:
    return f"{gpu.pci_address} ({gpu.name})" if gpu.name else gpu.pci_address


def _hybrid_graphics(devices: list[PciDevice]) -> bool:
    return any(
        d.vendor_id in _INTEGRATED_GPU_VENDORS and (d.class_code or "").startswith("03")
        for d in devices
    )


def switched_off(gpu: Gpu, facts: ExtraFacts) -> bool:
    """`rev ff` on a laptop's discrete GPU that no driver holds: switched off to save power."""
    return (
        gpu.revision == _ALL_ONES
        and gpu.driver_in_use is None
        and _hybrid_graphics(facts.pci_devices)
    )


def _only_nvidia_listed(facts: ExtraFacts) -> bool:
    """The device listing has NVIDIA devices alone: a paste filtered through `grep -i nvidia`
    (a whole lspci, and sysfs, list the host bridge and the rest), which hides whether
    integrated graphics sit beside the GPU, and grep drops `-k`'s driver lines too."""
    return bool(facts.pci_devices) and all(d.vendor_id == "10de" for d in facts.pci_devices)


def unconfirmed(gpu: Gpu, facts: ExtraFacts) -> bool:
    """`rev ff` on a GPU no driver is seen to hold, in a listing filtered to NVIDIA devices:
    no evidence either way (a laptop's switched-off GPU reads the same)."""
    return gpu.revision == _ALL_ONES and gpu.driver_in_use is None and _only_nvidia_listed(facts)


def lost_gpus(report: Report, facts: ExtraFacts) -> dict[str, str]:
    """The GPUs that fell off the bus, by address, each with the evidence."""
    lost: dict[str, str] = {}
    for gpu in report.gpus:
        if gpu.revision != _ALL_ONES or switched_off(gpu, facts) or unconfirmed(gpu, facts):
            continue
        lost[gpu.pci_address] = "lspci: rev ff, its config space reads all ones"
    smi = report.nvidia_smi
    for unreachable in smi.unreachable if smi else ():
        if unreachable.lost:
            lost.setdefault(unreachable.address, "nvidia-smi: GPU is lost")
    for address, logged in _logged_off_bus(report).items():
        if address in lost:
            lost[address] += f"; {logged}"
        elif not _answers_now(report, address):
            lost[address] = logged
    return lost


def _logged_off_bus(report: Report) -> dict[str, str]:
    """The GPUs this boot's kernel log shows falling off the bus, each with its words."""
    log = report.kernel_log
    if log is None:
        return {}
    logged = {
        x.pci_address: f"kernel log: Xid 79{times(x.count)} (GPU has fallen off the bus)"
        for x in log.xids
        if x.xid == FALLEN_OFF_BUS_XID
    }
    for address in log.fallen_off_bus:
        logged.setdefault(address, "kernel log: has fallen off the bus")
    return logged


def _answers_now(report: Report, address: str) -> bool:
    """The GPU answers on the bus now: nvidia-smi lists it, or its revision reads (not ff)."""
    gpu = next((g for g in report.gpus if g.pci_address == address), None)
    if gpu is not None and gpu.revision not in (None, _ALL_ONES):
        return True
    listed = _listed_addresses(report)
    return listed is not None and address in listed


def gpu_fallen_off_bus(report: Report, facts: ExtraFacts) -> Finding | None:
    """A GPU that does not answer on the bus. No driver brings it back, so it blocks any driver
    change: the reboot into a new driver would hide the fault, not fix it."""
    lost = lost_gpus(report, facts)
    if not lost:
        return None
    names = {g.pci_address: _named(g) for g in report.gpus}
    listed = "; ".join(f"{names.get(a, a)}, {evidence}" for a, evidence in lost.items())
    subject = "A GPU has" if len(lost) == 1 else f"{len(lost)} GPUs have"
    logged = report.kernel_log is not None
    log = by_hand(
        report,
        "`journalctl -k | grep -iE 'xid|fallen off'` shows "
        + ("what else the kernel said" if logged else "when (Xid 79)"),
    )
    return Finding(
        "gpu-fallen-off-bus",
        "block",
        f"{subject} fallen off the PCI bus: {listed}.",
        "Installing or reinstalling a driver cannot bring it back, and a warm reboot often does "
        "not: power the machine off and on (a cold boot, or a power cycle from its BMC), then "
        "detect again before changing the driver. If it falls off again, it is hardware: "
        f"reseat the card and its power cables, check the power supply and cooling; {log}.",
    )


def gpu_switched_off(report: Report, facts: ExtraFacts) -> Finding | None:
    gpus = [g for g in report.gpus if switched_off(g, facts)]
    if not gpus:
        return None
    return Finding(
        "gpu-switched-off",
        "info",
        f"The discrete GPU {', '.join(_named(g) for g in gpus)} does not answer on the PCI bus "
        "(lspci: rev ff) and no driver holds it: on a laptop with hybrid graphics that is the "
        "GPU switched off to save power (bbswitch, PRIME), not a fault.",
        "Nothing to do for a driver install; if it should be on and stays rev ff, power the "
        "machine off and on.",
    )


def gpu_rev_ff_unconfirmed(report: Report, facts: ExtraFacts) -> Finding | None:
    """`rev ff` seen only in a listing filtered to NVIDIA devices, with no other evidence
    (nvidia-smi's "GPU is lost" makes it gpu-fallen-off-bus): asks for the whole listing."""
    lost = lost_gpus(report, facts)
    gpus = [g for g in report.gpus if unconfirmed(g, facts) and g.pci_address not in lost]
    if not gpus:
        return None
    return Finding(
        "gpu-rev-ff-unconfirmed",
        "warn",
        f"lspci shows rev ff (its config space reads all ones) for "
        f"{', '.join(_named(g) for g in gpus)}, but the listing has only NVIDIA devices "
        "(filtered, e.g. through `grep -i nvidia`): a laptop's GPU switched off to save power "
        "and a GPU fallen off the bus look the same there.",
        by_hand(
            report,
            "Run the whole `lspci -nnk` (not filtered): beside Intel or AMD graphics with no "
            "driver bound it is switched off, not a fault; otherwise `journalctl -k | grep -iE "
            "'xid|fallen off'` shows whether it fell off the bus (Xid 79)",
        )
        + ".",
    )


def gpu_passthrough(report: Report, facts: ExtraFacts) -> Finding | None:
    gpus = [g for g in report.gpus if g.driver_in_use in PASSTHROUGH_DRIVERS]
    if not gpus:
        return None
    drivers = sorted({g.driver_in_use or "" for g in gpus})
    subject = "GPU" if len(gpus) == 1 else "GPUs"
    return Finding(
        "gpu-passthrough",
        "info",
        f"The {subject} {', '.join(_named(g) for g in gpus)} bound to {' and '.join(drivers)} "
        "for a virtual machine's passthrough: the NVIDIA driver on this host leaves "
        f"{'it' if len(gpus) == 1 else 'them'} alone and nvidia-smi does not list "
        f"{'it' if len(gpus) == 1 else 'them'}.",
        "Nothing to do if it is meant for a VM. "
        + by_hand(
            report,
            "To use it on this host, remove its vfio-pci binding (`options vfio-pci ids=...` in "
            "/etc/modprobe.d, or `vfio-pci.ids=` on the kernel command line) and reboot.",
        ),
    )


def _listed_addresses(report: Report) -> set[str] | None:
    """The bus addresses of the GPUs nvidia-smi lists; None when it lists none, or one
    without its address (an old table): nothing to compare with."""
    smi = report.nvidia_smi
    if smi is None or smi.status != "ok" or not smi.gpus:
        return None
    addresses = {normalise_pci_address(g.bus_id or "") for g in smi.gpus}
    return None if None in addresses else {a for a in addresses if a}


def _what_is_known(gpu: Gpu, report: Report) -> str:
    smi = report.nvidia_smi
    unreachable = smi.unreachable if smi else ()
    said = next((u.reason for u in unreachable if u.address == gpu.pci_address), None)
    bound = f"bound to {gpu.driver_in_use}" if gpu.driver_in_use else None
    known = [part for part in (bound, f"nvidia-smi: {said}" if said else None) if part]
    return f"{_named(gpu)}, {', '.join(known)}" if known else _named(gpu)


def gpus_missing_from_nvidia_smi(report: Report, facts: ExtraFacts) -> Finding | None:
    """GPUs on the bus that nvidia-smi does not list while it lists others: each of them is
    unused. Those the other findings explain (fallen off, passthrough, switched off) are left
    to them."""
    listed = _listed_addresses(report)
    if listed is None:
        return None
    explained = set(lost_gpus(report, facts))
    missing = [
        g
        for g in report.gpus
        if g.pci_address not in listed
        and g.pci_address not in explained
        and g.driver_in_use not in PASSTHROUGH_DRIVERS
        and not switched_off(g, facts)
    ]
    if not missing:
        return None
    shown = sum(1 for g in report.gpus if g.pci_address in listed)
    look = by_hand(
        report,
        "`journalctl -k | grep -iE 'xid|fallen off'` and `lspci -nnk -s <address>` tell which",
    )
    return Finding(
        "gpus-missing-from-nvidia-smi",
        "warn",
        f"nvidia-smi lists {shown} of the {len(report.gpus)} NVIDIA GPUs on the PCI bus; it "
        f"does not list {'; '.join(_what_is_known(g, report) for g in missing)}.",
        "The usual causes: the GPU fell off the bus, or the driver disabled it after an Xid "
        "error (a power cycle brings it back, a driver install does not), or another driver "
        f"holds it (vfio-pci for a VM's passthrough is on purpose); {look}.",
    )
