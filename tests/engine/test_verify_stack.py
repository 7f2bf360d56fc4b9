"""Verify's checks of the developer stack (engine/verify_stack.py), on hand-made facts."""

from __future__ import annotations

from nvwizard.engine.verify_stack import stack_checks
from nvwizard.host.base import Host
from nvwizard.report.models import (
    ContainerToolkitInstall,
    CudaToolkitInstall,
    CudnnInstall,
    DevStack,
    Report,
)

NVCC_12_8 = "== /usr/local/cuda/bin/nvcc ==\nCuda compilation tools, release 12.8, V12.8.93\n"
HEADER = (
    "== /usr/include/cudnn_version.h ==\n"
    "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 10\n#define CUDNN_PATCHLEVEL 2\n"
)
PASSED = (
    "nvcc=/usr/local/cuda/bin/nvcc\ncompile=0\nrun=0\n--- output ---\n"
    "vector-add: 1048576 elements, max error 0, PASSED\n"
)


class Facts(Host):
    def __init__(self, kind: str = "local", **sources: str):
        self.kind = kind
        self.label = kind
        self.sources = {k.replace("_", "-") + ".txt": v for k, v in sources.items()}

    def read(self, source):
        return self.sources.get(source)

    def start(self, argv, env=None):
        raise AssertionError("verify runs no command")


def report(**stack) -> Report:
    base = dict(
        cuda_toolkits=[
            CudaToolkitInstall(
                "12.8", "nvidia-repo", "/usr/local/cuda-12.8", "12.8.1", "cuda-toolkit-12-8"
            )
        ],
        cudnn=CudnnInstall("9.10.2", 12, "libcudnn9-cuda-12"),
        container_toolkit=ContainerToolkitInstall("1.18.0", ["docker"]),
        container_runtimes=["docker"],
    )
    base.update(stack)
    return Report(os=None, os_id="ubuntu", os_version="24.04", kernel=None, stack=DevStack(**base))


GOOD = dict(
    cuda_toolkits="/usr/local/cuda-12.8 version=12.8.1\n/usr/local/cuda -> /usr/local/cuda-12.8\n",
    nvcc_version=NVCC_12_8,
    cudnn_version=HEADER,
    nvidia_ctk_version="NVIDIA Container Toolkit CLI version 1.18.0\n",
    docker_info=" Runtimes: io.containerd.runc.v2 nvidia runc\n",
    cuda_sample=PASSED,
)


def checks(host, rep=None):
    return {c.name: c for c in stack_checks(host, rep or report())}


def test_a_working_stack_passes_every_check():
    found = checks(Facts(**GOOD))
    assert list(found) == [
        "cuda-link",
        "nvcc-version",
        "cudnn-version",
        "nvidia-ctk",
        "runtime-docker",
        "cuda-sample",
    ]
    assert all(c.ok and not c.skipped for c in found.values()), found
    assert "ran on the GPU and checked its result" in found["cuda-sample"].detail


def test_each_broken_part_fails_with_its_fix():
    broken = Facts(
        **{
            **GOOD,
            "cuda_toolkits": "/usr/local/cuda-12.8\n/usr/local/cuda -> /usr/local/cuda-11.0\n",
            "nvcc_version": NVCC_12_8.replace("12.8, V12.8", "12.6, V12.6"),
            "cudnn_version": HEADER.replace("MINOR 10", "MINOR 9"),
            "nvidia_ctk_version": "bash: nvidia-ctk: command not found\n",
            "docker_info": " Runtimes: io.containerd.runc.v2 runc\n",
            "cuda_sample": PASSED.replace("run=0", "run=1").replace(
                "vector-add: 1048576 elements, max error 0, PASSED",
                "vector-add: cudaMallocManaged failed: CUDA driver version is insufficient for "
                "CUDA runtime version",
            ),
        }
    )
    # the report reads the same sources: Docker lists no nvidia runtime
    found = checks(broken, report(container_toolkit=ContainerToolkitInstall("1.18.0", [])))
    assert [n for n, c in found.items() if c.ok] == []
    assert "update-alternatives --set cuda /usr/local/cuda-12.8" in found["cuda-link"].fix
    assert "CUDA 12.6, but the toolkit there is CUDA 12.8" in found["nvcc-version"].detail
    assert "9.9.2" in found["cudnn-version"].detail and "9.10.2" in found["cudnn-version"].detail
    assert "--reinstall nvidia-container-toolkit" in found["nvidia-ctk"].fix
    assert "nvidia-ctk runtime configure --runtime=docker" in found["runtime-docker"].fix
    assert "insufficient" in found["cuda-sample"].detail


def test_docker_that_does_not_answer_fails_its_runtime_check():
    host = Facts(**{**GOOD, "docker_info": "Server:\nERROR: Cannot connect to the Docker daemon\n"})
    check = checks(host)["runtime-docker"]
    assert not check.ok and "does not answer" in check.detail
    assert check.fix == "`sudo systemctl start docker`, then run verify again."


def test_the_vector_add_is_skipped_where_it_cannot_run_and_says_why():
    no_gpu = Facts(
        **{
            **GOOD,
            "cuda_sample": "nvcc=/usr/local/cuda/bin/nvcc\ncompile=0\n"
            "run=skipped: no NVIDIA device node (/dev/nvidiactl)\n",
        }
    )
    check = checks(no_gpu)["cuda-sample"]
    assert check.ok and check.skipped and "not run: no NVIDIA device node" in check.detail
    bundle = checks(Facts("bundle", **GOOD))["cuda-sample"]
    assert bundle.skipped and "captured bundle" in bundle.detail
    demo = checks(Facts("demo", **{**GOOD, "cuda_sample": "simulated=1\n" + PASSED}))["cuda-sample"]
    assert demo.ok and not demo.skipped and "simulated on the demo machine" in demo.detail


def test_only_what_is_installed_is_checked():
    bare = report(cuda_toolkits=[], cudnn=None, container_toolkit=None, container_runtimes=[])
    assert stack_checks(Facts(**GOOD), bare) == []
    distro = report(
        cuda_toolkits=[
            CudaToolkitInstall("12.0", "distro", "/usr", "12.0.140", "nvidia-cuda-toolkit")
        ],
        cudnn=None,
        container_toolkit=None,
        container_runtimes=[],
    )
    found = checks(
        Facts(
            nvcc_version="== /usr/bin/nvcc ==\nCuda compilation tools, release 12.0, V12.0.140\n"
        ),
        distro,
    )
    assert list(found) == ["nvcc-version", "cuda-sample"]  # no /usr/local/cuda for it
    assert found["nvcc-version"].ok and "/usr/bin/nvcc: CUDA 12.0" in found["nvcc-version"].detail
