"""A second sandbox repository shaped like NVIDIA's CUDA repository (ubuntu2404, x86_64), for
the developer stack's tests on real apt and dpkg.

Its Release file says `Origin: NVIDIA` / `Label: NVIDIA CUDA`, as NVIDIA's does, so the apt pin
nvwizard writes (`Pin: release o=NVIDIA,l=NVIDIA CUDA`) selects it for real. The graph:

    cuda-toolkit-12-8 -> cuda-nvcc-12-8 (usr/local/cuda-12.8/bin/nvcc), cuda-cudart-12-8
    cuda -> cuda-12-8 -> cuda-toolkit-12-8, cuda-drivers -> cuda-drivers-580
         -> nvidia-driver-580-open (NVIDIA's build, newer than Ubuntu's: 580.95.05-1ubuntu1)
    NVIDIA's nvidia-utils-580, libnvidia-compute-580, nvidia-kernel-common-580 (the same names
      as Ubuntu's, newer versions: what an unpinned `apt upgrade` would switch to)
    cudnn9-cuda-12 -> libcudnn9-cuda-12, libcudnn9-dev-cuda-12 (ships cudnn_version_v9.h)
    cuda-keyring: installs etc/apt/sources.list.d/cuda-ubuntu2404-x86_64.list for this repository

`install_fake_curl` puts a `curl` into the sandbox's PATH that "downloads" the keyring package
from NVIDIA's URL (it copies this repository's), as the plan's cuda-repository step asks.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.sandbox.aptsandbox import AptSandbox, _build_deb, _control, native_architecture
from tests.sandbox.catalogue import VERSIONS, DummyPackage

UBUNTU_580 = VERSIONS["580"]  # "580.95.05-0ubuntu0.24.04.2"
NVIDIA_580 = "580.95.05-1ubuntu1"  # NVIDIA's build of the same driver, a newer version
RELEASE = """\
Origin: NVIDIA
Label: NVIDIA CUDA
Architecture: {arch}
Date: Thu, 01 Jan 2026 00:00:00 UTC
SHA256:
 {sha256} {size} Packages
"""
NVCC = """#!/bin/sh
echo "nvcc: NVIDIA (R) Cuda compiler driver"
echo "Cuda compilation tools, release 12.8, V12.8.93"
"""
CUDNN_HEADER = "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 10\n#define CUDNN_PATCHLEVEL 2\n"
KEYRING_URL = (
    "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/"
    "cuda-keyring_1.1-1_all.deb"
)
FAKE_CURL = """#!{python}
import os, shutil, sys
args = sys.argv[1:]
target = args[args.index("-o") + 1]
url = args[-1]
if url != {url!r}:
    sys.stderr.write("curl: (6) Could not resolve host: " + url.split("/")[2] + "\\n")
    sys.exit(6)
