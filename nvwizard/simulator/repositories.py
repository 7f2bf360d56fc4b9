"""NVIDIA's repositories on the simulated machine: the files a plan writes (the apt pin, the
container toolkit's sources list), `curl` fetching NVIDIA's keyring package and key, `dpkg -i`
of the keyring, and the packages each repository offers once `apt-get update` has read it.

The CUDA repository's index is generated from knowledge/cuda.py, in the shapes NVIDIA's
repository has: `cuda-toolkit-X-Y` (the compiler and libraries, no driver), `cuda-X-Y` and
`cuda` (which pull `cuda-drivers`), `cuda-drivers` -> `cuda-drivers-<branch>` -> NVIDIA's own
driver packages, `cudnn9-cuda-X` -> `libcudnn9-cuda-X`. Packages an apt pin keeps below 0 are
left out of what apt offers, as apt leaves them without a candidate.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from nvwizard.detect.apt_preferences import parse_apt_preferences
from nvwizard.detect.apt_sources import AptSourceEntry
from nvwizard.knowledge import containers as ctk
from nvwizard.knowledge import cuda
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.packages import Installed
from nvwizard.simulator.script import Invocation, Script, err, out
from nvwizard.simulator.state import Machine

WRITTEN = "written:"  # files with no source of their own: state.files["written:<path>"]
CUDA_KEYRING_LIST = "/etc/apt/sources.list.d/cuda-{release}-{arch}.list"
CUDA_KEYRING_GPG = "/usr/share/keyrings/cuda-archive-keyring.gpg"
CUDA_URL = "developer.download.nvidia.com/compute/cuda/repos"
CONTAINER_URL = "nvidia.github.io/libnvidia-container"
CONTAINER_VERSION = "1.18.1-1"
KEYRING_VERSION = "1.1-1"


# -- files a step writes -----------------------------------------------------------------------


def write_file(machine: Machine, path: str, content: str) -> None:
    """A plan's file: an apt pin joins apt-preferences.txt, a sources list apt-sources.txt;
    anything else is kept under its own path."""
    if path.startswith("/etc/apt/preferences.d/") or path == "/etc/apt/preferences":
        _append(machine, "apt-preferences.txt", f"# == {path} ==\n{content}")
    elif path.startswith("/etc/apt/sources.list.d/") and path.endswith(".list"):
        lines = [line for line in content.splitlines() if line.strip() and not line.startswith("#")]
        _append(machine, "apt-sources.txt", "".join(f"{line}\n" for line in lines))
    machine.write(WRITTEN + path, content)


def _append(machine: Machine, source: str, text: str) -> None:
    before = machine.read(source) or ""
    if text.strip() in before:
        return
    joined = before + ("\n" if before and not before.endswith("\n\n") else "")
    machine.write(source, joined + text + ("" if text.endswith("\n") else "\n"))


# -- curl and the keyring ------------------------------------------------------------------------


def curl(call: Invocation, args: Sequence[str]) -> Script:
    """`curl -fsSL [--retry N] -o PATH URL`: NVIDIA's keyring package and key download; any
    other URL fails as an unreachable host would (the simulated machine has no network)."""
    target = None
    urls = []
    items = list(args)
    for i, arg in enumerate(items):
        if arg == "-o" and i + 1 < len(items):
            target = items[i + 1]
        elif arg.startswith("http"):
            urls.append(arg)
    if not urls or target is None:
        yield err("curl: (2) simulated curl needs -o FILE and a URL")
        return 2
    url = urls[-1]
    host = url.split("/")[2] if url.count("/") >= 2 else url
    if CUDA_URL not in url and CONTAINER_URL not in url:
        yield err(f"curl: (6) Could not resolve host: {host}")
        return 6
    call.machine.write(WRITTEN + target, f"downloaded from {url}\n")
    return 0


def keyring_release(url: str) -> tuple[str, str] | None:
    """(release, architecture folder) of a cuda-keyring URL."""
    parts = url.split(CUDA_URL + "/", 1)
    if len(parts) != 2:
        return None
    words = parts[1].split("/")
    return (words[0], words[1]) if len(words) >= 2 else None


def install_keyring(call: Invocation, path: str) -> Script:
    """`dpkg -i <the downloaded cuda-keyring deb>`: the package, its key and its sources list."""
    fetched = call.machine.read(WRITTEN + path) or ""
    found = keyring_release(fetched.strip().removeprefix("downloaded from "))
    if found is None:
        yield err(f"dpkg: error: cannot access archive '{path}': No such file or directory")
        return 2
    release, folder = found
    model = MachineModel(call.machine)
    fresh = cuda.KEYRING_PACKAGE not in model.installed
    yield out(
        "Selecting previously unselected package cuda-keyring."
        if fresh
        else "(Reading database ... 187430 files and directories currently installed.)"
    )
    yield out(f"Preparing to unpack {path} ...")
    yield out(f"Unpacking cuda-keyring ({KEYRING_VERSION}) ...")
    yield out(f"Setting up cuda-keyring ({KEYRING_VERSION}) ...")
    model.installed[cuda.KEYRING_PACKAGE] = Installed(
        cuda.KEYRING_PACKAGE,
        KEYRING_VERSION,
        arch="all",
        description="GPG keyring for the CUDA repository",
    )
    model.save()
    line = f"deb [signed-by={CUDA_KEYRING_GPG}] https://{CUDA_URL}/{release}/{folder}/ /\n"
    write_file(call.machine, CUDA_KEYRING_LIST.format(release=release, arch=folder), line)
    return 0


# -- what the repositories offer ---------------------------------------------------------------


def nvidia_repository_url(sources: Sequence[AptSourceEntry], package: str) -> str | None:
    """The flat NVIDIA repository a package comes from, as apt's Get: lines name it
    ("https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64")."""
    wanted = CONTAINER_URL if "container" in package else CUDA_URL
    for source in sources:
        if wanted in source.uri and source.uri.startswith("http"):
            return source.uri_key.replace("$(ARCH)", "amd64")
    return None


def _stanza(name: str, version: str, depends: Sequence[str] = (), size_kib: int = 64) -> str:
    fields = [f"Package: {name}", f"Version: {version}", "Architecture: amd64"]
    if depends:
        fields.append(f"Depends: {', '.join(depends)}")
    fields += [
        "Origin: NVIDIA",
        f"Installed-Size: {size_kib}",
        f"Size: {size_kib * 400}",
        f"Description: {name} (NVIDIA's repository, as the demo simulates it)",
    ]
    return "\n".join(fields) + "\n"


def cuda_stanzas(release: tuple[str, int | None] | None) -> list[str]:
    """The CUDA repository's index for one release (`cuda.repository_release`): the toolkits
    it has; every one where the release is unknown."""
    stanzas = []
    toolkits = [
        t for t in cuda.TOOLKITS if release is None or cuda.in_repository(release, t.version)
    ]
    for toolkit in toolkits:
        major, minor = cuda.version_key(toolkit.version)
        tag = f"{major}-{minor}"
        version = f"{toolkit.version}.0-1"
        parts = [f"cuda-nvcc-{tag}", f"cuda-cudart-{tag}", f"cuda-libraries-{tag}"]
        stanzas += [_stanza(p, version, size_kib=180_000) for p in parts]
        stanzas.append(_stanza(f"cuda-toolkit-{tag}", version, parts, 16))
        branch = cuda.minimum_branch(toolkit.version) or 580
        stanzas.append(
            _stanza(f"cuda-{tag}", version, [f"cuda-toolkit-{tag}", f"cuda-drivers (>= {branch})"])
        )
    newest = toolkits[-1]
    major, minor = cuda.version_key(newest.version)
    stanzas.append(_stanza("cuda", f"{newest.version}.0-1", [f"cuda-{major}-{minor}"]))
    for branch in (570, 580, 595):
        stanzas.append(
            _stanza(f"cuda-drivers-{branch}", f"{branch}.95.05-1", [f"nvidia-driver-{branch}-open"])
        )
        stanzas.append(
            _stanza(
                f"nvidia-driver-{branch}-open",
                f"{branch}.95.05-1ubuntu1",
                [f"libnvidia-compute-{branch} (= {branch}.95.05-1ubuntu1)"],
            )
        )
        stanzas.append(_stanza(f"libnvidia-compute-{branch}", f"{branch}.95.05-1ubuntu1"))
    stanzas.append(_stanza("cuda-drivers", "595.95.05-1", ["cuda-drivers-595"]))
    for major in sorted({t.major for t in toolkits if t.major >= 12}):
        library = f"libcudnn9-cuda-{major}"
        stanzas.append(_stanza(library, "9.13.0.50-1", size_kib=900_000))
        stanzas.append(_stanza(f"libcudnn9-dev-cuda-{major}", "9.13.0.50-1", [library]))
        stanzas.append(
            _stanza(
                cuda.cudnn_package(major),
                "9.13.0.50-1",
                [library, f"libcudnn9-dev-cuda-{major}"],
                8,
            )
        )
    stanzas.append(_stanza(cuda.KEYRING_PACKAGE, KEYRING_VERSION, size_kib=12))
    return stanzas


def container_stanzas() -> list[str]:
    version = CONTAINER_VERSION
    return [
        _stanza(
            ctk.TOOLKIT_PACKAGE,
            version,
            [f"nvidia-container-toolkit-base (= {version})", "libnvidia-container-tools"],
        ),
        _stanza("nvidia-container-toolkit-base", version, size_kib=20_000),
        _stanza("libnvidia-container-tools", version, ["libnvidia-container1"]),
        _stanza("libnvidia-container1", version, size_kib=3_000),
    ]


def _pinned_out(machine: Machine) -> list[tuple[str, ...]]:
    return [
        pin.packages
        for pin in parse_apt_preferences(machine.read("apt-preferences.txt") or "")
        if pin.priority < 0 and "o=NVIDIA" in pin.pin
    ]


def _name(stanza: str) -> str:
    return stanza.split("\n", 1)[0].removeprefix("Package: ").strip()


def refresh_offers(machine: Machine, os_id: str | None, os_version: str | None) -> None:
    """After `apt-get update`: apt offers the configured NVIDIA repositories' packages, the
    pinned-out ones excepted. Idempotent: stanzas already offered are not added again."""
    sources = machine.read("apt-sources.txt") or ""
    stanzas: list[str] = []
    if CUDA_URL in sources:
        release = cuda.repository_release(os_id, os_version)
        stanzas += cuda_stanzas(release)
    if CONTAINER_URL in sources:
        stanzas += container_stanzas()
    pins = _pinned_out(machine)
    stanzas = [
        s for s in stanzas if not any(fnmatch.fnmatchcase(_name(s), g) for p in pins for g in p)
    ]
    current = machine.stored("apt-cache-show.txt") or ""
    known = {
        line.removeprefix("Package: ").strip()
        for line in current.splitlines()
        if line.startswith("Package: ")
    }
    new = [s for s in stanzas if _name(s) not in known]
    if new:
        joined = current.rstrip("\n") + ("\n\n" if current.strip() else "")
        machine.write("apt-cache-show.txt", joined + "\n".join(new))
