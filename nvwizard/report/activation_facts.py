"""The facts the activation decision needs, read through the host as the machine is now.

`activation_facts(host, driver)` reads a fresh view (`Host.fresh()`: a live host reads again
what it cached), so a decision taken right after an install sees the new module on disk and
the processes that run at this moment. Each fact has its source:

- the new module for the running kernel: `modinfo nvidia` (version, signer, file); without
  it the installed packages (Canonical's `linux-modules-nvidia-*-<kernel>`, or a DKMS build for
  the kernel in `dkms status`);
- Secure Boot: `mokutil --sb-state`;
- what is loaded: `lsmod`, /proc/driver/nvidia/version;
- nouveau bound to a GPU: sysfs (`driver=`) or `lspci -k`; the console's framebuffer: /proc/fb;
- processes using the GPU: the holders of /dev/nvidia*;
- the GPU services: `systemctl is-active` / `is-enabled` (else their daemons among those
  processes);
- a kernel waiting for the reboot: /var/run/reboot-required.pkgs (else reboot-required with a
  newer linux-image installed).
"""

from __future__ import annotations

import re

from nvwizard.detect import dkms, dpkg, lsmod, lspci, misc, mokutil, proc_version, sysfs_pci, uname
from nvwizard.detect.models import DpkgEntry, LsmodEntry, PciDevice
from nvwizard.host.base import Host
from nvwizard.host.demo_advice import demo_of
from nvwizard.knowledge import kernel_modules as km
from nvwizard.knowledge.debian import kernel_dkms_flavour
from nvwizard.knowledge.packages import branch_of_version, parse_driver_package
from nvwizard.report.activation import DKMS, SIGNED, ActivationFacts, pending_kernel_reason
from nvwizard.report.findings.common import KERNEL_IMAGE_RE, upstream_version
from nvwizard.report.findings.system import kernel_release_key
from nvwizard.report.gpu_services import gpu_service_states
from nvwizard.report.headless import is_headless
from nvwizard.report.loaded_module import modinfo_flavor

CANONICAL_SIGNER = "Canonical"
DKMS_FOLDER = "/updates/dkms/"
_FLAVOUR_PREFIXES = ("nvidia-driver-", "nvidia-headless-no-dkms-", "nvidia-dkms-")
_COMPUTE_LIBRARY = "libnvidia-compute-"
# Ubuntu's nvidia-fabricmanager-<branch>, NVIDIA's repository's from 590 without the branch
FABRIC_MANAGER_RE = re.compile(r"^nvidia-fabricmanager(-\d+)?$")


def activation_facts(host: Host, driver: str | None = None) -> ActivationFacts:
    """The machine as it is now. `driver`: the installed driver's name, when the caller knows
    it (an install just put it on); else it is read from the installed packages."""
    host = host.fresh()
    read = host.read
    kernel = uname.parse_uname_r(read("uname-r.txt") or "")
    packages = _packages(host)
    installed = {p.name: p for p in packages if p.state[1:2] == "i"}
    version, flavor, source = _module_on_disk(host, kernel, installed)
    modules = lsmod.parse_lsmod(read("lsmod.txt") or "") if read("lsmod.txt") else None
    loaded = proc_version.parse_proc_driver_version(read("proc-driver-nvidia-version.txt") or "")
    processes = misc.parse_gpu_processes(read("gpu-processes.txt") or "")
    sb_text = read("mokutil-sb-state.txt")
    session = misc.parse_key_values(read("session.txt") or "")
    framebuffers = misc.parse_proc_fb(read("proc-fb.txt") or "")
    fabric_manager = next((p for n, p in installed.items() if FABRIC_MANAGER_RE.match(n)), None)
    return ActivationFacts(
        kernel=kernel,
        driver=driver or _driver_name(installed, kernel) or "nvidia",
        module_version=version,
        module_flavor=flavor,
        module_source=source,
        branch=branch_of_version(version),
        secure_boot=mokutil.parse_sb_state(sb_text) if sb_text is not None else "unknown",
        lsmod_read=modules is not None,
        nvidia_modules=tuple(_nvidia_modules(modules or [])),
        loaded_version=loaded.version if loaded else None,
        loaded_flavor=loaded.flavor if loaded else None,
        nouveau=next((m for m in modules or [] if m.name == km.NOUVEAU), None),
        nouveau_bound=any(d.driver_in_use == km.NOUVEAU for d in _nvidia_devices(host)),
        console_framebuffer=framebuffers[0].name if framebuffers else None,
        gpu_processes=tuple(processes),
        services=tuple(gpu_service_states(host, {p.name for p in processes})),
        pending_kernel=pending_kernel_package(host, kernel, packages),
        desktop=is_headless(session, packages) is False,
        demo=demo_of(host),
        os_id=(host.os_release() or {}).get("ID") or None,
        fabric_manager=fabric_manager.name if fabric_manager else None,
        fabric_manager_version=upstream_version(fabric_manager.version) if fabric_manager else None,
    )


def _packages(host: Host) -> list[DpkgEntry]:
    query = dpkg.parse_dpkg_query(host.read("dpkg-query.txt") or "")
    return query or dpkg.parse_dpkg_l(host.read("dpkg-l.txt") or "")


