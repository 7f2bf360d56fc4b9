"""The NVIDIA Container Toolkit: its repository, its package, and the container runtimes it is
wired into (`nvidia-ctk runtime configure`, then a restart of that runtime).

Sources (what each says):
- [ctk-install] "Installing the NVIDIA Container Toolkit"
  (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html):
  the repository `https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /`, its key
  `https://nvidia.github.io/libnvidia-container/gpgkey` kept in
  `/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg` and named by `signed-by`, the
  package `nvidia-container-toolkit`; then "sudo nvidia-ctk runtime configure
  --runtime=docker; sudo systemctl restart docker", and the same with `--runtime=containerd`
  and `--runtime=crio`. nvwizard keeps the key as downloaded, ASCII-armoured, as a `.asc` file
  (apt reads armoured keys by that suffix since 1.4, as Docker's own instructions do), which
  needs no gpg: the same key and repository, one tool less.
- [nvidia-docker README] "nvidia-ctk runtime configure will load (or create) an
  /etc/docker/daemon.json file and ensure that the NVIDIA Container Runtime is configured as a
  runtime named nvidia. Restarting the Docker daemon is required for this to take affect."
- Docker's packages: docker-ce (Docker's repository), docker.io (Debian and Ubuntu),
  moby-engine; containerd: containerd (distribution), containerd.io (Docker's repository);
  CRI-O: cri-o. docker-ce depends on containerd.io, so containerd on a Docker host is Docker's
  engine, not a runtime of its own unless Kubernetes (kubelet) uses it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

TOOLKIT_PACKAGE = "nvidia-container-toolkit"
REPOSITORY = "https://nvidia.github.io/libnvidia-container/stable/deb"
KEY_URL = "https://nvidia.github.io/libnvidia-container/gpgkey"
KEYRING = "/usr/share/keyrings/nvidia-container-toolkit-keyring.asc"
SOURCES_FILE = "/etc/apt/sources.list.d/nvidia-container-toolkit.list"
# $(ARCH) is expanded by apt itself, as in NVIDIA's own list file.
SOURCES_LINE = f"deb [signed-by={KEYRING}] {REPOSITORY}/$(ARCH) /"


def sources_file_text() -> str:
    return (
        "# Written by nvwizard: NVIDIA's container toolkit repository (as NVIDIA's\n"
        "# nvidia-container-toolkit.list, with signed-by naming its key).\n"
        f"{SOURCES_LINE}\n"
    )


@dataclass(frozen=True)
class Runtime:
    name: str  # what `nvidia-ctk runtime configure --runtime=` takes: docker, containerd, crio
    packages: tuple[str, ...]  # any of these installed: the runtime is installed
    service: str  # the systemd unit restarted after configuring
    what: str  # a few words for plans and screens
    config: str  # where `nvidia-ctk runtime configure` writes its nvidia runtime


RUNTIMES: tuple[Runtime, ...] = (
    Runtime(
        "docker",
        ("docker-ce", "docker.io", "moby-engine"),
        "docker",
        "Docker",
        "/etc/docker/daemon.json",
    ),
    Runtime(
        "containerd",
        ("containerd", "containerd.io"),
        "containerd",
        "containerd",
        "/etc/containerd/config.toml (or a drop-in beside it)",
    ),
    Runtime("crio", ("cri-o",), "crio", "CRI-O", "/etc/crio/crio.conf (or a crio.conf.d drop-in)"),
)
KUBELET = "kubelet"


def runtime(name: str) -> Runtime | None:
    return next((r for r in RUNTIMES if r.name == name), None)


def installed_runtimes(installed: Collection[str]) -> list[str]:
    """The runtimes to wire the toolkit into, from the installed package names.

    containerd counts on its own only without Docker or with kubelet: Docker's packages pull
    containerd.io as Docker's engine, and configuring (and restarting) it there does nothing
    for Docker's containers."""
    names = set(installed)
    found = [r.name for r in RUNTIMES if names & set(r.packages)]
    if "docker" in found and "containerd" in found and KUBELET not in names:
        found.remove("containerd")
    return found


def configure_argv(name: str) -> list[str]:
    return ["nvidia-ctk", "runtime", "configure", f"--runtime={name}"]
