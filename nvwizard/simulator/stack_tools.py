"""The developer stack's tools on the simulated machine: `nvidia-ctk`, `docker info`, a
runtime's restart, and the files the installed packages put on disk (the CUDA folders, what
`nvcc --version` prints, cuDNN's header), rewritten after every change to the packages.

`cuda-sample.txt` (the vector-add program verify compiles and runs) is answered from the
machine's state: it passes where a toolkit is installed and the loaded driver runs it, and says
`simulated=1`: nothing is compiled on a demo.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from nvwizard.detect.containers import parse_daemon_json, parse_docker_info, parse_runtime_tables
from nvwizard.detect.cuda import parse_nvcc_version
from nvwizard.detect.proc_version import parse_proc_driver_version
from nvwizard.knowledge import containers as ctk
from nvwizard.knowledge import cuda
from nvwizard.knowledge.packages import branch_of_version
from nvwizard.simulator.script import Invocation, Script, err, out
from nvwizard.simulator.state import Machine

CTK_COMMIT = "f8daa5e26de9fd7eb79259040b6dd5a52060048c"
NVCC_TEXT = """nvcc: NVIDIA (R) Cuda compiler driver
Copyright (c) 2005-2025 NVIDIA Corporation
Built on Wed_Aug_20_01:58:59_PM_PDT_2025
Cuda compilation tools, release {release}, V{release}.{build}
Build cuda_{release}.r{release}/compiler.36424714_0
"""
CUDNN_HEADER = """/**
 * \\file: The master cuDNN version file.
 */

#ifndef CUDNN_VERSION_H_
#define CUDNN_VERSION_H_

#define CUDNN_MAJOR {major}
#define CUDNN_MINOR {minor}
#define CUDNN_PATCHLEVEL {patch}

#define CUDNN_VERSION (CUDNN_MAJOR * 10000 + CUDNN_MINOR * 100 + CUDNN_PATCHLEVEL)

#endif /* CUDNN_VERSION_H */
"""
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
    from nvwizard.simulator.model import MachineModel

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


# -- the files the packages put on disk ---------------------------------------------------------


def refresh_files(machine: Machine, installed: dict[str, str]) -> None:
    """Rewrite cuda-toolkits.txt, nvcc-version.txt, cudnn-version.txt and
    nvidia-ctk-version.txt from the packages."""
    ctk_version = installed.get("nvidia-container-toolkit-base") or installed.get(
        ctk.TOOLKIT_PACKAGE
    )
    if ctk_version:
        machine.write(
            "nvidia-ctk-version.txt",
            f"NVIDIA Container Toolkit CLI version {ctk_version.split('-')[0]}\n"
            f"commit: {CTK_COMMIT}\n",
        )
    elif machine.read("nvidia-ctk-version.txt") is not None:
        machine.write("nvidia-ctk-version.txt", None)
    toolkits = sorted(
        (v for n in installed if (v := cuda.parse_toolkit_package(n))), key=cuda.version_key
    )
    distro = installed.get(cuda.DISTRO_TOOLKIT)
    before = machine.read("cuda-toolkits.txt")
    if not toolkits and not distro and before is None:
        return  # no toolkit, and none ever was: leave the bundle as captured
    # folders no package owns (a .run install) stay; the packages' own are written anew
    unowned = [
        line
        for line in (before or "").splitlines()
        if line.strip() and "->" not in line and "package=" not in line
    ]
    lines = unowned + [
        f"/usr/local/cuda-{v} version={_release(installed, v)} package={cuda.toolkit_package(v)}"
        for v in toolkits
    ]
    if toolkits:
        lines.append(f"/usr/local/cuda -> /usr/local/cuda-{toolkits[-1]}")
    machine.write("cuda-toolkits.txt", "".join(f"{line}\n" for line in lines) or None)
    parts = []
    if toolkits:
        parts.append(
            "== /usr/local/cuda/bin/nvcc ==\n" + NVCC_TEXT.format(release=toolkits[-1], build="88")
        )
    distro_release = cuda.distro_toolkit_version(distro)
    if distro_release:
        parts.append(
            "== /usr/bin/nvcc ==\n" + NVCC_TEXT.format(release=distro_release, build="140")
        )
    machine.write("nvcc-version.txt", "".join(parts) or None)
    cudnn = sorted(n for n in installed if n.startswith("libcudnn9-cuda-"))
    if cudnn:
        version = installed[cudnn[-1]].split("-")[0].split(".")
        header = CUDNN_HEADER.format(major=version[0], minor=version[1], patch=version[2])
        path = "/usr/include/x86_64-linux-gnu/cudnn_version_v9.h"
        machine.write("cudnn-version.txt", f"== {path} ==\n{header}")
    elif machine.read("cudnn-version.txt") is not None:
        machine.write("cudnn-version.txt", None)


def _release(installed: dict[str, str], version: str) -> str:
    package = installed.get(cuda.toolkit_package(version), f"{version}.0-1")
    return package.split("-")[0]


def cuda_sample(machine: Machine) -> str | None:
    """The vector-add result the machine's state implies; None without any nvcc."""
    found = parse_nvcc_version(machine.read("nvcc-version.txt") or "")
    if found is None:
        return None
    head = f"simulated=1\nnvcc={found.path or 'nvcc'}\ncompile=0\n"
    loaded = parse_proc_driver_version(machine.read("proc-driver-nvidia-version.txt") or "")
    branch = branch_of_version(loaded.version) if loaded else None
    if branch is None:
        return (
            head + "run=skipped: no NVIDIA device node (/dev/nvidiactl): the driver is not loaded\n"
        )
    fit = cuda.driver_fit(found.release, branch)
    if fit.native or fit.compat:
        return head + "run=0\n--- output ---\nvector-add: 1048576 elements, max error 0, PASSED\n"
    return (
        head + "run=1\n--- output ---\nvector-add: cudaMallocManaged(&a, n * sizeof(float)) "
        "failed: CUDA driver version is insufficient for CUDA runtime version\n"
    )