path = os.environ["DPKG_ROOT"] + target
os.makedirs(os.path.dirname(path), exist_ok=True)
shutil.copy({deb!r}, path)
"""


def _nvidia_driver_packages() -> list[DummyPackage]:
    return [
        DummyPackage(
            "nvidia-driver-580-open",
            NVIDIA_580,
            depends=(
                f"nvidia-utils-580 (= {NVIDIA_580})",
                f"libnvidia-compute-580 (= {NVIDIA_580})",
                f"nvidia-kernel-common-580 (= {NVIDIA_580})",
            ),
            provides=("nvidia-driver-binary",),
            conflicts=("nvidia-driver-binary",),
            description="NVIDIA driver metapackage (NVIDIA's CUDA repository)",
        ),
        *(
            DummyPackage(
                name,
                NVIDIA_580,
                provides=(virtual,),
                conflicts=(virtual,),
                description=f"{name} (NVIDIA's CUDA repository)",
            )
            for name, virtual in (
                ("nvidia-utils-580", "nvidia-utils"),
                ("libnvidia-compute-580", "libnvidia-compute"),
                ("nvidia-kernel-common-580", "nvidia-kernel-common"),
            )
        ),
        DummyPackage("cuda-drivers-580", "580.95.05-1", depends=("nvidia-driver-580-open",)),
        DummyPackage("cuda-drivers", "580.95.05-1", depends=("cuda-drivers-580",)),
    ]


def cuda_packages(repository: Path) -> list[DummyPackage]:
    source = f"deb [trusted=yes] file:{repository} ./\n"
    return [
        DummyPackage(
            "cuda-nvcc-12-8",
            "12.8.93-1",
            description="CUDA nvcc",
            files=(("usr/local/cuda-12.8/bin/nvcc", NVCC, 0o755),),
        ),
        DummyPackage("cuda-cudart-12-8", "12.8.90-1", description="CUDA Runtime"),
        DummyPackage(
            "cuda-toolkit-12-8",
            "12.8.1-1",
            depends=("cuda-nvcc-12-8", "cuda-cudart-12-8"),
            description="CUDA Toolkit 12.8 meta-package",
        ),
        DummyPackage(
            "cuda-12-8",
            "12.8.1-1",
            depends=("cuda-toolkit-12-8", "cuda-drivers (>= 570.124.06)"),
            description="CUDA 12.8 meta-package (toolkit and driver)",
        ),
        DummyPackage("cuda", "12.8.1-1", depends=("cuda-12-8",), description="CUDA meta-package"),
        *_nvidia_driver_packages(),
        DummyPackage("libcudnn9-cuda-12", "9.10.2.21-1", description="cuDNN runtime libraries"),
        DummyPackage(
            "libcudnn9-dev-cuda-12",
            "9.10.2.21-1",
            depends=("libcudnn9-cuda-12",),
            description="cuDNN development headers",
            files=(("usr/include/x86_64-linux-gnu/cudnn_version_v9.h", CUDNN_HEADER, 0o644),),
        ),
        DummyPackage(
            "cudnn9-cuda-12",
            "9.10.2.21-1",
            depends=("libcudnn9-cuda-12", "libcudnn9-dev-cuda-12"),
            description="NVIDIA cuDNN for CUDA 12",
        ),
        DummyPackage(
            "cuda-keyring",
            "1.1-1",
            description="GPG keyring for the CUDA repository",
            files=(("etc/apt/sources.list.d/cuda-ubuntu2404-x86_64.list", source, 0o644),),
        ),
    ]


@dataclass(frozen=True)
class CudaRepository:
    path: Path  # the flat repository
    keyring_deb: Path  # what NVIDIA's keyring URL "serves"


def build_cuda_repository(dest: Path) -> CudaRepository:
    arch = native_architecture()
    work, pool = dest / "src", dest / "pool"
    pool.mkdir(parents=True)
    packages = cuda_packages(dest.resolve())
    stanzas = []
    keyring = None
    for package in packages:
        deb = _build_deb(package, arch, work, pool)
        data = deb.read_bytes()
        if package.name == "cuda-keyring":
            keyring = deb
        stanzas.append(
            _control(package, arch)
            + f"Filename: pool/{deb.name}\nSize: {len(data)}\n"
            + f"SHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    index = "\n".join(stanzas).encode()
    (dest / "Packages").write_bytes(index)
    (dest / "Release").write_text(
        RELEASE.format(arch=arch, sha256=hashlib.sha256(index).hexdigest(), size=len(index))
    )
    shutil.rmtree(work)
    assert keyring is not None
    return CudaRepository(dest.resolve(), keyring)


def install_fake_curl(sandbox: AptSandbox, repository: CudaRepository) -> None:
    import sys

    curl = sandbox.bin_dir / "curl"
    curl.write_text(
        FAKE_CURL.format(python=sys.executable, url=KEYRING_URL, deb=str(repository.keyring_deb))
    )
    curl.chmod(0o755)
