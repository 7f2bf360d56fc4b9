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
| gpu-processes | warn | processes use the GPU: a purge or driver change kills them |
| reboot-required | warn | /var/run/reboot-required exists |
| kernel-older-than-installed | warn | a newer linux-image than the running kernel is installed |
| held-packages | warn | packages are on hold (`apt-mark showhold`) |
| mixed-driver-sources | warn | CUDA-repository packages or sources plus archive drivers |
| low-disk | warn | under 2 GiB free on / or /var |
| run-installer | block | a .run-installed driver is present (info when only its old log is) |
| open-impossible | info | a GPU cannot run the open modules (Maxwell/Pascal/Volta/older) |
| open-required | info | a GPU runs only the open kernel modules (Blackwell, Grace Hopper, newer) |
| over-ssh | info | nvwizard runs over SSH |
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nvwizard.detect.models import DpkgEntry
from nvwizard.knowledge.packages import parse_driver_package
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.models import Finding, Report

LOW_DISK_KIB = 2 * 1024 * 1024  # apt needs room for ~1 GiB of driver packages and DKMS builds
CUDA_REPO_URL = "developer.download.nvidia.com/compute/cuda"
_KERNEL_IMAGE_RE = re.compile(r"^linux-image-(?:unsigned-)?(\d[\w.+~-]*)$")


def _present(entry: DpkgEntry) -> bool:
    """Files of the package are on disk (installed, unpacked or half-configured)."""
    return len(entry.state) >= 2 and entry.state[1] not in "nc"


def _gpu_words(report: Report) -> str:
    first = report.gpus[0]
    name = first.name or f"device {first.device_id}"
    extra = f" (and {len(report.gpus) - 1} more)" if len(report.gpus) > 1 else ""
    return f"{name}{extra}"


def upstream_version(version: str | None) -> str | None:
    """ "1:550.163.01-0ubuntu0.22.04.1" -> "550.163.01"."""
    if not version:
        return None
    return version.split(":", 1)[-1].split("-", 1)[0].strip() or None


def no_nvidia_gpu(report: Report, facts: ExtraFacts) -> Finding | None:
    if report.gpus:
        return None
    return Finding(
        "no-nvidia-gpu",
        "info",
        "No NVIDIA GPU was found on this machine.",
        "Nothing to install; check `lspci -nn | grep -i nvidia` if a GPU should be present.",
    )


def nouveau_loaded(report: Report, facts: ExtraFacts) -> Finding | None:
    if not (report.nouveau_loaded and report.gpus):
        return None
    return Finding(
        "nouveau-loaded",
        "warn",
        "The open-source nouveau driver is loaded and holds the GPU.",
        "The NVIDIA packages blacklist nouveau; reboot after the install (mandatory).",
    )


def secure_boot_dkms_only(report: Report, facts: ExtraFacts) -> Finding | None:
    if report.secure_boot != "enabled" or not report.gpus:
        return None
    if report.os_id == "debian":
        return Finding(
            "secure-boot-dkms-only",
            "warn",
            "Secure Boot is on and Debian builds NVIDIA modules with DKMS only: the module is "
            "signed with DKMS's own key, which Secure Boot rejects until it is enrolled.",
            "Enroll DKMS's key once (`sudo mokutil --import /var/lib/dkms/mok.pub`) and confirm "
            "it at the next boot on the console or BMC (impossible over SSH alone), or turn "
            "Secure Boot off.",
        )
    fix = (
        "Pick a driver whose signed modules exist for this kernel, or plan console/BMC access "
        "to enroll a MOK at the next boot (impossible over SSH alone), or turn Secure Boot off."
    )
    kernel_suffix = f"-{report.kernel}" if report.kernel else None
    if not any(
        kernel_suffix and n.endswith(kernel_suffix) for n in report.signed_modules_available
    ):
        return Finding(
            "secure-boot-dkms-only",
            "warn",
            f"Secure Boot is on and apt offers no signed precompiled NVIDIA modules for kernel "
            f"{report.kernel or '(unknown)'}: only a DKMS-built module, which Secure Boot "
            "rejects until its key is enrolled.",
            fix,
        )
    recommended = parse_driver_package(report.recommended_driver or "")
    if recommended and report.kernel:
        wanted = recommended.signed_modules_for_kernel(report.kernel)
        if wanted not in report.signed_modules_available:
            return Finding(
                "secure-boot-dkms-only",
                "warn",
                f"Secure Boot is on and no signed modules exist for {recommended.name} on kernel "
                f"{report.kernel}; it would need a DKMS-built module and a MOK enrollment.",
                fix,
            )
    return None


def _installed_library_versions(report: Report) -> set[str]:
    versions = set()
    for entry in report.installed_packages:
        if entry.name.startswith(("libnvidia-compute-", "nvidia-utils-")) and _present(entry):
            upstream = upstream_version(entry.version)
            if upstream:
                versions.add(upstream)
    return versions


