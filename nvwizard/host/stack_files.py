"""Sources of the developer stack read from files: the CUDA toolkit folders, cuDNN's version
header, the container runtimes' configuration and apt's preferences; and `nvcc --version` of
each nvcc installed.

Each function takes the machine's root ("/" on a real machine) and returns the source's text
(see sources.py), or `Unavailable` with the reason.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from nvwizard.host.reading import Unavailable, read_small, run_command
from nvwizard.host.system_files import under

CUDA_PARENT = "/usr/local"
CUDA_LINK = "/usr/local/cuda"
# Where nvcc lives: NVIDIA's packages and the .run installer (through the /usr/local/cuda link)
# and the distribution's nvidia-cuda-toolkit.
NVCC_PATHS = ("/usr/local/cuda/bin/nvcc", "/usr/bin/nvcc")
# cuDNN's version header: NVIDIA's packages install it per CUDA major under the multiarch
# folder and point /usr/include/cudnn_version.h at it (update-alternatives); a tarball
# install copies it into the toolkit.
CUDNN_HEADERS = (
    "/usr/include/cudnn_version.h",
    "/usr/include/x86_64-linux-gnu/cudnn_version.h",
    "/usr/include/x86_64-linux-gnu/cudnn_version_v9.h",
    "/usr/include/aarch64-linux-gnu/cudnn_version_v9.h",
    "/usr/local/cuda/include/cudnn_version.h",
)
# containerd reads drop-ins from conf.d; nvidia-ctk 1.18.0 wrote them into config.d
# (NVIDIA/nvidia-container-toolkit issue #1404), so both are read.
CONTAINERD_CONFIG = ("/etc/containerd/config.toml",)
CONTAINERD_DROP_INS = ("/etc/containerd/conf.d", "/etc/containerd/config.d")
CRIO_CONFIG = ("/etc/crio/crio.conf",)
CRIO_DROP_INS = ("/etc/crio/crio.conf.d",)
APT_PREFERENCES = ("/etc/apt/preferences",)
APT_PREFERENCES_DROP_INS = ("/etc/apt/preferences.d",)


def _version_of(folder: Path) -> str | None:
    """The CUDA release a toolkit folder declares: version.json (CUDA 11.1 and newer), else
    version.txt ("CUDA Version 10.2.89")."""
    text = read_small(folder / "version.json")
    if text:
        try:
            data = json.loads(text)
            version = data.get("cuda", {}).get("version")
        except (ValueError, AttributeError):
            version = None
        if isinstance(version, str) and version:
            return version
    text = read_small(folder / "version.txt")
    if text and text.startswith("CUDA Version"):
        return text.split()[-1]
    return None


def cuda_toolkits(root: Path) -> str | Unavailable:
    """`<folder> version=<release>` per /usr/local/cuda-X.Y, and where /usr/local/cuda points."""
    parent = under(root, CUDA_PARENT)
    try:
        names = sorted(os.listdir(parent))
    except OSError as error:
        return Unavailable(f"{CUDA_PARENT}: {error.strerror or error}")
    lines = []
    for name in names:
        folder = parent / name
        if not name.startswith("cuda-") or folder.is_symlink() or not folder.is_dir():
            continue
        version = _version_of(folder)
        lines.append(f"{CUDA_PARENT}/{name}" + (f" version={version}" if version else ""))
    link = under(root, CUDA_LINK)
    if link.is_symlink():
        target = Path(os.path.realpath(link))  # through /etc/alternatives/cuda
        try:
            shown = "/" + str(target.relative_to(root.resolve()))
        except ValueError:
            shown = str(target)
        lines.append(f"{CUDA_LINK} -> {shown}")
    return "".join(f"{line}\n" for line in lines)


def nvcc_versions(root: Path, timeout_s: float) -> str | Unavailable:
    """`nvcc --version` of each nvcc installed, each under a `== <path> ==` line."""
    parts = []
    for path in NVCC_PATHS:
        binary = under(root, path)
        if not binary.exists():
            continue
        result = run_command([str(binary), "--version"], timeout_s)
        if isinstance(result, Unavailable):
            parts.append(f"== {path} ==\n{result.reason}\n")
        else:
            parts.append(f"== {path} ==\n{result.stdout}{result.stderr}")
    if not parts:
        return Unavailable("no nvcc installed (" + ", ".join(NVCC_PATHS) + ")")
    return "".join(parts)


def cudnn_header(root: Path) -> str | Unavailable:
    """The first cuDNN version header found, under a `== <path> ==` line."""
    for path in CUDNN_HEADERS:
        text = read_small(under(root, path), strip=False, limit=64 * 1024)
        if text is not None:
            return f"== {path} ==\n{text}"
    return Unavailable("no cudnn_version.h (" + ", ".join(CUDNN_HEADERS) + ")")


def config_files(
    root: Path, files: tuple[str, ...], drop_ins: tuple[str, ...]
) -> str | Unavailable:
    """Configuration files and their drop-in folders' files, one after the other, each under
    a `# == <path> ==` comment line (so a TOML or apt parser skips it)."""
    paths = [path for path in files if under(root, path).is_file()]
    for folder in drop_ins:
        try:
            names = sorted(os.listdir(under(root, folder)))
        except OSError:
            continue
        paths += [f"{folder}/{name}" for name in names if under(root, f"{folder}/{name}").is_file()]
    if not paths:
        return Unavailable("none of " + ", ".join(files + drop_ins) + " exists")
    parts = []
    for path in paths:
        text = read_small(under(root, path), strip=False, limit=256 * 1024) or ""
        parts.append(f"# == {path} ==\n{text}" + ("" if text.endswith("\n") else "\n"))
    return "\n".join(parts)
