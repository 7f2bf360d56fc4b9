"""The NVIDIA Container Toolkit and the container runtimes: `nvidia-ctk --version`, `docker
info`, Docker's daemon.json, containerd's and CRI-O's configuration files.

Sources: nvidia-ctk-version.txt, docker-info.txt, docker-daemon-json.txt,
containerd-config.txt, crio-config.txt.
"""

from __future__ import annotations

import json
import re

from nvwizard.detect._text import clean_lines
from nvwizard.detect.models import DockerInfo

# "NVIDIA Container Toolkit CLI version 1.12.0"
_CTK_RE = re.compile(r"NVIDIA Container Toolkit CLI version\s+v?(\d+(?:\.\d+)+(?:[-~+.\w]*)?)")
# TOML table headers naming a runtime: [plugins."io.containerd.grpc.v1.cri".containerd.
# runtimes.nvidia] (config v2), [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.
# nvidia] (v3), [crio.runtime.runtimes.nvidia] (CRI-O)
_RUNTIME_TABLE_RE = re.compile(r"^\s*\[\s*[^\]]*?\bruntimes\.([\"']?)([\w-]+)\1(?:\.[^\]]*)?\s*\]")


def parse_nvidia_ctk_version(text: str) -> str | None:
    """ "NVIDIA Container Toolkit CLI version 1.17.8\\ncommit: ..." -> "1.17.8"."""
    for line in clean_lines(text):
        match = _CTK_RE.search(line)
        if match:
            return match.group(1)
    return None


def parse_docker_info(text: str) -> DockerInfo:
    """`docker info`: its `Runtimes:` and `Default Runtime:` lines (indented under "Server:"
    since Docker 20.10, flush left before). Without them, the daemon's error, if printed."""
    runtimes: tuple[str, ...] = ()
    default = None
    error = None
    for line in clean_lines(text):
        stripped = line.strip()
        if stripped.startswith("Runtimes:"):
            runtimes = tuple(stripped.partition(":")[2].split())
        elif stripped.startswith("Default Runtime:"):
            default = stripped.partition(":")[2].strip() or None
        elif error is None and (
            "Cannot connect to the Docker daemon" in stripped
            or "permission denied while trying to connect" in stripped
            or stripped.startswith(("ERROR:", "error during connect"))
        ):
            error = stripped.removeprefix("ERROR:").strip()
    return DockerInfo(runtimes, default, None if runtimes else error)


def parse_daemon_json(text: str) -> tuple[str, ...]:
    """/etc/docker/daemon.json: the names under "runtimes" (and "default-runtime"). A file
    that is no JSON object gives none."""
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        return ()
    if not isinstance(data, dict):
        return ()
    names = list(data.get("runtimes") or {}) if isinstance(data.get("runtimes"), dict) else []
    default = data.get("default-runtime")
    if isinstance(default, str) and default not in names:
        names.append(default)
    return tuple(str(n) for n in names)


def parse_runtime_tables(text: str) -> tuple[str, ...]:
    """containerd's config.toml or CRI-O's crio.conf (and their drop-in files): the runtime
    names their TOML tables declare, e.g. "nvidia" after `nvidia-ctk runtime configure`.
    Commented-out tables do not count."""
    names: list[str] = []
    for line in clean_lines(text):
        if line.lstrip().startswith("#"):
            continue
        match = _RUNTIME_TABLE_RE.match(line)
        if match and match.group(2) not in names:
            names.append(match.group(2))
    return tuple(names)
