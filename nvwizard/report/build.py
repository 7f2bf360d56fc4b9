"""`build_report(host)`: read every source through the host, parse, interpret.

Pure Python and linear in the size of the inputs: it runs on every `nvwizard detect`.
Each fact has one small function here; a missing source leaves its fact at the report's
default (unknown, empty, None), never an error.

On a live machine most sources are commands, so the report names the ones it will read up
front (`Host.prefetch`) and they run side by side. What the machine could install (apt's
driver stanzas, ubuntu-drivers) is the slow part, 0.2-1 s, and is read only when there is
something to install for or to judge: an NVIDIA GPU, NVIDIA driver packages installed, or a
driver the caller names (`offers=True`, e.g. `plan --driver` for an image build).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from nvwizard.detect import (
    apt_sources,
    dpkg,
    kernel_log,
    lsmod,
    lspci,
    misc,
    mokutil,
    nvidia_smi,
    sysfs_pci,
    ubuntu_drivers,
    uname,
)
from nvwizard.detect.apt_sources import AptSourceEntry
from nvwizard.detect.models import (
    DpkgEntry,
    GpuProcess,
    NvidiaSmi,
    OsRelease,
    PciDevice,
)
from nvwizard.host.base import Host
from nvwizard.host.demo_advice import demo_of
from nvwizard.knowledge.packages import (
    is_nvidia_related,
)
from nvwizard.report import debian
from nvwizard.report.activation_facts import pending_kernel_package, reboot_required_for
from nvwizard.report.candidates import build_candidates, is_nvidia_device, not_understood
from nvwizard.report.debian import DebianFacts
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings import find_all
from nvwizard.report.gpu_services import gpu_service_states
from nvwizard.report.gpus import (
    gpus_from_nvidia_smi,
    gpus_from_pci,
    gpus_from_ubuntu_drivers,
    is_nvidia_display,
    is_nvswitch,
    synthetic_modalias,
)
from nvwizard.report.headless import is_headless
from nvwizard.report.kernel_headers import kernel_metapackages, offered_headers_metapackages
from nvwizard.report.loaded_module import loaded_module
from nvwizard.report.models import DriverCandidate, Gpu, Report
from nvwizard.report.offers import (
    OFFER_SOURCES,
    Offers,
    apt_drivers,
    driver_sources,
    read_offers,
    wants_offers,
)
from nvwizard.report.ranking import recommendation
from nvwizard.report.recommend import mark_recommended
from nvwizard.report.signed_modules import signed_modules_available
from nvwizard.report.stack import STACK_SOURCES, read_stack
from nvwizard.report.wording import COMMAND_LINE, FrontEndWords

NVIDIA_VENDOR = "10de"
# The sources every report reads that a live machine produces by running a command.
COMMAND_SOURCES = (
    "lspci-nn.txt",
    "dpkg-query.txt",
    "dpkg-audit.txt",
    "nvidia-smi.txt",
    "mokutil-sb-state.txt",
    "session.txt",
    "df.txt",
    "gpu-processes.txt",
    "gpu-services.txt",
    "dpkg-lock.txt",
    *STACK_SOURCES,
)
# This boot's kernel log: read only where there is an NVIDIA GPU or driver to judge (without
# either it says nothing, and `journalctl -k -b` over a long-lived journal takes seconds).
KERNEL_LOG_SOURCES = ("kernel-log.txt",)


def _parsed(host: Host, source: str, parser, default):
    text = host.read(source)
    return default if text is None else parser(text)


# -- GPUs ---------------------------------------------------------------------------------


def pci_devices(host: Host, sysfs: list[PciDevice]) -> list[PciDevice]:
    """sysfs first (complete, no names), named from lspci where it has the same address, and
    lspci's driver and revision where sysfs lacks them (lspci's `rev ff` wins: either
    reading all ones means the device did not answer)."""
    named = _parsed(host, "lspci-nn.txt", lspci.parse_lspci, [])
    if not sysfs:
        return named
    by_address = {d.address: d for d in named}
    return [_merged(d, by_address.get(d.address)) for d in sysfs]


def _merged(device: PciDevice, listed: PciDevice | None) -> PciDevice:
    if listed is None:
        return device
    revision = device.revision or listed.revision
    return replace(
        device,
        description=device.description or listed.description,
        driver_in_use=device.driver_in_use or listed.driver_in_use,
        revision="ff" if listed.revision == "ff" else revision,
    )


# -- packages and modules -----------------------------------------------------------------


def all_packages(host: Host) -> list[DpkgEntry]:
    query = _parsed(host, "dpkg-query.txt", dpkg.parse_dpkg_query, [])
    return query or _parsed(host, "dpkg-l.txt", dpkg.parse_dpkg_l, [])


# -- the session ----------------------------------------------------------------------------


def _session(host: Host) -> dict[str, str]:
    return _parsed(host, "session.txt", misc.parse_key_values, {})


def _processes(host: Host, smi: NvidiaSmi | None) -> list[GpuProcess]:
    found = _parsed(host, "gpu-processes.txt", misc.parse_gpu_processes, [])
    if found or smi is None:
        return list(found)
    # Without a process scan, nvidia-smi's own process table is the next best evidence.
    return [GpuProcess(p.pid, p.name or "?") for p in smi.processes if p.pid is not None]


def _dpkg_interrupted(host: Host) -> bool:
    audit = _parsed(host, "dpkg-audit.txt", dpkg.parse_dpkg_audit, [])
    updates = host.read("dpkg-updates.txt") or ""
    return bool(audit) or any(line.strip() for line in updates.splitlines())


# -- the report -----------------------------------------------------------------------------


def find_gpus(
    host: Host, sysfs: list[PciDevice], smi: NvidiaSmi | None = None
) -> tuple[list[PciDevice], list[Gpu], list[str]]:
    """(PCI devices, NVIDIA GPUs, their modaliases): from sysfs named by lspci, or, where sysfs
    was not captured (a pasted bundle), from ubuntu-drivers' modaliases, or else from the GPUs
    an answering nvidia-smi lists (`smi`: a bundle of nvidia-smi.txt alone has GPUs too, only
    their PCI ids are unknown). Where sysfs lists the bus, ubuntu-drivers (which reads the same
    sysfs) is not asked."""
    devices = pci_devices(host, sysfs)
    gpus = gpus_from_pci(devices)
    if gpus or sysfs:
        synthetic = [synthetic_modalias(d) for d in devices if is_nvidia_display(d)]
        return devices, gpus, [m for m in synthetic if m is not None]
    found = _parsed(host, "ubuntu-drivers-devices.txt", ubuntu_drivers.parse_devices, [])
    gpus, modaliases = gpus_from_ubuntu_drivers(found)
    if not gpus and not any(is_nvidia_display(d) for d in devices):
        gpus = gpus_from_nvidia_smi(smi)
    return devices, gpus, modaliases


def os_release(host: Host) -> OsRelease | None:
    """The OS, from the os-release fields the host read (with distro); None when unknown."""
    fields = host.os_release()
    if fields is None:
        return None

    def field(name: str) -> str | None:
        return fields.get(name) or None  # an empty value says nothing

    return OsRelease(
        id=field("ID"),
        version_id=field("VERSION_ID"),
        pretty_name=field("PRETTY_NAME"),
        version_codename=field("VERSION_CODENAME") or field("CODENAME"),
        id_like=field("ID_LIKE"),
    )


def _start_commands(host: Host, offers: bool | None, gpu_on_bus: bool) -> None:
    """Announce the sources to read: a live machine runs their commands side by side."""
    host.prefetch(
        COMMAND_SOURCES
        + (OFFER_SOURCES if offers or gpu_on_bus else ())
        + (KERNEL_LOG_SOURCES if gpu_on_bus else ())
    )


def build_report(
    host: Host,
    today: dt.date | None = None,
    *,
    offers: bool | None = None,
    headless: bool | None = None,
    words: FrontEndWords = COMMAND_LINE,
) -> Report:
    """Everything nvwizard knows about the host's machine, interpreted. `offers`: True reads
    what it could install even without a GPU (a named driver); None only if `wants_offers`.
    `headless`: the user's answer, ranked before detection's. `words`: the fixes' front end."""
    sysfs = _parsed(host, "sysfs-pci.txt", sysfs_pci.parse_sysfs_pci, [])
    gpu_on_bus = any(is_nvidia_display(d) for d in sysfs)
    _start_commands(host, offers, gpu_on_bus)
    release = os_release(host)
    kernel = _parsed(host, "uname-r.txt", uname.parse_uname_r, None)
    smi = _parsed(host, "nvidia-smi.txt", nvidia_smi.parse_nvidia_smi, None)
    devices, gpus, modaliases = find_gpus(host, sysfs, smi)
    packages = all_packages(host)
    offered = read_offers(host) if offers or wants_offers(gpus, packages) else Offers()
    modules = _parsed(host, "lsmod.txt", lsmod.parse_lsmod, None)
    session = _session(host)
    detected_headless = is_headless(session, packages)
    sources = _parsed(host, "apt-sources.txt", apt_sources.parse_apt_source_entries, None)
    today = today or dt.date.today()
    candidates, debian_facts = _judged_candidates(
        release, kernel, gpus, modaliases, offered, sources or [], today
    )
    signed_modules = signed_modules_available(
        offered.apt_packages,
        kernel,
        release.version_id if release else None,
        (p.name for p in packages if p.state[1:2] == "i"),
    )
    secure_boot, os_id = _secure_boot(host), release.id if release else None
    choice = recommendation(
        candidates, signed_modules, kernel, secure_boot, os_id, (detected_headless, headless)
    )
    versions = {p.package: p.version for p in offered.apt_packages if p.version}
    report = Report(
        os=release.pretty_name if release else None,
        os_id=os_id,
        os_version=release.version_id if release else None,
        kernel=kernel,
        gpus=gpus,
        nvswitch_count=sum(1 for d in devices if is_nvswitch(d)),
        driver_candidates=mark_recommended(candidates, choice.package),
        recommended_driver=choice.package,
        recommendation_reason=choice.reason if gpus else None,
        ubuntu_drivers_recommended=choice.ubuntu_drivers_choice,
        installed_packages=[p for p in packages if is_nvidia_related(p.name)],
        loaded_module=loaded_module(host, modules, smi),
        nvidia_smi=smi,
        secure_boot=secure_boot,
        nouveau_loaded=None if modules is None else any(m.name == "nouveau" for m in modules),
        headless=detected_headless,
        headless_answer=headless,
        over_ssh=session.get("ssh", "").lower() in ("yes", "true", "1"),
        gpu_processes=_processes(host, smi),
        lock_holders=_parsed(host, "dpkg-lock.txt", misc.parse_lock_holders, []),
        held_packages=_parsed(host, "apt-mark-showhold.txt", dpkg.parse_showhold, []),
        dpkg_interrupted=_dpkg_interrupted(host),
        reboot_required=host.read("reboot-required.txt") is not None,
        signed_modules_available=signed_modules,
        apt_drivers=apt_drivers(offered),
        drivers_not_understood=not_understood(
            offered.ubuntu_drivers_devices, offered.ubuntu_drivers_list, versions
        )
        if gpus
        else [],
        driver_sources=driver_sources(
            offered.ubuntu_drivers_devices, offered.ubuntu_drivers_list, offered.apt_packages
        ),
        source=host.label,
        demo=demo_of(host),
        debian=debian_facts,
        today=today,
    )
    _add_stack_and_findings(report, host, packages, offered, sources, words, devices)
    return report


