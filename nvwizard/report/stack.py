"""The developer stack as the machine has it: CUDA toolkits (NVIDIA's repository, the
distribution's, a .run install), cuDNN, the container toolkit and the runtimes it is wired
into, NVIDIA's CUDA repository and what apt offers of each.

dpkg is the first witness (a toolkit installed from a repository is a package); the toolkit
folders under /usr/local (cuda-toolkits.txt) show the ones no package owns (the .run
installer's); the runtimes' own configuration shows whether the container toolkit was wired
into them (`docker info` first, /etc/docker/daemon.json when the daemon does not answer).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

from nvwizard.detect import apt_preferences, containers
from nvwizard.detect import cuda as cuda_parsers
from nvwizard.detect.apt_sources import AptSourceEntry
from nvwizard.detect.models import AptPackage, DpkgEntry
from nvwizard.host.base import Host
from nvwizard.knowledge import containers as ctk
from nvwizard.knowledge import cuda
from nvwizard.report.findings.common import CUDA_REPO_URL, present, upstream_version
from nvwizard.report.models import (
    ContainerToolkitInstall,
    CudaToolkitInstall,
    CudnnInstall,
    DevStack,
    StackOffers,
)

# A package of NVIDIA's repository for one toolkit release: cuda-nvcc-12-8, cuda-cudart-12-8.
_REPO_PART_RE = re.compile(r"^cuda-[a-z0-9-]+?-(\d+)-(\d+)$")
# libcudnn8's version names its CUDA: "8.9.7.29-1+cuda12.2"
_CUDNN8_CUDA_RE = re.compile(r"\+cuda(\d+)\.")

# The sources the stack is read from, all cheap (files, or commands that answer at once);
# docker-info.txt is read only where Docker is installed.
STACK_SOURCES = (
    "cuda-toolkits.txt",
    "apt-preferences.txt",
    "docker-daemon-json.txt",
    "containerd-config.txt",
    "crio-config.txt",
    "dpkg-architecture.txt",
)


def _installed(packages: Sequence[DpkgEntry]) -> dict[str, DpkgEntry]:
    return {p.name: p for p in packages if present(p)}


def toolkits(installed: dict[str, DpkgEntry], folders_text: str | None) -> list[CudaToolkitInstall]:
    found: dict[tuple[str, str], CudaToolkitInstall] = {}
    repo_releases = set()
    for name, entry in installed.items():
        version = cuda.parse_toolkit_package(name)
        if version is not None:
            found[(version, "nvidia-repo")] = CudaToolkitInstall(
                version,
                "nvidia-repo",
                f"/usr/local/cuda-{version}",
                upstream_version(entry.version),
                name,
            )
        match = _REPO_PART_RE.match(name)
        if match:
            repo_releases.add(f"{match.group(1)}.{match.group(2)}")
    distro = installed.get(cuda.DISTRO_TOOLKIT)
    distro_version = cuda.distro_toolkit_version(distro.version) if distro else None
    if distro is not None and distro_version:
        found[(distro_version, "distro")] = CudaToolkitInstall(
            distro_version, "distro", "/usr", upstream_version(distro.version), distro.name
        )
    folders = cuda_parsers.parse_cuda_folders(folders_text or "")
    for folder in folders.directories:
        version = cuda.major_minor(folder.version) or folder.path.rsplit("cuda-", 1)[-1]
        if cuda.major_minor(version) is None or version in repo_releases:
            continue
        if (version, "nvidia-repo") not in found:
            found[(version, "runfile")] = CudaToolkitInstall(
                version, "runfile", folder.path, folder.version
            )
    return sorted(found.values(), key=lambda t: (cuda.version_key(t.version), t.source))


def cuda_link(folders_text: str | None) -> str | None:
    return cuda_parsers.parse_cuda_folders(folders_text or "").cuda_link


def cudnn(installed: dict[str, DpkgEntry], toolkit_majors: list[int]) -> CudnnInstall | None:
    found = []
    for name, entry in installed.items():
        parsed = cuda.parse_cudnn_package(name)
        if parsed is not None and name.startswith("lib"):
            found.append(CudnnInstall(_three_parts(entry.version), parsed[1], name))
        elif name == "libcudnn8":
            match = _CUDNN8_CUDA_RE.search(entry.version or "")
            if match:
                found.append(CudnnInstall(_three_parts(entry.version), int(match.group(1)), name))
    if not found:
        return None
    matching = [c for c in found if c.cuda_major in toolkit_majors]
    return max(matching or found, key=lambda c: c.cuda_major)


def _three_parts(version: str | None) -> str | None:
    """ "9.10.2.21-1" -> "9.10.2"."""
    upstream = upstream_version(version)
    return ".".join(upstream.split(".")[:3]) if upstream else None


def runtimes_configured(host: Host, runtimes: list[str]) -> list[str]:
    configured = []
    if "docker" in runtimes:
        info = containers.parse_docker_info(host.read("docker-info.txt") or "")
        names = info.runtimes or containers.parse_daemon_json(
            host.read("docker-daemon-json.txt") or ""
        )
        if "nvidia" in names:
            configured.append("docker")
    for name, source in (("containerd", "containerd-config.txt"), ("crio", "crio-config.txt")):
        if name in runtimes and "nvidia" in containers.parse_runtime_tables(
            host.read(source) or ""
        ):
            configured.append(name)
    return configured


def distro_toolkit_area_enabled(
    os_id: str | None, sources: Sequence[AptSourceEntry] | None
) -> bool | None:
    """Whether a `deb` source enables the area with the distribution's CUDA toolkit
    (knowledge/cuda.py); None when the sources were not read or the distribution is unknown."""
    area = cuda.DISTRO_TOOLKIT_AREAS.get(os_id or "")
    if area is None or sources is None:
        return None
    return any(e.kind == "deb" and area in e.components for e in sources)


def offers(apt_packages: Sequence[AptPackage], distro_cuda_area: bool | None = None) -> StackOffers:
    toolkit_versions = sorted(
        {v for p in apt_packages if (v := cuda.parse_toolkit_package(p.package))},
        key=cuda.version_key,
    )
    distro = [
        cuda.distro_toolkit_version(p.version)
        for p in apt_packages
        if p.package == cuda.DISTRO_TOOLKIT
    ]
    distro_versions = sorted((v for v in distro if v), key=cuda.version_key)
    majors = sorted(
        {parsed[1] for p in apt_packages if (parsed := cuda.parse_cudnn_package(p.package))}
    )
    return StackOffers(
        cuda=toolkit_versions,
        distro_cuda=distro_versions[-1] if distro_versions else None,
        distro_cuda_area=distro_cuda_area,
        cudnn_cuda_majors=majors,
        container_toolkit=any(p.package == ctk.TOOLKIT_PACKAGE for p in apt_packages),
    )


def driver_pin_in_force(preferences_text: str | None) -> bool:
    """An apt pin below 0 keeps NVIDIA's CUDA repository's cuda-drivers out."""
    for pin in apt_preferences.parse_apt_preferences(preferences_text or ""):
        names_repo = "o=NVIDIA" in pin.pin or "developer.download.nvidia.com" in pin.pin
        covers = any(fnmatch.fnmatchcase("cuda-drivers", p) for p in pin.packages)
        if pin.priority < 0 and names_repo and covers:
            return True
    return False


def read_stack(
    host: Host,
    packages: Sequence[DpkgEntry],
    apt_packages: Sequence[AptPackage],
    sources: Sequence[AptSourceEntry] | None,
    os_id: str | None = None,
) -> DevStack:
    """The stack from the host's sources, the dpkg entries, apt's stanzas and the apt sources
    (of an `os_id` distribution; None where they were not read)."""
    installed = _installed(packages)
    folders_text = host.read("cuda-toolkits.txt")
    found = toolkits(installed, folders_text)
    runtimes = ctk.installed_runtimes(installed)
    toolkit_entry = installed.get(ctk.TOOLKIT_PACKAGE)
    container = (
        ContainerToolkitInstall(
            upstream_version(toolkit_entry.version), runtimes_configured(host, runtimes)
        )
        if toolkit_entry is not None
        else None
    )
    architecture = (host.read("dpkg-architecture.txt") or "").strip() or None
    return DevStack(
        cuda_toolkits=found,
        cudnn=cudnn(installed, [cuda.version_key(t.version)[0] for t in found]),
        container_toolkit=container,
        cuda_repo=cuda.KEYRING_PACKAGE in installed
        or any(CUDA_REPO_URL in s.uri for s in sources or ()),
        container_runtimes=runtimes,
        offers=offers(apt_packages, distro_toolkit_area_enabled(os_id, sources)),
        cuda_repo_driver_pin=driver_pin_in_force(host.read("apt-preferences.txt")),
        architecture=architecture.split()[0] if architecture else None,
        curl=("curl" in installed) if packages else None,
    )
