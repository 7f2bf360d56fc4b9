"""The files the developer stack's packages put on the simulated machine's disk (the CUDA
folders, what `nvcc --version` prints, cuDNN's header, nvidia-ctk's version), rewritten by
model.py after every change to the packages.

`cuda-sample.txt` (the vector-add program verify compiles and runs) is answered from the
machine's state: it passes where a toolkit is installed and the loaded driver runs it, and says
`simulated=1`: nothing is compiled on a demo.
"""

from __future__ import annotations

from nvwizard.detect.cuda import parse_nvcc_version
from nvwizard.detect.proc_version import parse_proc_driver_version
from nvwizard.knowledge import containers as ctk
from nvwizard.knowledge import cuda
from nvwizard.knowledge.packages import branch_of_version
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
