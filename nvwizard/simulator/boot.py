"""A reboot of the simulated machine: what comes up, written back into the bundle's files.

Triggered by `shutdown -r now`, `reboot`, or a scheduled `shutdown -r +N` coming due
(`SimulatedMachine.wait_for_scheduled_reboot`). What boots:

- the kernel: the newest installed linux-image (uname-r.txt);
- the nvidia module, when one exists for that kernel: Canonical's signed
  linux-modules-nvidia-<flavour>-<kernel> when installed (ubuntu-drivers' choice, loads under
  Secure Boot), else a DKMS build (nvidia-dkms-<flavour>, Debian's *-kernel-dkms) when its
  package is configured and it was built for that kernel (or its headers are installed, for
  DKMS's build at boot). Under Secure Boot a DKMS module loads only once its key is enrolled
  (`mokutil --import`, then MOK Manager on the console at a boot), which the simulator never
  does: it is rejected, as a real machine's boot rejects it before the enrolment;
- nouveau, when it was loaded before and no installed package blacklists it;
- `dkms status`: an "installed" row for that kernel per nvidia module DKMS builds, under
  Debian's module names (nvidia-current, nvidia-tesla-535, ...) as under Ubuntu's (nvidia);
- nvidia-smi: the table of the loaded driver's generation with the bundle's GPUs, idle and
  without processes; the real tool's error text when the module is missing, does not match
  the libraries, or drives none of the GPUs; no file when no nvidia-smi is installed. An
  install or purge of nvidia-smi between reboots rewrites it the same way against the module
  still running (`rewrite_nvidia_smi`): an installed driver not loaded yet fails as the real
  tool does then.

A reboot also ends every process (gpu-processes.txt, the dpkg lock holders), clears
reboot-required.txt and the old boot's kernel log (kernel-log.txt then holds the new module's
loading line), cancels the scheduled reboot, and starts the enabled units (the GPU services'
daemons then hold /dev/nvidia* again, when the module loaded).

Between reboots, `modinfo nvidia` shows the module on disk for the running kernel: an install
or purge of a kernel module package rewrites it (`write_module_on_disk`), as depmod makes the
real one see the new file while the old module stays loaded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import replace

from nvwizard.detect.lspci import parse_lspci
from nvwizard.detect.models import PciDevice
from nvwizard.detect.mokutil import parse_sb_state
from nvwizard.detect.nvidia_smi import parse_nvidia_smi
from nvwizard.detect.proc_version import parse_proc_driver_version
from nvwizard.detect.sysfs_pci import parse_sysfs_pci
from nvwizard.knowledge.architectures import classify_gpu
from nvwizard.knowledge.secure_boot import DEBIAN_DKMS_CERTIFICATE, UBUNTU_DKMS_CERTIFICATE
from nvwizard.simulator import dkms_status, gpu_services
from nvwizard.simulator.kernel_files import (
    kernel_log_after_boot,
    lsmod_after_boot,
    lspci_with_driver,
    modinfo,
    proc_version,
    sysfs_with_driver,
)
from nvwizard.simulator.kernel_modules import (
    DkmsSource,
    dkms_source,
    upstream_version,
)
from nvwizard.simulator.loaded_modules import refresh_use_counts
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.smi_table import GPU_FACTS, UNKNOWN_GPU, SmiGpuRow, render_nvidia_smi
from nvwizard.simulator.state import BootResult, LoadedNvidia, Machine

PERSISTENCED_UNIT = "nvidia-persistenced.service"
BUILD_DATE = "Tue Mar 10 18:02:11 UTC 2026"  # what /proc/driver/nvidia/version shows
NO_DRIVER = (
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure "
    "that the latest NVIDIA driver is installed and running.\n"
)
NO_DEVICES = "No devices were found\n"

_KERNEL_IMAGE = re.compile(r"^linux-image-(?:unsigned-)?(\d[\w.+~-]*)$")
_DEBIAN_SMI = re.compile(r"^nvidia(?:-(?:tesla|legacy)(?:-\d+(?:xx)?)?)?-smi$")
# packages that ship a modprobe.d file blacklisting nouveau
_BLACKLISTS_NOUVEAU = re.compile(
    r"^(nvidia-kernel-common-\d.*|nvidia(?:-(?:tesla|legacy)(?:-\d+(?:xx)?)?)?(?:-open)?"
    r"-kernel-support)$"
)


def boot(machine: Machine) -> BootResult:
    """Reboot the simulated machine and write what came up into its files."""
    model = MachineModel(machine)
    read = machine.read
    kernel = boot_kernel(model)
    secure_boot = parse_sb_state(read("mokutil-sb-state.txt") or "")
    module, why_not = module_at_boot(model, kernel, secure_boot == "enabled")
    had_nouveau = bool(re.search(r"^nouveau\s", read("lsmod.txt") or "", re.M))
    nouveau = had_nouveau and not nouveau_blacklisted(model)
    smi_text, smi = nvidia_smi_text(
        machine, model, module.version if module else None, bool(module and module.open), nouveau
    )

    write = model.write_back
    write("uname-r.txt", kernel + "\n")
    write("lsmod.txt", lsmod_after_boot(read("lsmod.txt"), module, nouveau))
    os_version = model.os.get("VERSION_ID", "")
    write(
        "proc-driver-nvidia-version.txt",
        proc_version(module, os_version, BUILD_DATE) if module else None,
    )
    write("modinfo-nvidia.txt", modinfo(module, kernel) if module else None)
    write("nvidia-smi.txt", smi_text)
    driver = "nvidia" if module else ("nouveau" if nouveau else None)
    if read("sysfs-pci.txt") is not None:
        write("sysfs-pci.txt", sysfs_with_driver(read("sysfs-pci.txt") or "", driver))
    if read("lspci-nn.txt") is not None:
        write("lspci-nn.txt", lspci_with_driver(read("lspci-nn.txt") or "", driver))
    _write_dkms_status(model, kernel)
    write("dpkg-lock.txt", "")
    write("reboot-required.txt", None)
    write("reboot-required-pkgs.txt", None)
    write("kernel-log.txt", kernel_log_after_boot(read("kernel-log.txt"), module, BUILD_DATE))

    state = model.state
    # When the boot is simulated: a scheduled reboot that came due while no nvwizard ran is
    # booted by the next process that looks, after the apply that scheduled it had finished.
    at = time.time()
    state.scheduled_reboot = state.reboot_due_at = None
    state.lock_released = True
    state.active_units = set(state.enabled_units)
    # every other process ended
    gpu_services.after_boot(machine, model, module.version if module else None)
    refresh_use_counts(machine)
    result = BootResult(kernel, module, nouveau, why_not, smi, at)
    state.boots.append(result)
    return result


def write_module_on_disk(model: MachineModel) -> None:
    """modinfo-nvidia.txt for the module the running kernel would load now (None: none)."""
    module, _why = module_at_boot(model, model.kernel, secure_boot=False)
    model.write_back("modinfo-nvidia.txt", modinfo(module, model.kernel) if module else None)


# -- what loads ----------------------------------------------------------------------------


def boot_kernel(model: MachineModel) -> str:
    """The newest installed kernel image: what GRUB boots by default."""
    releases = [
        match.group(1)
        for name in model.present()
        if (match := _KERNEL_IMAGE.match(name)) is not None
    ]
    return max(releases, key=_release_key, default=model.kernel)


def _release_key(release: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", release)[:4])


def _configured(model: MachineModel, name: str) -> bool:
    package = model.installed.get(name)
    return package is not None and package.status == "i"


def module_at_boot(
    model: MachineModel, kernel: str, secure_boot: bool
) -> tuple[LoadedNvidia | None, str | None]:
    """The nvidia module this kernel loads, or None with the reason."""
    signed = sorted(
        n
        for n in model.present()
        if n.startswith("linux-modules-nvidia-") and n.endswith(f"-{kernel}")
    )
    for name in signed:
        if _configured(model, name):
            flavour = name.removeprefix("linux-modules-nvidia-").removesuffix(f"-{kernel}")
            version = _signed_module_version(model, flavour)
            if version:
                path = f"/lib/modules/{kernel}/kernel/nvidia-{flavour}/nvidia.ko"
                return LoadedNvidia(version, flavour.endswith("-open"), path, True), None
    sources = _dkms_sources(model)
    if not sources:
        if signed:
            return None, f"{signed[0]} is not configured"
        return None, f"no nvidia module is installed for {kernel}"
    source = sources[0]
    why_not = _why_dkms_cannot_build(model, source, kernel)
    if why_not:
        return None, why_not
    if secure_boot:  # signed with dkms's key, which nobody enrolled (knowledge/secure_boot.py)
        key = DEBIAN_DKMS_CERTIFICATE if source.debian else UBUNTU_DKMS_CERTIFICATE
        return None, (
            f"Secure Boot rejected the DKMS-built module: its key ({key}) is not enrolled, "
            "and the simulator enrols none"
        )
    version = upstream_version(model.installed[source.package].version)
    stem = source.module if source.debian else "nvidia"  # Debian names the files after it
    path = f"/lib/modules/{kernel}/updates/dkms/{stem}{_ko_suffix(model)}"
    return LoadedNvidia(version, source.open, path, False), None


def _dkms_sources(model: MachineModel) -> list[DkmsSource]:
    """The installed packages that have DKMS build the nvidia module, by name."""
    found = (dkms_source(name) for name in sorted(model.present()))
    return [source for source in found if source is not None]


def _why_dkms_cannot_build(model: MachineModel, source: DkmsSource, kernel: str) -> str | None:
    if not _configured(model, source.package):
        return f"{source.package} is not configured (its module build failed)"
    if kernel != model.kernel and f"linux-headers-{kernel}" not in model.present():
        return f"DKMS cannot build for {kernel}: linux-headers-{kernel} is not installed"
    return None


def _signed_module_version(model: MachineModel, flavour: str) -> str | None:
    """The driver version Canonical built the signed modules from."""
    base = flavour.removesuffix("-open")
    for name in (
        f"nvidia-kernel-source-{flavour}",
        f"nvidia-kernel-common-{base}",
        f"libnvidia-compute-{base}",
    ):
        package = model.installed.get(name)
        if package is not None and package.present:
            return upstream_version(package.version)
    return None


def _ko_suffix(model: MachineModel) -> str:
    """Ubuntu compresses modules with zstd from 23.10 on."""
    version = model.os.get("VERSION_ID", "")
    if model.os.get("ID") == "ubuntu" and _release_key(version) >= (23, 10):
        return ".ko.zst"
    return ".ko"


def nouveau_blacklisted(model: MachineModel) -> bool:
    return any(_BLACKLISTS_NOUVEAU.match(n) for n in model.present())


# -- nvidia-smi ----------------------------------------------------------------------------


def _utils_version(model: MachineModel) -> str | None:
    """The version of the installed nvidia-smi (Ubuntu's nvidia-utils-*, Debian's *-smi)."""
    for name in sorted(model.present()):
        if name.startswith("nvidia-utils-") or _DEBIAN_SMI.match(name):
            return upstream_version(model.installed[name].version)
    return None


def touches_nvidia_smi(names: Iterable[str]) -> bool:
    """Whether a transaction on `names` installs or removes nvidia-smi (and its NVML library)."""
    return any(n.startswith("nvidia-utils-") or _DEBIAN_SMI.match(n) for n in names)


def rewrite_nvidia_smi(machine: Machine, model: MachineModel) -> None:
    """nvidia-smi after an install or purge of the tool, before any reboot or load: the tool
    now installed against the module the kernel still runs, as the real one answers then:
    "couldn't communicate with the NVIDIA driver" with no nvidia module loaded, the NVML
    "Driver/library version mismatch" with an older one loaded, no output once purged."""
    running = parse_proc_driver_version(machine.read("proc-driver-nvidia-version.txt") or "")
    version = running.version if running is not None else None
    open_module = running is not None and running.flavor == "open"
    text, _status = nvidia_smi_text(machine, model, version, open_module, nouveau=False)
    model.write_back("nvidia-smi.txt", text)


def nvidia_smi_text(
    machine: Machine,
    model: MachineModel,
    version: str | None,
    open_module: bool,
    nouveau: bool,
) -> tuple[str | None, str]:
    """What nvidia-smi prints with the nvidia module `version` (`open_module`: its flavour)
    loaded (None: none is), and its status word (BootResult.smi)."""
    library = _utils_version(model)
    if library is None:
        return None, "not-installed"
    if version is None:
        return NO_DRIVER, "no-driver"
    if version != library:
        nvml = ".".join(library.split(".")[:2])
        return (
            "Failed to initialize NVML: Driver/library version mismatch\n"
            f"NVML library version: {nvml}\n",
            "mismatch",
        )
    rows = [] if nouveau else _driven_gpus(machine, version, open_module)
    if not rows:
        return NO_DEVICES, "no-devices"
    persistence = PERSISTENCED_UNIT in model.state.enabled_units
    return render_nvidia_smi(version, rows, persistence), "table"


def _driven_gpus(machine: Machine, version: str, open_module: bool) -> list[SmiGpuRow]:
    """The bundle's GPUs the module `version` can drive, as nvidia-smi lists them (by bus id)."""
    old_smi = parse_nvidia_smi(machine.read("nvidia-smi.txt") or "")
    known = {g.bus_id.upper(): g for g in old_smi.gpus if g.bus_id}
    branch = int(version.split(".")[0])
    devices = _nvidia_gpus(machine)
    if not devices:  # a bundle without PCI files: the GPUs the last table listed
        return [
            SmiGpuRow(bus_id, replace(UNKNOWN_GPU, smi_name=g.name, memory_mib=g.memory_total_mib))
            for bus_id, g in sorted(known.items())
            if g.name and g.memory_total_mib
        ]
    rows = []
    for device in devices:
        found = classify_gpu(device.device_id, device.description)
        if open_module and found.open_kernel == "unsupported":
            continue  # the open modules need the GSP: Turing and newer
        if not open_module and found.open_kernel == "required":
            continue  # Blackwell and Grace Hopper run only with the open modules
        if found.last_branch is not None and branch > found.last_branch:
            continue  # a legacy GPU this branch dropped
        bus_id = "0000" + device.address.upper()
        facts = GPU_FACTS.get(device.device_id or "", UNKNOWN_GPU)
        if facts is UNKNOWN_GPU and found.marketing_name:
            facts = replace(facts, smi_name=f"NVIDIA {found.marketing_name}")
        seen = known.get(bus_id)  # the old table knew this GPU's name and memory
        if seen is not None and seen.name and seen.memory_total_mib:
            facts = replace(facts, smi_name=seen.name, memory_mib=seen.memory_total_mib)
        rows.append(SmiGpuRow(bus_id, facts))
    return sorted(rows, key=lambda r: r.bus_id)


def _nvidia_gpus(machine: Machine) -> list[PciDevice]:
    """NVIDIA display controllers (class 03xx) from sysfs, named by lspci; else lspci's."""
    named = parse_lspci(machine.read("lspci-nn.txt") or "")
    devices = parse_sysfs_pci(machine.read("sysfs-pci.txt") or "") or named
    names = {d.address: d.description for d in named}
    return [
        replace(d, description=d.description or names.get(d.address))
        for d in devices
        if d.vendor_id == "10de" and (d.class_code or "03").startswith("03")
    ]


# -- DKMS ----------------------------------------------------------------------------------


def _write_dkms_status(model: MachineModel, kernel: str) -> None:
    """`dkms status` after DKMS's build at boot: an "installed" row for `kernel` per nvidia
    module DKMS could build (Ubuntu's nvidia, Debian's nvidia-current, nvidia-tesla-535, ...);
    the rows of purged modules and of other kernels' nvidia builds gone."""
    rows = [
        dkms_status.row(model, source, model.installed[source.package].version, kernel)
        for source in _dkms_sources(model)
        if _why_dkms_cannot_build(model, source, kernel) is None
    ]
    dkms_status.rewrite_for_boot(model, rows)
