"""Findings about the installed driver: its source, its libraries, Secure Boot, .run installs."""

from __future__ import annotations

from nvwizard.host.demo_advice import on_a_real_machine
from nvwizard.knowledge import secure_boot as sb
from nvwizard.knowledge.packages import is_driver_package, parse_driver_package
from nvwizard.report.driver_runs import installed_library_versions
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings.common import (
    CUDA_REPO_URL,
    api_mismatch_evidence,
    by_hand,
    present,
)
from nvwizard.report.models import Finding, Report
from nvwizard.report.secure_boot import on_a_demo


def secure_boot_dkms_only(report: Report, facts: ExtraFacts) -> Finding | None:
    if report.secure_boot != "enabled" or not report.gpus:
        return None
    if report.os_id == "debian":
        return Finding(
            "secure-boot-dkms-only",
            "warn",
            "Secure Boot is on and Debian builds NVIDIA modules with DKMS only: the module is "
            "signed with DKMS's own key, which Secure Boot rejects until it is enrolled"
            + (f" ({sb.demo_rejects('it')})." if on_a_demo(report) else "."),
            by_hand(
                report,
                f"Enrol DKMS's key once: after the install, {sb.enrolment(report.os_id)} (not "
                "possible over SSH alone); or turn Secure Boot off.",
            ),
        )
    fix = _enrol_fix(report, "Pick a driver whose signed modules exist for this kernel")
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


def _enrol_fix(report: Report, first: str) -> str:
    """`first`, then how the key of a module DKMS builds is enrolled (on a demo, what the demo
    does with such a module, and the enrolment as a real machine's)."""
    if on_a_demo(report):
        return f"{first}: {sb.demo_rejects('a DKMS-built module')}. " + on_a_real_machine(
            f"A module DKMS builds loads once its key is enrolled: after the install, "
            f"{sb.enrolment(report.os_id)}; or turn Secure Boot off."
        )
    return (
        f"{first}; or, for a module DKMS builds, enrol its key: after the install, "
        f"{sb.enrolment(report.os_id)} (not possible over SSH alone); or turn Secure Boot off."
    )


def nvml_mismatch(report: Report, facts: ExtraFacts) -> Finding | None:
    loaded = report.loaded_module.version if report.loaded_module else None
    smi = report.nvidia_smi
    libraries = installed_library_versions(report)
    if smi and smi.nvml_library_version and not libraries:
        libraries.add(smi.nvml_library_version)
    differs = bool(loaded and libraries and any(v != loaded for v in libraries))
    if not differs and not (smi and smi.status == "version-mismatch"):
        return None
    library_words = ", ".join(sorted(libraries)) or "a different version"
    logged = api_mismatch_evidence(report)
    return Finding(
        "nvml-mismatch",
        "warn",
        f"The loaded kernel module ({loaded or 'unknown version'}) differs from the installed "
        f"NVIDIA libraries ({library_words}): nvidia-smi and CUDA fail with "
        "'Driver/library version mismatch'"
        + (f"; this boot's kernel log shows it too ({logged})." if logged else "."),
        "Reboot to load the installed module. "
        + by_hand(
            report,
            "To stop unattended-upgrades repeating it, hold the driver packages (`sudo apt-mark "
            "hold ...`) or blacklist them in unattended-upgrades.",
        ),
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
        if not present(entry):
            continue
        if (
            entry.name in unnumbered
            or entry.name.startswith("cuda-drivers-")
            # the repository's toolkit, cuDNN and keyring are no driver packages
            or ((entry.name, entry.version) in nvidia_origin and is_driver_package(entry.name))
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
        if present(e)
        and (parse_driver_package(e.name) or e.name.startswith("linux-modules-nvidia-"))
        and (e.name, e.version) not in nvidia_origin
    ]


def _cuda_repo_configured(report: Report, facts: ExtraFacts) -> bool:
    keyring = any(e.name == "cuda-keyring" and present(e) for e in facts.all_packages)
    return keyring or any(CUDA_REPO_URL in e.uri for e in facts.apt_sources)


# the file nvwizard's plans write (knowledge/cuda.py's PIN_FILE; the report layer names it)
PIN_FILE = "/etc/apt/preferences.d/nvwizard-cuda-repository-drivers"


def _pin_words(report: Report) -> str:
    archive = "Debian's archive" if report.os_id == "debian" else "the Ubuntu archive"
    return (
        f"writes an apt pin ({PIN_FILE}, priority -1 for the CUDA repository's "
        f"driver packages) before it installs the driver from {archive}"
    )


def mixed_driver_sources(report: Report, facts: ExtraFacts) -> Finding | None:
    archive = _archive_driver_packages(report, facts)
    if not archive:
        return None
    cuda = _cuda_repo_packages(report, facts)
    if cuda:
        return Finding(
            "mixed-driver-sources",
            "warn",
            f"Driver packages from NVIDIA's CUDA repository ({', '.join(cuda)}) are installed "
            f"alongside archive driver packages ({', '.join(archive[:3])}).",
            "Keep one source per host: purge one set completely"
            + (
                f"; nvwizard's plan {_pin_words(report)}, so no upgrade brings the "
                "repository's driver back."
                if report.stack.cuda_repo and not report.stack.cuda_repo_driver_pin
                else ", and remove the CUDA repository (or pin it) if the driver comes from "
                "the distribution's archive."
            ),
        )
    if _cuda_repo_configured(report, facts) and not report.stack.cuda_repo_driver_pin:
        return Finding(
            "mixed-driver-sources",
            "warn",
            "NVIDIA's CUDA apt repository is configured while the driver comes from the "
            f"distribution archive ({', '.join(archive[:3])}); an upgrade can pull its "
            "cuda-drivers/nvidia-open packages over it.",
            f"Installing the driver with nvwizard does it: its plan {_pin_words(report)}, so no "
            "upgrade switches the driver's source. "
            + by_hand(report, "By hand, write such a pin or remove the CUDA repository."),
        )
    return None


RUN_INSTALLER_BINARIES = ("/usr/bin/nvidia-uninstall", "/usr/bin/nvidia-installer")


def run_installer(report: Report, facts: ExtraFacts) -> Finding | None:
    traces = [line.strip() for line in facts.run_installer_traces]
    if facts.manual_install or any(t in RUN_INSTALLER_BINARIES for t in traces):
        return Finding(
            "run-installer",
            "block",
            "A driver installed by NVIDIA's .run installer is present; apt packages would "
            "conflict with its files.",
            by_hand(
                report,
                "Remove it first with `sudo nvidia-uninstall` (or `sudo nvidia-installer "
                "--uninstall`).",
            ),
        )
    if any(t.endswith("nvidia-installer.log") for t in traces):
        # The log outlives `nvidia-uninstall`, so alone it only hints at an old install.
        return Finding(
            "run-installer",
            "info",
            "NVIDIA's .run installer was used here once (/var/log/nvidia-installer.log exists), "
            "but its uninstaller is gone.",
            by_hand(
                report, "Nothing to do unless `nvidia-smi` works with no driver package installed."
            ),
        )
    return None
