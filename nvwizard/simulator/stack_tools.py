"""The developer stack's tools on the simulated machine: `nvidia-ctk`, `docker info` and a
runtime's restart. The files the stack's packages put on disk are stack_files.py's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from nvwizard.detect.containers import parse_daemon_json, parse_docker_info, parse_runtime_tables
from nvwizard.knowledge import containers as ctk
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.script import Invocation, Script, err, out
from nvwizard.simulator.stack_files import CTK_COMMIT
from nvwizard.simulator.state import Machine

RUNTIME_CONFIG = {  # runtime -> (source, what nvidia-ctk writes there)
    "containerd": (
        "containerd-config.txt",
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]\n'
        '  runtime_type = "io.containerd.runc.v2"\n'
        '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]\n'
        '    BinaryName = "/usr/bin/nvidia-container-runtime"\n',
    ),
    "crio": (
        "crio-config.txt",
        '[crio.runtime.runtimes.nvidia]\nruntime_path = "/usr/bin/nvidia-container-runtime"\n'
        'runtime_type = "oci"\n',
    ),
}
CONFIG_PATHS = {
    "docker": "/etc/docker/daemon.json",
    "containerd": "/etc/containerd/conf.d/99-nvidia.toml",
    "crio": "/etc/crio/crio.conf.d/99-nvidia.toml",
}


def _installed(machine: Machine) -> dict[str, str]:
    return {n: p.version for n, p in MachineModel(machine).installed.items() if p.present}


# -- nvidia-ctk, docker, restarts ---------------------------------------------------------------


def nvidia_ctk(call: Invocation, args: Sequence[str]) -> Script:
    installed = _installed(call.machine)
    if ctk.TOOLKIT_PACKAGE not in installed and "nvidia-container-toolkit-base" not in installed:
        yield err("simulated: nvidia-ctk: command not found on the simulated machine")
        return 127
    if list(args[:1]) == ["--version"]:
        version = installed.get("nvidia-container-toolkit-base") or installed.get(
            ctk.TOOLKIT_PACKAGE, ""
        )
        yield out(f"NVIDIA Container Toolkit CLI version {version.split('-')[0]}")
        yield out(f"commit: {CTK_COMMIT}")
        return 0
    runtime = next((a.split("=", 1)[1] for a in args if a.startswith("--runtime=")), "docker")
    if list(args[:2]) != ["runtime", "configure"] or runtime not in CONFIG_PATHS:
        yield err(f"simulated: nvidia-ctk {' '.join(args)}: not simulated")
        return 1
    path = CONFIG_PATHS[runtime]
    if runtime == "docker":
        current = call.machine.read("docker-daemon-json.txt")
        data = json.loads(current) if current and current.strip().startswith("{") else {}
        if not current:
            yield err("INFO[0000] Config file does not exist; using empty config")
        runtimes = data.setdefault("runtimes", {})
        runtimes["nvidia"] = {"args": [], "path": "nvidia-container-runtime"}
        call.machine.write("docker-daemon-json.txt", json.dumps(data, indent=4) + "\n")
    else:
        source, text = RUNTIME_CONFIG[runtime]
        before = call.machine.read(source) or ""
        if "nvidia" not in parse_runtime_tables(before):
            call.machine.write(source, before + f"\n# == {path} ==\n{text}")
    yield err(f"INFO[0000] Wrote updated config to {path}")
    yield err(f"INFO[0000] It is recommended that {runtime} daemon be restarted.")
    return 0


def nvcc(call: Invocation, args: Sequence[str]) -> Script:
    """`nvcc --version` (or `/usr/local/cuda/bin/nvcc --version`): the installed toolkit's."""
    text = call.machine.read("nvcc-version.txt") or ""
    wanted = call.argv[0] if call.argv[0].startswith("/") else None
    sections: dict[str | None, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("== ") and line.endswith(" =="):
            current = line[3:-3]
            sections[current] = []
        else:
            sections.setdefault(current, []).append(line)
    found = sections.get(wanted) if wanted else next(iter(sections.values()), None)
    if not found or list(args[:1]) not in (["--version"], ["-V"]):
        yield err(f"simulated: {call.argv[0]}: command not found on the simulated machine")
        return 127
    for line in found:
        yield out(line)
    return 0


def docker(call: Invocation, args: Sequence[str]) -> Script:
    if list(args[:1]) != ["info"]:
        yield err(f"simulated: docker {' '.join(args)}: not simulated")
        return 1
    text = call.machine.read("docker-info.txt")
    if text is None:
        yield err("simulated: docker: command not found on the simulated machine")
        return 127
    for line in text.splitlines():
        yield out(line)
    return 0


def restart_runtime(machine: Machine, unit: str) -> None:
    """A restarted Docker reads daemon.json: `docker info` lists its runtimes from then on."""
    if unit != "docker.service":
        return
    info = machine.read("docker-info.txt")
    if info is None:
        return
    configured = parse_daemon_json(machine.read("docker-daemon-json.txt") or "")
    listed = list(parse_docker_info(info).runtimes)
    wanted = sorted(set(listed) | set(configured))
    if wanted == sorted(listed):
        return
    lines = [
        (line[: len(line) - len(line.lstrip())] + "Runtimes: " + " ".join(wanted))
        if line.strip().startswith("Runtimes:")
        else line
        for line in info.splitlines()
    ]
    machine.write("docker-info.txt", "\n".join(lines) + "\n")
