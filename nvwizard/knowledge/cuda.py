"""The CUDA toolkit and cuDNN: which toolkit a driver branch and a GPU can run, what NVIDIA's
CUDA apt repository calls its packages, and how a distribution driver is kept safe from it.

A branch's CUDA ceiling (what `nvidia-smi` prints) is `branches.highest_cuda`: this module
reuses it, so "CUDA 12.8 needs branch 570" is read from that one table, never kept twice.

Sources (what each says):
- [cuda-notes] CUDA Toolkit release notes, Table 3 "CUDA Toolkit and Corresponding Driver
  Versions" (https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/, the 12.x and 13.0
  editions, e.g. https://docs.nvidia.com/cuda/archive/12.8.0/cuda-toolkit-release-notes):
  the minimum Linux x86_64 driver of each GA release, "CUDA 12.8 GA >= 570.26", "CUDA 13.0
  GA >= 580.65.06" (13.0 also in vector-lens's published manifest, min_nvidia_driver_linux
  580.65.06); minor-version compatibility from 525.60.13 for 12.x and from 580 for 13.x
  (`branches.MINOR_VERSION_COMPATIBLE_FROM`), without PTX JIT of newer code.
- [cuda13-notes] CUDA 13.0 release notes (https://docs.nvidia.com/cuda/archive/13.0.0/pdf/
  CUDA_Toolkit_Release_Notes.pdf), "Deprecated Architectures": offline compilation and library
  support for Maxwell, Pascal and Volta removed (sm_75 Turing is the oldest target; NVIDIA's
  cuDecomp PR #97 "CUDA 13.0 dropped support for Volta (SM70), but not Turing (SM75)");
  "Deprecated or Dropped Operating Systems": Ubuntu 20.04 dropped. CUDA 12.0 dropped Kepler
  (sm_35/sm_37; the 12.x notes list Maxwell sm_50 as the oldest).
- [cudnn-matrix] cuDNN 9 support matrix (https://docs.nvidia.com/deeplearning/cudnn/backend/
  v9.5.0/reference/support-matrix.html): "cuDNN 9.5.0 for CUDA 12.x ... >= 525.60.13", a
  build per CUDA major; the apt packages are `cudnn9-cuda-<major>` ->
  `libcudnn9-cuda-<major>` + `libcudnn9-dev-cuda-<major>` (NVIDIA's "Installing cuDNN on
  Linux", the network repository section: `sudo apt-get -y install cudnn9-cuda-12`).
- [cudnn9-cuda11] the cuDNN 9 support matrices, 9.0.0 to 9.5.1 (https://docs.nvidia.com/
  deeplearning/cudnn/backend/v9.0.0/reference/support-matrix.html, .../v9.5.1/...): "cuDNN
  9.x for CUDA 11.x" is listed twice: with CUDA 11.8, "Supports static linking? Yes"; with
  11.0-11.7, "No" (dynamic linking only). The 12.x build lists 12.0 and newer. So cuDNN 9
  runs with Ubuntu 22.04's 11.5 toolkit only as a shared library: `CUDNN9_STATIC_FROM`.
- [install-guide] NVIDIA CUDA Installation Guide for Linux, "Network Repository Installation"
  (https://docs.nvidia.com/cuda/cuda-installation-guide-linux/): `wget https://developer.
  download.nvidia.com/compute/cuda/repos/<distro>/<arch>/cuda-keyring_1.1-1_all.deb; sudo dpkg
  -i cuda-keyring_1.1-1_all.deb`, distro ids ubuntu2204, ubuntu2404, debian12, debian13, arch
  x86_64 or sbsa; `cuda-toolkit-X-Y` installs the toolkit without the driver, while `cuda`,
  `cuda-X-Y` and `cuda-drivers` pull NVIDIA's driver packages. The same URL pattern in
  aidando73/cuda-hello-world's README (ubuntu2204) and a Hugging Face Dockerfile (debian12).
- [cuda-release] the repository's Release file, "Origin: NVIDIA / Label: NVIDIA CUDA"
  (NVIDIA/nvidia-docker issue #22 quotes it): what an apt pin names the repository by.
- [first-cuda] the release notes of the first toolkit per generation: CUDA 11.1 adds sm_86
  (GA10x; 11.0 sm_80, A100), 11.8 "support for NVIDIA Hopper and Ada Lovelace" (sm_90,
  sm_89), 12.8 "compiler support for ... Blackwell GPU architectures: SM_100, SM_101,
  SM_120"; Turing sm_75 from 10.0.
- [distro] the distributions' `nvidia-cuda-toolkit`: Ubuntu 22.04 11.5, 24.04 12.0 (DOMAIN.md),
  Debian 12 11.8, Debian 13 12.4, in Debian's non-free area; apt's version is the truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nvwizard.knowledge import branches
from nvwizard.knowledge.architectures import ARCHITECTURES


@dataclass(frozen=True)
class Toolkit:
    version: str  # "12.8"
    min_driver: str | None  # the GA release's minimum Linux driver, "570.26" (cuda-notes)

    @property
    def major(self) -> int:
        return version_key(self.version)[0]


# The toolkits NVIDIA's repository publishes as cuda-toolkit-X-Y (no 12.7 exists). Where no
# exact minimum is recorded, the branch from `branches` is the rule (`minimum_branch`).
# fmt: off
TOOLKITS: tuple[Toolkit, ...] = (
    Toolkit("11.8", "520.61.05"),
    Toolkit("12.0", "525.60.13"),
    Toolkit("12.1", "530.30.02"),
    Toolkit("12.2", "535.54.03"),
    Toolkit("12.3", "545.23.06"),
    Toolkit("12.4", "550.54.14"),
    Toolkit("12.5", "555.42.02"),
    Toolkit("12.6", "560.28.03"),
    Toolkit("12.8", "570.26"),
    Toolkit("12.9", "575.51.03"),
    Toolkit("13.0", "580.65.06"),
    Toolkit("13.1", None),
    Toolkit("13.2", None),
    Toolkit("13.3", None),
)
# fmt: on

# cuDNN 9's build for a CUDA major links statically only with these toolkits and newer; an
# older one of that major gets the shared libraries only (cudnn9-cuda11). Other majors: any.
CUDNN9_STATIC_FROM = {11: "11.8"}


def cudnn_static_linking_note(toolkit_version: str) -> str | None:
    """What cuDNN 9 cannot do with CUDA `toolkit_version` (static linking, below 11.8), as a
    sentence naming the toolkit that can; None when nothing is missing."""
    major = version_key(toolkit_version)[0]
    static_from = CUDNN9_STATIC_FROM.get(major)
    if static_from is None or version_key(toolkit_version) >= version_key(static_from):
        return None
    return (
        f"cuDNN 9 for CUDA {major}.x ({cudnn_package(major)}) supports CUDA "
        f"{major_minor(toolkit_version)} only as a shared library: NVIDIA's support matrix "
        f"lists static linking from CUDA {static_from} (--cuda {static_from}; in the wizard: "
        f"CUDA {static_from} on Stack)."
    )


# The oldest GPU generation each CUDA major still compiles for (cuda13-notes).
OLDEST_ARCHITECTURE = {11: "Kepler", 12: "Maxwell", 13: "Turing"}
# The first toolkit that compiles for each newer generation (first-cuda); older generations
# are older than every toolkit here. An older toolkit builds no code these GPUs run.
FIRST_CUDA = {
    "Turing": "10.0",  # sm_75
    "Ampere": "11.1",  # sm_80 from 11.0, the GeForce/workstation sm_86 from 11.1
    "Hopper": "11.8",  # sm_90
    "Ada": "11.8",  # sm_89
    "Blackwell": "12.8",  # sm_100, sm_120
}

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)")


def version_key(version: str) -> tuple[int, int]:
    """ "12.8" or "12.8.93" -> (12, 8); (0, 0) for text that is no version."""
    match = _VERSION_RE.match(version.strip())
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def major_minor(version: str | None) -> str | None:
    """ "12.8.93" -> "12.8"; None when it is no version."""
    if not version:
        return None
    match = _VERSION_RE.match(version.strip())
    return f"{match.group(1)}.{match.group(2)}" if match else None


def toolkit(version: str) -> Toolkit | None:
    wanted = major_minor(version)
    return next((t for t in TOOLKITS if t.version == wanted), None)


def minimum_branch(version: str) -> int | None:
    """The oldest branch whose own CUDA (what nvidia-smi shows) reaches `version`: 12.8 -> 570,
    13.0 -> 580. None when no known branch reaches it."""
    wanted = version_key(version)
    for row in branches.BRANCHES:
        if row.cuda and version_key(row.cuda) >= wanted:
            return row.number
    return None


def compatible_from(major: int) -> int | None:
    """The oldest branch that runs any CUDA <major>.x application (minor-version compat)."""
    return branches.MINOR_VERSION_COMPATIBLE_FROM.get(str(major))


@dataclass(frozen=True)
class DriverFit:
    """Whether a driver branch runs a toolkit: natively, through minor-version compatibility
    (which the user must accept), or not at all."""

    native: bool
    compat: bool  # runs only through minor-version compatibility
    reason: str  # one sentence: the ceiling, and what breaks


def driver_fit(version: str, branch: int) -> DriverFit:
    """How branch `branch` runs CUDA `version` (an unknown newer branch: natively)."""
    ceiling = branches.highest_cuda(branch)
    if ceiling is None and branch > branches.NEWEST_KNOWN:
        return DriverFit(True, False, f"branch {branch} is newer than nvwizard's tables")
    needed = minimum_branch(version)
    if ceiling is not None and version_key(ceiling) >= version_key(version):
        return DriverFit(True, False, f"branch {branch} runs CUDA up to {ceiling}")
    major = version_key(version)[0]
    floor = compatible_from(major)
    ceiling_words = f"up to CUDA {ceiling}" if ceiling else "an unknown CUDA version"
    needs = f"CUDA {major_minor(version)} needs branch {needed} or newer" if needed else ""
    if floor is not None and branch >= floor:
        return DriverFit(
            False,
            True,
            f"branch {branch} runs {ceiling_words} natively; {needs}. Through minor-version "
            f"compatibility CUDA {major}.x applications still run, but PTX code newer than "
            "the driver cannot be JIT-compiled and features of the newer toolkit that need a "
            "newer driver fail at run time",
        )
    return DriverFit(
        False,
        False,
        f"branch {branch} runs {ceiling_words}; {needs or f'CUDA {major}.x needs a newer driver'}"
        f" (programs fail with 'CUDA driver version is insufficient')",
    )


def unsupported_architectures(major: int, architectures: list[str]) -> list[str]:
    """The generations among `architectures` that CUDA `major`.x no longer compiles for."""
    oldest = OLDEST_ARCHITECTURE.get(major)
    if oldest is None:
        return []
    order = [a.name for a in ARCHITECTURES]
    floor = order.index(oldest)
    return [a for a in dict.fromkeys(architectures) if a in order and order.index(a) < floor]


def too_new_architectures(version: str, architectures: list[str]) -> list[str]:
    """The generations among `architectures` that CUDA `version` cannot compile for yet."""
    return [
        a
        for a in dict.fromkeys(architectures)
        if a in FIRST_CUDA and version_key(version) < version_key(FIRST_CUDA[a])
    ]


def compact_versions(versions: list[str]) -> str:
    """ "11.8, 12.0-12.6, 12.8-12.9, 13.0-13.3": runs of consecutive minors, per major."""
    runs: list[list[tuple[int, int]]] = []
    for key in sorted({version_key(v) for v in versions}):
        last = runs[-1][-1] if runs else None
        if last is not None and key == (last[0], last[1] + 1):
            runs[-1].append(key)
        else:
            runs.append([key])
    words = [
        f"{r[0][0]}.{r[0][1]}" + (f"-{r[-1][0]}.{r[-1][1]}" if len(r) > 1 else "") for r in runs
    ]
    return ", ".join(words)


# -- package names -----------------------------------------------------------------------------

DISTRO_TOOLKIT = "nvidia-cuda-toolkit"
# os-release ID -> the archive area that carries DISTRO_TOOLKIT
DISTRO_TOOLKIT_AREAS = {"ubuntu": "multiverse", "debian": "non-free"}
_TOOLKIT_RE = re.compile(r"^cuda-toolkit-(\d+)-(\d+)$")
_CUDNN_META_RE = re.compile(r"^cudnn9-cuda-(\d+)$")
_CUDNN_LIBRARY_RE = re.compile(r"^libcudnn(\d+)-cuda-(\d+)$")
_DISTRO_VERSION_RE = re.compile(r"^(?:\d+:)?(\d+\.\d+)")


def toolkit_package(version: str) -> str:
    """ "12.8" -> "cuda-toolkit-12-8": the toolkit alone, never the driver."""
    major, minor = version_key(version)
    return f"cuda-toolkit-{major}-{minor}"


def parse_toolkit_package(name: str) -> str | None:
    """ "cuda-toolkit-12-8" -> "12.8"; None for any other name."""
    match = _TOOLKIT_RE.match(name.strip())
    return f"{match.group(1)}.{match.group(2)}" if match else None


def cudnn_package(cuda_major: int) -> str:
    """cuDNN 9 for a CUDA major: the metapackage that pulls the library and its headers."""
    return f"cudnn9-cuda-{cuda_major}"


def parse_cudnn_package(name: str) -> tuple[int, int] | None:
    """ "libcudnn9-cuda-12" or "cudnn9-cuda-12" -> (9, 12): (cuDNN major, CUDA major)."""
    name = name.strip()
    match = _CUDNN_LIBRARY_RE.match(name)
    if match:
        return int(match.group(1)), int(match.group(2))
    match = _CUDNN_META_RE.match(name)
    return (9, int(match.group(1))) if match else None


def distro_toolkit_version(package_version: str | None) -> str | None:
    """The CUDA release in a distribution's nvidia-cuda-toolkit version:
    "12.0.140~12.0.1-4build4" -> "12.0", "11.5.1-1ubuntu1" -> "11.5"."""
    if not package_version:
        return None
    match = _DISTRO_VERSION_RE.match(package_version.strip())
    return match.group(1) if match else None


def pulls_nvidia_driver(name: str) -> bool:
    """Names that install NVIDIA's own driver packages: `cuda`, `cuda-X-Y`, `cuda-drivers*`,
    `nvidia-open*`. nvwizard never installs them next to a distribution driver."""
    return (
        name == "cuda"
        or re.match(r"^cuda-\d+-\d+$", name) is not None
        or name.startswith("cuda-drivers")
        or name == "nvidia-open"
        or name.startswith("nvidia-open-")  # not nvidia-opencl-dev (the archive's toolkit)
    )


# -- NVIDIA's CUDA repository ---------------------------------------------------------------------

CUDA_REPOSITORY = "https://developer.download.nvidia.com/compute/cuda/repos"
KEYRING_PACKAGE = "cuda-keyring"
KEYRING_DEB = "cuda-keyring_1.1-1_all.deb"
# Where the downloaded keyring package is kept: apt's own download folder, owned by root.
KEYRING_DOWNLOAD = f"/var/cache/apt/archives/{KEYRING_DEB}"

# (os-release ID, VERSION_ID) -> the repository's release id, and the newest CUDA major it
# gets (None: current). Debian's ids live here too, so plans for either read one table.
# fmt: off
REPOSITORY_RELEASES: dict[tuple[str, str], tuple[str, int | None]] = {
    ("ubuntu", "20.04"): ("ubuntu2004", 12),  # cuda13-notes: Ubuntu 20.04 dropped
    ("ubuntu", "22.04"): ("ubuntu2204", None),
    ("ubuntu", "24.04"): ("ubuntu2404", None),
    ("debian", "12"): ("debian12", None),
    ("debian", "13"): ("debian13", None),
}
# fmt: on
# The first toolkit a repository release has, where it is newer than the first in TOOLKITS: a
# release NVIDIA added after those toolkits shipped starts later. debian12/x86_64 begins with
# cuda-12-3 (its index, developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/,
# read 2026-02: no cuda-11-8 or cuda-12-0 to 12-2 there). debian13 was added with the 590
# driver, i.e. CUDA 13.1 (NVIDIA/cuda-repo-management#40, 2026-02: the new debian13 repository
# lacks the 580 branch that CUDA 13.0 shipped with; #32, 2025-12: users install
# cuda-toolkit-13-1 from it; CUDA 13.0's notes add Debian 12.10, not 13): no CUDA 12.x there.
# Not read from its index (unreachable from here): 13.0 is left out as not established.
REPOSITORY_FIRST_TOOLKIT: dict[str, str] = {"debian12": "12.3", "debian13": "13.1"}
# dpkg architecture -> the repository's architecture folder
REPOSITORY_ARCHITECTURES = {"amd64": "x86_64", "arm64": "sbsa"}


def repository_release(os_id: str | None, os_version: str | None) -> tuple[str, int | None] | None:
    """ "ubuntu", "24.04" -> ("ubuntu2404", None); None where NVIDIA publishes no repository."""
    if not os_id or not os_version:
        return None
    version = os_version if os_id == "ubuntu" else os_version.split(".", 1)[0]
    return REPOSITORY_RELEASES.get((os_id, version))


def in_repository(release: tuple[str, int | None], version: str) -> bool:
    """Whether NVIDIA's repository for this release (`repository_release`) has CUDA
    `version`: not past its newest major, not before its first toolkit."""
    name, last_major = release
    if last_major is not None and version_key(version)[0] > last_major:
        return False
    first = REPOSITORY_FIRST_TOOLKIT.get(name)
    return first is None or version_key(version) >= version_key(first)


def keyring_url(release: str, architecture: str) -> str:
    folder = REPOSITORY_ARCHITECTURES.get(architecture, architecture)
    return f"{CUDA_REPOSITORY}/{release}/{folder}/{KEYRING_DEB}"


# When the driver comes from the distribution, NVIDIA's repository must not supply driver
# packages: apt then never switches the driver's source on an upgrade (DOMAIN.md). The names
# are those NVIDIA's repository gives its driver packages on Ubuntu (cuda-drivers, nvidia-open,
# nvidia-driver-580, libnvidia-compute-580 ...) and on Debian (nvidia-driver, libcuda1,
# firmware-nvidia-gsp ...); the container toolkit (libnvidia-container*) stays allowed.
PIN_FILE = "/etc/apt/preferences.d/nvwizard-cuda-repository-drivers"
PIN_SELECTOR = "release o=NVIDIA,l=NVIDIA CUDA"
PINNED_DRIVER_PACKAGES = (
    "cuda-drivers*",
    "nvidia-driver*",
    "nvidia-open*",
    "nvidia-kernel-*",
    "nvidia-dkms-*",
    "nvidia-utils-*",
    "nvidia-compute-utils-*",
    "nvidia-headless-*",
    "nvidia-firmware-*",
    "nvidia-fabricmanager*",
    "nvidia-imex*",
    "nvidia-modprobe",
    "nvidia-persistenced",
    "nvidia-settings",
    "nvidia-smi",
    "nvidia-xconfig",
    "nvidia-kernel-open-dkms",
    "libnvidia-cfg1*",
    "libnvidia-common-*",
    "libnvidia-compute-*",
    "libnvidia-decode-*",
    "libnvidia-encode-*",
    "libnvidia-extra-*",
    "libnvidia-fbc1*",
    "libnvidia-gl-*",
    "libnvidia-nscq*",
    "libnvidia-ml1",
    "libcuda1",
    "libnvcuvid1",
    "libnvoptix1",
    "libxnvctrl0",
    "xserver-xorg-video-nvidia*",
    "firmware-nvidia-gsp*",
)


def pin_file_text(driver_source: str) -> str:
    """The apt preferences file that keeps NVIDIA's CUDA repository from supplying the driver."""
    return (
        f"# Written by nvwizard: the NVIDIA driver comes from {driver_source}; NVIDIA's CUDA\n"
        "# repository supplies the toolkit and cuDNN only, so no upgrade switches the driver's\n"
        "# source (a mixed driver breaks with 'Driver/library version mismatch').\n"
        f"Package: {' '.join(PINNED_DRIVER_PACKAGES)}\n"
        f"Pin: {PIN_SELECTOR}\n"
        "Pin-Priority: -1\n"
    )
