"""Which driver, and what installing it takes: the driver name checked against this machine,
the packages (headless or desktop; Canonical's signed modules for the running kernel, else
DKMS plus headers; Debian's names through plan/debian.py) and the install step."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from nvwizard.errors import RefusedError, UsageError, shown
from nvwizard.knowledge.debian import DebianDriver, parse_debian_driver
from nvwizard.knowledge.packages import (
    DriverPackage,
    headers_metapackage,
    kernel_meta_flavours,
    parse_driver_package,
    ubuntu_kernel_flavour,
)
from nvwizard.plan import models as pm
from nvwizard.plan.apt import apt_get
from nvwizard.plan.debian import debian_branch, debian_install_lists, refuse_unless_installable
from nvwizard.plan.models import Choices, Step
from nvwizard.report.lifecycle import is_dead, lifecycle_words
from nvwizard.report.models import Report
from nvwizard.report.secure_boot import dkms_plan_warning


def parse_any_driver(report: Report, name: str) -> DriverPackage | DebianDriver | None:
    """Ubuntu's nvidia-driver-<branch>[-server][-open], or one of Debian's driver names."""
    driver = parse_driver_package(name)
    if driver is not None:
        return driver
    return parse_debian_driver(name, debian_branch(report, name)[0])


def check_driver_name(name: str) -> None:
    """Refuse a --driver that is no NVIDIA driver package name on any release: what plan
    checks whatever the machine, and `export` before it writes a playbook."""
    if parse_driver_package(name) is None and parse_debian_driver(name) is None:
        raise UsageError(
            f"--driver {shown(name)!r}: not an NVIDIA driver package name "
            "(expected nvidia-driver-<branch>[-server][-open], e.g. nvidia-driver-580-server-open, "
            "or on Debian nvidia-driver, nvidia-open-kernel-dkms, nvidia-tesla-<branch>-driver)"
        )


def named_branch(name: str) -> int | None:
    """The branch a driver's name gives whatever the machine (nvidia-driver-570-server: 570,
    nvidia-tesla-535-driver: 535); None when only the machine's apt knows it (Debian's
    nvidia-driver) or the name is no driver's."""
    driver = parse_driver_package(name) or parse_debian_driver(name)
    return driver.branch if driver is not None else None


def validate_driver(report: Report, name: str) -> tuple[DriverPackage | DebianDriver, list[str]]:
    """The parsed driver and warnings, or a refusal before anything runs."""
    said = shown(name)  # as the messages echo it: --driver may be anything, of any length
    driver = parse_any_driver(report, name)
    legacy = report.candidate(name)
    if driver is None and legacy is not None and legacy.legacy_name:
        raise RefusedError(
            f"{said} is an old-style package (branch {legacy.branch}) that nvwizard does not "
            f"install: use `{shlex.join(['sudo', 'apt-get', 'install', said])}` on that release, "
            "or a newer release"
        )
    if driver is None:
        check_driver_name(name)
        raise AssertionError(f"{name!r} parses as no driver, yet check_driver_name passed")
    warnings: list[str] = []
    if isinstance(driver, DebianDriver):
        refuse_unless_installable(report, driver)
        warnings += [w for w in debian_branch(report, name)[1:] if w]
    candidate = report.candidate(name)
    if candidate is not None and not candidate.runnable:
        raise RefusedError(
            f"{said} cannot run on this machine: {candidate.reason or 'unsupported'}"
        )
    _refuse_if_a_gpu_cannot_run(report, said, driver)
    if candidate is not None and is_dead(candidate):  # as the report judged it, on its day
        words = lifecycle_words(candidate)
        warnings.append(
            f"{words[0].upper()}{words[1:]}: NVIDIA no longer fixes bugs or security issues in it."
        )
    if report.has_nvidia_gpu and candidate is None and report.driver_candidates:
        runnable = [c.package for c in report.driver_candidates if c.runnable]
        offered = f"offered: {', '.join(runnable)}" if runnable else "none offered can run here"
        raise UsageError(f"--driver {said}: not offered for this machine ({offered})")
    if candidate is None:
        warnings += _refuse_unless_apt_offers(report, name, said)
    if not report.has_nvidia_gpu:
        warnings.append(
            f"No NVIDIA GPU was found: installing {said} anyway, as asked (e.g. an image build)."
        )
    return driver, warnings


def _refuse_unless_apt_offers(report: Report, name: str, said: str) -> list[str]:
    """A driver no candidate names (no GPU, or none ranked): refused where apt's listing lacks
    it; where there is no listing to check (a bundle without apt-cache-show.txt), a warning."""
    offered = report.apt_drivers
    if offered is None:
        return [
            f"No list of what apt offers here (apt-cache show): cannot check that apt offers "
            f"{said}; apt's simulation will show whether it does."
        ]
    if name not in offered:
        listed = ", ".join(offered) if offered else "no NVIDIA driver package"
        raise UsageError(f"--driver {said}: apt does not offer it here (offered: {listed})")
    return []