def nvml_mismatch(report: Report, facts: ExtraFacts) -> Finding | None:
    loaded = report.loaded_module.version if report.loaded_module else None
    smi = report.nvidia_smi
    libraries = _installed_library_versions(report)
    if smi and smi.nvml_library_version and not libraries:
        libraries.add(smi.nvml_library_version)
    differs = bool(loaded and libraries and any(v != loaded for v in libraries))
    if not differs and not (smi and smi.status == "version-mismatch"):
        return None
    library_words = ", ".join(sorted(libraries)) or "a different version"
    return Finding(
        "nvml-mismatch",
        "warn",
        f"The loaded kernel module ({loaded or 'unknown version'}) differs from the installed "
        f"NVIDIA libraries ({library_words}): nvidia-smi and CUDA fail with "
        "'Driver/library version mismatch'.",
        "Reboot to load the installed module; to stop unattended-upgrades repeating it, hold "
        "the driver packages (apt-mark hold) or blacklist them in unattended-upgrades.",
    )


def dpkg_interrupted(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.dpkg_interrupted:
        return None
    return Finding(
        "dpkg-interrupted",
        "block",
        "dpkg was interrupted: an earlier package operation did not finish.",
        "Run `sudo dpkg --configure -a` before changing the driver.",
    )


def half_configured_packages(report: Report, facts: ExtraFacts) -> Finding | None:
    broken = [f"{e.name} ({e.state})" for e in report.unfinished_packages]
    if not broken:
        return None
    return Finding(
        "half-configured-packages",
        "block",
        f"NVIDIA packages are not fully installed: {', '.join(broken)}.",
        "Run `sudo dpkg --configure -a` to finish configuring them "
        "(then `sudo apt-get -f install` if dependencies are missing).",
    )


def dpkg_lock_held(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.lock_holders:
        return None
    # One process often holds several locks (lock-frontend and lock): name it once.
    by_pid = {h.pid: h.name for h in report.lock_holders}
    holders = ", ".join(f"{name} (pid {pid})" for pid, name in by_pid.items())
    return Finding(
        "dpkg-lock-held",
        "warn",
        f"The dpkg/apt lock is held by {holders}.",
        "Wait for it to finish (nvwizard waits with a visible timeout); never delete lock files.",
    )


def gpu_processes(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.gpu_processes:
        return None
    shown = report.gpu_processes[:5]
    listed = ", ".join(f"{p.name} (pid {p.pid}{', ' + p.user if p.user else ''})" for p in shown)
    more = (
        f" and {len(report.gpu_processes) - len(shown)} more"
        if len(report.gpu_processes) > 5
        else ""
    )
    return Finding(
        "gpu-processes",
        "warn",
        f"{len(report.gpu_processes)} process(es) use the GPU: {listed}{more}; a purge or "
        "driver change kills them.",
        "Stop or drain these jobs first.",
    )


def reboot_required(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.reboot_required:
        return None
    return Finding(
        "reboot-required",
        "warn",
        "A reboot is already pending (/var/run/reboot-required).",
        "Reboot first, so the driver is installed for the kernel that will run.",
    )


def kernel_release_key(release: str) -> tuple[int, ...]:
    """ "6.8.0-87-generic" -> (6, 8, 0, 87): compares kernel releases of any flavour."""
    return tuple(int(n) for n in re.findall(r"\d+", release)[:4])


def newest_installed_kernel(facts: ExtraFacts) -> str | None:
    releases = []
    for entry in facts.all_packages:
        match = _KERNEL_IMAGE_RE.match(entry.name)
        if match and _present(entry):
            releases.append(match.group(1))
    return max(releases, key=kernel_release_key, default=None)


def kernel_older_than_installed(report: Report, facts: ExtraFacts) -> Finding | None:
    newest = newest_installed_kernel(facts)
    if not (report.kernel and newest):
        return None
    if kernel_release_key(newest) <= kernel_release_key(report.kernel):
        return None
    return Finding(
        "kernel-older-than-installed",
        "warn",
        f"The running kernel {report.kernel} is older than the installed {newest}, which the "
        "next boot will use.",
        f"Reboot into {newest} first, or make sure the driver's modules exist for it too.",
    )


def held_packages(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.held_packages:
        return None
    names = " ".join(report.held_packages)
    return Finding(
        "held-packages",
        "warn",
        f"Packages are on hold: {', '.join(report.held_packages)}; apt will not change them.",
        f"Release them if the driver change needs to: `sudo apt-mark unhold {names}`.",
    )


def _cuda_repo_packages(report: Report, facts: ExtraFacts) -> list[str]:
    names = []
    nvidia_origin = {
        (p.package, p.version) for p in facts.apt_packages if (p.origin or "").lower() == "nvidia"
    }
    unnumbered = ("nvidia-open", "cuda-drivers") + (
        ("nvidia-driver",) if report.os_id == "ubuntu" else ()
    )
    for entry in report.installed_packages:
        if not _present(entry):
            continue
        if (
            entry.name in unnumbered
            or entry.name.startswith("cuda-drivers-")
            or (entry.name, entry.version) in nvidia_origin
        ):
            names.append(entry.name)
    return names


def _archive_driver_packages(report: Report, facts: ExtraFacts) -> list[str]:
    nvidia_origin = {
        (p.package, p.version) for p in facts.apt_packages if (p.origin or "").lower() == "nvidia"
    }
    return [
        e.name
        for e in report.installed_packages
        if _present(e)
        and (parse_driver_package(e.name) or e.name.startswith("linux-modules-nvidia-"))
        and (e.name, e.version) not in nvidia_origin
    ]


def _cuda_repo_configured(report: Report, facts: ExtraFacts) -> bool:
    keyring = any(e.name == "cuda-keyring" and _present(e) for e in facts.all_packages)
    return keyring or any(CUDA_REPO_URL in line for line in facts.apt_sources)


def mixed_driver_sources(report: Report, facts: ExtraFacts) -> Finding | None:
    archive = _archive_driver_packages(report, facts)
    if not archive:
        return None
    fix = (
        "Keep one source per host: purge one set completely, and remove the CUDA repository "
        "(or pin it) if the driver comes from the Ubuntu archive."
    )
    cuda = _cuda_repo_packages(report, facts)
    if cuda:
        return Finding(
            "mixed-driver-sources",
            "warn",
            f"Driver packages from NVIDIA's CUDA repository ({', '.join(cuda)}) are installed "
            f"alongside archive driver packages ({', '.join(archive[:3])}).",
            fix,
        )
    if _cuda_repo_configured(report, facts):
        return Finding(
            "mixed-driver-sources",
            "warn",
            "NVIDIA's CUDA apt repository is configured while the driver comes from the "
            f"distribution archive ({', '.join(archive[:3])}); an upgrade can pull its "
            "cuda-drivers/nvidia-open packages over it.",
            fix,
        )
    return None


def low_disk(report: Report, facts: ExtraFacts) -> Finding | None:
    low = [d for d in facts.disk if d.mount in ("/", "/var") and d.available_kib < LOW_DISK_KIB]
    if not low:
        return None
    where = ", ".join(f"{d.mount} ({d.available_kib / 1024 / 1024:.1f} GiB free)" for d in low)
    return Finding(
        "low-disk",
        "warn",
        f"Too little free disk space: {where}; a driver install needs about 2 GiB.",
        "Free space first, e.g. `sudo apt-get clean` and removing old kernels.",
    )


RUN_INSTALLER_BINARIES = ("/usr/bin/nvidia-uninstall", "/usr/bin/nvidia-installer")


def run_installer(report: Report, facts: ExtraFacts) -> Finding | None:
    traces = [line.strip() for line in facts.run_installer_traces]
    if facts.manual_install or any(t in RUN_INSTALLER_BINARIES for t in traces):
        return Finding(
            "run-installer",
            "block",
            "A driver installed by NVIDIA's .run installer is present; apt packages would "
            "conflict with its files.",
            "Remove it first with `sudo nvidia-uninstall` (or `sudo nvidia-installer "
            "--uninstall`).",
        )
    if any(t.endswith("nvidia-installer.log") for t in traces):
        # The log outlives `nvidia-uninstall`, so alone it only hints at an old install.
        return Finding(
            "run-installer",
            "info",
            "NVIDIA's .run installer was used here once (/var/log/nvidia-installer.log exists), "
            "but its uninstaller is gone.",
            "Nothing to do unless `nvidia-smi` works with no driver package installed.",
        )
    return None


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


def over_ssh(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.over_ssh:
        return None
    return Finding(
        "over-ssh",
        "info",
        "You are connected over SSH: the reboot will end this session.",
        "nvwizard runs the install outside your SSH session; reconnect after the reboot and "
        "run `nvwizard verify`.",
    )


CHECKS: tuple[Callable[[Report, ExtraFacts], Finding | None], ...] = (
    no_nvidia_gpu,
    dpkg_interrupted,
    half_configured_packages,
    run_installer,
    nvml_mismatch,
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
    over_ssh,
)

_SEVERITY_ORDER = {"block": 0, "warn": 1, "info": 2}


def find_all(report: Report, facts: ExtraFacts | None = None) -> list[Finding]:
    """Every finding that fires, most severe first (stable within a severity)."""
    facts = facts or ExtraFacts()
    found = [f for check in CHECKS if (f := check(report, facts)) is not None]
    return sorted(found, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3))