def _module_on_disk(
    host: Host, kernel: str | None, installed: dict[str, DpkgEntry]
) -> tuple[str | None, str | None, str | None]:
    """(version, flavour, SIGNED | DKMS | None) of the nvidia module the running kernel would
    load now: what `modinfo nvidia` shows, else what the packages put there."""
    info = proc_version.parse_modinfo(host.read("modinfo-nvidia.txt") or "")
    if info.get("version"):
        path, signer = info.get("filename", ""), info.get("signer", "")
        if CANONICAL_SIGNER in signer:
            source: str | None = SIGNED
        elif DKMS_FOLDER in path or _has_dkms_package(installed):
            source = DKMS
        else:
            source = None
        return info["version"], modinfo_flavor(info.get("license")), source
    if not kernel:
        return None, None, None
    for name in installed:
        if name.startswith("linux-modules-nvidia-") and name.endswith(f"-{kernel}"):
            flavour = name.removeprefix("linux-modules-nvidia-").removesuffix(f"-{kernel}")
            version = _library_version(installed, flavour.removesuffix("-open"))
            return version, "open" if flavour.endswith("-open") else "proprietary", SIGNED
    built = [
        row
        for row in dkms.parse_dkms_status(host.read("dkms-status.txt") or "")
        if row.kernel == kernel and row.status == "installed" and row.module.startswith("nvidia")
    ]
    if built and _has_dkms_package(installed):
        return built[0].version, _dkms_flavor(installed), DKMS
    return None, None, None


def _has_dkms_package(installed: dict[str, DpkgEntry]) -> bool:
    return any(n.startswith("nvidia-dkms-") or kernel_dkms_flavour(n) for n in installed)


def _dkms_flavor(installed: dict[str, DpkgEntry]) -> str | None:
    for name in installed:
        if name.startswith("nvidia-dkms-"):
            return "open" if name.endswith("-open") else "proprietary"
        if kernel_dkms_flavour(name):
            return kernel_dkms_flavour(name)
    return None


def _library_version(installed: dict[str, DpkgEntry], base_flavour: str) -> str | None:
    entry = installed.get(f"{_COMPUTE_LIBRARY}{base_flavour}")
    return upstream_version(entry.version) if entry is not None else None


def _driver_name(installed: dict[str, DpkgEntry], kernel: str | None) -> str | None:
    """ "nvidia-driver-580-server-open" from the installed packages (headless installs carry
    the flavour in nvidia-headless-no-dkms-*, signed modules in linux-modules-nvidia-*);
    Debian's driver or kernel-dkms package name."""
    for prefix in _FLAVOUR_PREFIXES:
        for name in sorted(installed):
            if name.startswith(prefix):
                driver = parse_driver_package("nvidia-driver-" + name.removeprefix(prefix))
                if driver is not None:
                    return driver.name
    for name in sorted(installed):
        if kernel and name.startswith("linux-modules-nvidia-") and name.endswith(f"-{kernel}"):
            flavour = name.removeprefix("linux-modules-nvidia-").removesuffix(f"-{kernel}")
            driver = parse_driver_package(f"nvidia-driver-{flavour}")
            if driver is not None:
                return driver.name
    debian = sorted(n for n in installed if kernel_dkms_flavour(n))
    return debian[0] if debian else None


def _nvidia_modules(modules: list[LsmodEntry]) -> list[LsmodEntry]:
    found = [m for m in modules if km.module_role(m.name) is not None]
    return sorted(found, key=lambda m: km.unload_rank(m.name))


def _nvidia_devices(host: Host) -> list[PciDevice]:
    """The NVIDIA display devices (class 03xx) with their bound driver: sysfs, else lspci."""
    devices = sysfs_pci.parse_sysfs_pci(host.read("sysfs-pci.txt") or "")
    devices = devices or lspci.parse_lspci(host.read("lspci-nn.txt") or "")
    return [d for d in devices if d.vendor_id == "10de" and (d.class_code or "03").startswith("03")]


def pending_kernel_package(host: Host, kernel: str | None, packages: list[DpkgEntry]) -> str | None:
    """The kernel package a pending reboot is for: named in reboot-required.pkgs, or, where
    only reboot-required says a reboot is pending, a linux-image newer than the running one."""
    named = misc.parse_reboot_required_pkgs(host.read("reboot-required-pkgs.txt") or "")
    for name in named:
        if KERNEL_IMAGE_RE.match(name) or name == "linux-base":
            return name
    if named or host.read("reboot-required.txt") is None or not kernel:
        return None
    newer = [
        p.name
        for p in packages
        if p.state[1:2] == "i"
        and (match := KERNEL_IMAGE_RE.match(p.name)) is not None
        and kernel_release_key(match.group(1)) > kernel_release_key(kernel)
    ]
    return max(newer, key=lambda n: kernel_release_key(n), default=None)


def reboot_required_for(host: Host, kernel: str | None, packages: list[DpkgEntry]) -> list[str]:
    """The packages a pending reboot is for: reboot-required.pkgs' names, or where it names
    none, a linux-image newer than the running kernel; [] where no reboot is pending or what
    asked for it is not known."""
    if host.read("reboot-required.txt") is None:
        return []
    named = misc.parse_reboot_required_pkgs(host.read("reboot-required-pkgs.txt") or "")
    pending = pending_kernel_package(host, kernel, packages)
    return named or ([pending] if pending else [])


def reboot_comes_first(host: Host) -> str | None:
    """Why loading the installed driver without a reboot is ruled out until the machine boots
    again, whatever else changes: a kernel update waits for that reboot (which loads the new
    driver too; `decide_activation` refuses for it). Advice that offers `nvwizard activate`
    leaves it out while this holds. None: nothing rules it out until then."""
    host = host.fresh()
    kernel = uname.parse_uname_r(host.read("uname-r.txt") or "")
    pending = pending_kernel_package(host, kernel, _packages(host))
    return pending_kernel_reason(pending) if pending is not None else None