def _judged_candidates(
    release: OsRelease | None,
    kernel: str | None,
    gpus: list[Gpu],
    modaliases: list[str],
    offered: Offers,
    sources: list[AptSourceEntry],
    today: dt.date,
) -> tuple[list[DriverCandidate], DebianFacts | None]:
    """The drivers offered for the GPUs and, on Debian, its facts and the candidates checked
    against them (components enabled, the kernel's headers, the GPUs each driver supports)."""
    candidates = build_candidates(
        gpus,
        ubuntu_drivers_devices=offered.ubuntu_drivers_devices,
        ubuntu_drivers_list=offered.ubuntu_drivers_list,
        apt_packages=offered.apt_packages,
        gpu_modaliases=modaliases,
        today=today,
    )
    if not (release and release.id == "debian"):
        return candidates, None
    facts = debian.debian_facts(
        release.version_id, release.version_codename, offered.apt_packages, sources
    )
    return debian.checked_candidates(candidates, facts, gpus, today, kernel), facts


def _secure_boot(host: Host) -> str:
    text = host.read("mokutil-sb-state.txt")
    return mokutil.parse_sb_state(text) if text is not None else "unknown"


def _add_stack_and_findings(
    report: Report,
    host: Host,
    packages: list[DpkgEntry],
    offered: Offers,
    sources: list[AptSourceEntry] | None,
    words: FrontEndWords,
    devices: list[PciDevice] | None = None,
) -> None:
    """The GPU services, a kernel update waiting for the reboot, the kernel's headers
    metapackages, the developer stack, this boot's kernel log and, last, the findings, which
    read the whole report. `sources` is None where apt's sources were not read."""
    report.pending_kernel = pending_kernel_package(host, report.kernel, packages)
    report.reboot_required_for = reboot_required_for(host, report.kernel, packages)
    report.gpu_services = gpu_service_states(host, {p.name for p in report.gpu_processes})
    report.kernel_metapackages = kernel_metapackages(packages, report.os_id, report.kernel)
    report.headers_metapackages = offered_headers_metapackages(
        report.kernel_metapackages, offered.apt_packages
    )
    report.stack = read_stack(host, packages, offered.apt_packages, sources, report.os_id)
    if not host.is_real or wants_offers(report.gpus, packages):  # a bundle's file costs nothing
        report.kernel_log = _parsed(host, "kernel-log.txt", kernel_log.parse_kernel_log, None)
    facts = ExtraFacts(
        all_packages=packages,
        apt_packages=offered.apt_packages,
        apt_sources=sources or [],
        disk=_parsed(host, "df.txt", misc.parse_df, []),
        pci_devices=devices or [],
        run_installer_traces=[
            line for line in (host.read("run-installer.txt") or "").splitlines() if line.strip()
        ],
        manual_install=any(
            d.manual_install for d in offered.ubuntu_drivers_devices if is_nvidia_device(d)
        ),
        words=words,
    )
    report.findings = find_all(report, facts)
