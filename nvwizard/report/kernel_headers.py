"""The kernel metapackages installed on an Ubuntu machine for the running kernel's flavour
(linux-image-generic, linux-image-generic-hwe-22.04, linux-image-virtual for a generic kernel),
and the headers metapackages apt offers beside them: a plan whose module DKMS builds installs
those, so that each kernel an update brings comes with its headers and DKMS builds the module
for it before it boots. (host/apt_show_query.py asks apt for the headers metapackages of the
running flavour.)

Debian's kernels name their headers metapackage themselves (knowledge/debian.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nvwizard.detect.models import AptPackage, DpkgEntry
from nvwizard.knowledge.packages import headers_metapackage, installs_kernels_like


def kernel_metapackages(
    packages: Iterable[DpkgEntry], os_id: str | None, kernel: str | None
) -> list[str]:
    """The installed linux-image-<series> metapackages of the running kernel's flavour (none
    on Debian, none for a kernel not of Ubuntu's form)."""
    if os_id == "debian" or not kernel:
        return []
    return sorted(
        p.name for p in packages if p.state[1:2] == "i" and installs_kernels_like(p.name, kernel)
    )


def offered_headers_metapackages(
    image_metas: Sequence[str], apt_packages: Sequence[AptPackage]
) -> list[str]:
    """The headers metapackage of each of `image_metas` that apt offers."""
    offered = {p.package for p in apt_packages}
    siblings = (headers_metapackage(name) for name in image_metas)
    return [name for name in siblings if name is not None and name in offered]