def _refuse_if_a_gpu_cannot_run(
    report: Report, said: str, driver: DriverPackage | DebianDriver
) -> None:
    for gpu in report.gpus:
        label = gpu.name or gpu.pci_address
        if driver.open and gpu.open_kernel == "unsupported":
            raise RefusedError(
                f"{said} cannot run on this machine: {label} ({gpu.architecture}) cannot use "
                "the open kernel modules; choose a variant without -open"
            )
        if not driver.open and gpu.open_kernel == "required":
            raise RefusedError(
                f"{said} cannot run on this machine: {label} ({gpu.architecture}) needs the "
                "open kernel modules; choose an -open variant"
            )


@dataclass(frozen=True, kw_only=True)
class InstallLists:
    """What the install step installs for a driver, and why that way."""

    packages: list[str]  # the driver's packages (fabric manager not included)
    modules: str  # "signed" (Canonical's precompiled) or "dkms"
    warnings: list[str]
    why: str  # the install step's reason


def install_lists(
    report: Report, choices: Choices, driver: DriverPackage | DebianDriver
) -> InstallLists:
    """The packages for an Ubuntu or a Debian driver."""
    if isinstance(driver, DebianDriver):
        packages, warnings, why = debian_install_lists(report, choices, driver)
        if report.nvswitch_count:
            warnings.append(
                "This NVSwitch machine needs NVIDIA fabric manager, which Debian does not "
                "package: install it from NVIDIA's repository at the driver's exact version."
            )
        return InstallLists(packages=packages, modules="dkms", warnings=warnings, why=why)
    return _ubuntu_install_lists(report, choices, driver)


def _ubuntu_install_lists(report: Report, choices: Choices, driver: DriverPackage) -> InstallLists:
    packages = [driver.headless, driver.utils] if choices.headless else [driver.name]
    kernel = report.kernel
    available = set(report.signed_modules_available)
    signed = driver.signed_modules_for_kernel(kernel) if kernel else None
    if kernel and signed and signed in available:
        packages.append(signed)
        # The report lists only the meta packages of the series that follows this kernel.
        for flavour in kernel_meta_flavours(kernel, report.os_version):
            meta = driver.signed_modules_meta(flavour)
            if meta in available:
                packages.append(meta)  # follows kernel updates, so the next kernel has modules
                break
        why = (
            f"Canonical's precompiled, signed kernel modules for the running kernel {kernel} "
            "load under Secure Boot with no key enrollment."
        )
        return InstallLists(packages=packages, modules="signed", warnings=[], why=why)
    return _dkms_install_lists(report, driver, packages, choices.reboot)


def _dkms_install_lists(
    report: Report, driver: DriverPackage, packages: list[str], reboots: bool
) -> InstallLists:
    warnings: list[str] = []
    packages = [*packages, driver.dkms]
    kernel = report.kernel
    if kernel:
        packages.append(f"linux-headers-{kernel}")  # exactly the running kernel's
        packages += _headers_metapackages(report, kernel, warnings)
    else:
        warnings.append(
            "The running kernel is unknown: add its linux-headers package, DKMS needs it."
        )
    why = (
        f"No signed modules for kernel {kernel or '(unknown)'} exist for this branch, so DKMS "
        "builds the module here; under Secure Boot it loads only once the key DKMS signs it "
        "with is enrolled as a Machine Owner Key."
    )
    if report.secure_boot == "enabled":  # first: without it the driver does not load at all
        warnings.insert(0, dkms_plan_warning(report, driver.name, reboots))
    return InstallLists(packages=packages, modules="dkms", warnings=warnings, why=why)


def _headers_metapackages(report: Report, kernel: str, warnings: list[str]) -> list[str]:
    """The headers metapackages that follow the installed kernel metapackages, so DKMS builds
    the module for each new kernel too (the ABI headers serve the running one only)."""
    abi_only = f"nvwizard adds only linux-headers-{kernel}, and DKMS builds the module only"
    if ubuntu_kernel_flavour(kernel) is None:
        warnings.append(
            f"Kernel {kernel} is not one of Ubuntu's: no headers metapackage follows it, so "
            f"{abi_only} for kernels whose headers you install."
        )
        return []
    if report.headers_metapackages:
        return list(report.headers_metapackages)
    flavour = ubuntu_kernel_flavour(kernel)
    if report.kernel_metapackages:
        missing = ", ".join(headers_metapackage(m) or m for m in report.kernel_metapackages)
        found = (
            f"apt offers no {missing} beside the installed {', '.join(report.kernel_metapackages)}"
        )
    else:
        found = (
            f"No kernel metapackage (such as linux-image-{flavour}) is installed, so no headers "
            "metapackage follows the kernel updates"
        )
    warnings.append(
        f"{found}: {abi_only} for kernels whose headers are installed (e.g. through "
        f"linux-headers-{flavour}, where this machine follows the {flavour} kernels)."
    )
    return []


def install_step(
    choices: Choices, driver: DriverPackage | DebianDriver, why: str, packages: list[str]
) -> Step:
    """`apt-get install` of the driver's packages (and fabric manager's, when it is needed)."""
    recommends = ["--no-install-recommends"] if choices.headless else []
    what = "the headless compute stack" if choices.headless else "the desktop driver"
    return Step(
        id="install",
        title=f"Install {driver.name} ({what})",
        why=why,
        commands=[apt_get(choices, "install", *recommends, *packages)],
        changes_system=True,
        on_failure="Read the log for the failing package; `dpkg --configure -a` finishes a half "
        "configured one once the cause is fixed.",
        kind=pm.INSTALL,
    )
