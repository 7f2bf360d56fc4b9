"""Canonical's signed NVIDIA kernel modules that apt offers for the running kernel.

Two kinds of package (Ubuntu's linux-restricted-modules and linux-meta sources):
- the ABI package, built for one kernel: `linux-modules-nvidia-580-open-6.8.0-87-generic`;
- the meta package of a kernel flavour series, which depends on the newest ABI package and so
  follows kernel updates: `linux-modules-nvidia-580-open-generic`, or
  `linux-modules-nvidia-580-open-generic-hwe-22.04` on an HWE kernel. `ubuntu-drivers install`
  installs it; without it the next kernel update boots with no NVIDIA module.

Which series follows the running kernel is what ubuntu-drivers reads from the installed linux
meta package (linux-generic vs linux-generic-hwe-22.04). Best first: the series of an
installed linux/linux-image/linux-headers meta package; the meta that depends on the running
kernel's ABI package; the meta whose version is the running kernel's (linux-meta versions
start with the kernel version, "5.15.0.164.164" or "6.17.0-14.14~24.04.1"); the only series
apt offers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from nvwizard.detect.models import AptPackage
from nvwizard.knowledge.packages import kernel_meta_flavours

PREFIX = "linux-modules-nvidia-"
_KERNEL_BASE_RE = re.compile(r"^(\d+\.\d+\.\d+)")
# the driver flavour between the prefix and the kernel part: "580", "580-server-open"
_DRIVER_FLAVOUR = r"\d{3}(?:-server)?(?:-open)?"


def abi_packages(apt_packages: Iterable[AptPackage], kernel: str | None) -> list[str]:
    """The signed-module packages apt offers for exactly this kernel release."""
    if not kernel:
        return []
    suffix = f"-{kernel}"
    names = {
        p.package
        for p in apt_packages
        if p.package.startswith(PREFIX) and p.package.endswith(suffix)
    }
    return sorted(names)


def _metas_of(apt_packages: Sequence[AptPackage], meta_flavour: str) -> list[AptPackage]:
    pattern = re.compile(rf"^{PREFIX}{_DRIVER_FLAVOUR}-{re.escape(meta_flavour)}$")
    return [p for p in apt_packages if pattern.match(p.package)]


def _depends_on_running_abi(meta: AptPackage, kernel: str) -> bool:
    return any(
        alternative.strip().split(" ", 1)[0].endswith(f"-{kernel}")
        for clause in meta.depends
        for alternative in clause.split("|")
    )


def _same_kernel_series(meta: AptPackage, kernel: str) -> bool:
    match = _KERNEL_BASE_RE.match(kernel)
    if match is None:
        return False
    version = (meta.version or "").split(":", 1)[-1]
    return re.match(rf"^{re.escape(match.group(1))}[.-]", version) is not None


def following_meta_flavour(
    apt_packages: Sequence[AptPackage],
    kernel: str | None,
    os_version: str | None,
    installed_names: Iterable[str] = (),
) -> str | None:
    """The kernel meta flavour ("generic", "generic-hwe-22.04") that follows this kernel."""
    if not kernel:
        return None
    offered = {f: _metas_of(apt_packages, f) for f in kernel_meta_flavours(kernel, os_version)}
    offered = {f: metas for f, metas in offered.items() if metas}
    if not offered:
        return None
    installed = set(installed_names)
    for flavour in offered:
        if {f"linux-image-{flavour}", f"linux-{flavour}", f"linux-headers-{flavour}"} & installed:
            return flavour
    for test in (_depends_on_running_abi, _same_kernel_series):
        for flavour, metas in offered.items():
            if any(test(meta, kernel) for meta in metas):
                return flavour
    return next(iter(offered)) if len(offered) == 1 else None


def meta_packages(
    apt_packages: Sequence[AptPackage],
    kernel: str | None,
    os_version: str | None,
    installed_names: Iterable[str] = (),
) -> list[str]:
    """The signed-module meta packages of the series that follows the running kernel."""
    flavour = following_meta_flavour(apt_packages, kernel, os_version, installed_names)
    if flavour is None:
        return []
    return sorted({p.package for p in _metas_of(apt_packages, flavour)})


def signed_modules_available(
    apt_packages: Sequence[AptPackage],
    kernel: str | None,
    os_version: str | None,
    installed_names: Iterable[str] = (),
) -> list[str]:
    """ABI packages for the running kernel plus the meta packages that follow it."""
    return sorted(
        abi_packages(apt_packages, kernel)
        + meta_packages(apt_packages, kernel, os_version, installed_names)
    )
