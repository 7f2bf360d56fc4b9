"""Parsers of the developer stack, on real outputs (see samples/cuda and samples/containers,
each with a SOURCES.md saying where every sample comes from)."""

import pytest

from nvwizard.detect.apt_preferences import parse_apt_preferences
from nvwizard.detect.containers import (
    parse_daemon_json,
    parse_docker_info,
    parse_nvidia_ctk_version,
    parse_runtime_tables,
)
from nvwizard.detect.cuda import (
    parse_cuda_folders,
    parse_cuda_sample,
    parse_cudnn_header,
    parse_nvcc_version,
    parse_nvcc_versions,
)
from nvwizard.detect.models import AptPin, CudaDirectory, NvccVersion
from nvwizard.knowledge.cuda import pin_file_text

from ._samples import sample


@pytest.mark.parametrize(
    ("name", "release", "version"),
    [
        ("nvcc-13.0-runfile.txt", "13.0", "13.0.88"),
        ("nvcc-11.5-ubuntu-distro.txt", "11.5", "11.5.119"),
        ("nvcc-11.1.txt", "11.1", "11.1.105"),
        ("nvcc-10.1-no-build-line.txt", "10.1", "10.1.243"),
    ],
)
def test_nvcc_version(name, release, version):
    assert parse_nvcc_version(sample("cuda", name)) == NvccVersion(release, version)


def test_nvcc_not_found_and_garbage():
    assert parse_nvcc_version(sample("cuda", "nvcc-not-found.txt")) is None
    assert parse_nvcc_version("") is None
    assert parse_nvcc_version("release twelve, Vx") is None


def test_several_nvcc_in_one_source_keep_their_paths():
    text = (
        "== /usr/local/cuda/bin/nvcc ==\n"
        + sample("cuda", "nvcc-13.0-runfile.txt")
        + "== /usr/bin/nvcc ==\n"
        + sample("cuda", "nvcc-11.5-ubuntu-distro.txt")
    )
    assert parse_nvcc_versions(text) == [
        NvccVersion("13.0", "13.0.88", "/usr/local/cuda/bin/nvcc"),
        NvccVersion("11.5", "11.5.119", "/usr/bin/nvcc"),
    ]


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("cudnn_version-9.6.0.h", "9.6.0"),
        ("cudnn-grep-A2-9.6.0.txt", "9.6.0"),
        ("cudnn_version-8.2.1.h", "8.2.1"),
        ("cudnn_version-8.8.1.h", "8.8.1"),
    ],
)
def test_cudnn_header(name, version):
    header = parse_cudnn_header(sample("cuda", name))
    assert header is not None and header.version == version


def test_cudnn_header_with_its_path_and_without_defines():
    text = "== /usr/include/x86_64-linux-gnu/cudnn_version_v9.h ==\n" + sample(
        "cuda", "cudnn_version-9.6.0.h"
    )
    header = parse_cudnn_header(text)
    assert header is not None
    assert header.path == "/usr/include/x86_64-linux-gnu/cudnn_version_v9.h"
    assert parse_cudnn_header("cat: /usr/include/cudnn_version.h: No such file\n") is None
    # CUDNN_VERSION's own #define is a formula, never a version
    assert parse_cudnn_header("#define CUDNN_VERSION (CUDNN_MAJOR * 10000)\n") is None


def test_cuda_folders_from_the_host_listing_and_from_ls():
    listing = (
        "/usr/local/cuda-12.8 version=12.8.1\n/usr/local/cuda-13.0\n"
        "/usr/local/cuda -> /usr/local/cuda-12.8\n"
    )
    folders = parse_cuda_folders(listing)
    assert folders.directories == (
        CudaDirectory("/usr/local/cuda-12.8", "12.8.1"),
        CudaDirectory("/usr/local/cuda-13.0", None),
    )
    assert folders.cuda_link == "/usr/local/cuda-12.8"
    ls = (
        "lrwxrwxrwx  1 root root   20 Oct 16 23:04 cuda -> /usr/local/cuda-13.0\r\n"
        "drwxr-xr-x  8 root root 4096 Oct 16 23:04 cuda-13.0\r\n"
        "drwxr-xr-x  2 root root 4096 Oct 16 23:04 bin\r\n"
    )
    folders = parse_cuda_folders(ls)
    assert folders.directories == (CudaDirectory("/usr/local/cuda-13.0", None),)
    assert folders.cuda_link == "/usr/local/cuda-13.0"
    assert parse_cuda_folders("").directories == ()


def test_cuda_sample_results():
    passed = parse_cuda_sample(
        "nvcc=/usr/local/cuda/bin/nvcc\ncompile=0\nrun=0\n--- output ---\n"
        "vector-add: 1048576 elements, max error 0, PASSED\n"
    )
    assert passed is not None and passed.passed and passed.compiled and passed.ran
    no_gpu = parse_cuda_sample(
        "nvcc=/usr/local/cuda/bin/nvcc\ncompile=0\nrun=skipped: no NVIDIA GPU device node\n"
    )
    assert no_gpu is not None
    assert (no_gpu.compiled, no_gpu.ran, no_gpu.passed) == (True, None, False)
    assert no_gpu.skipped == "no NVIDIA GPU device node"
    failed = parse_cuda_sample(
        "nvcc=/usr/bin/nvcc\ncompile=0\nrun=1\n--- output ---\n"
        "vector-add: cudaMalloc failed: CUDA driver version is insufficient for CUDA runtime "
        "version\n"
    )
    assert failed is not None and failed.ran is False and not failed.passed
    assert "insufficient" in failed.output[0]
    assert parse_cuda_sample("") is None


def test_nvidia_ctk_version():
    assert parse_nvidia_ctk_version(sample("containers", "nvidia-ctk-1.12.0.txt")) == "1.12.0"
    assert parse_nvidia_ctk_version(sample("containers", "nvidia-ctk-1.18.0.txt")) == "1.18.0"
    assert parse_nvidia_ctk_version("bash: nvidia-ctk: command not found\n") is None


@pytest.mark.parametrize(
    ("name", "runtimes", "default"),
    [
        (
            "docker-info-nvidia-default-19.03.txt",
            (
                "kata-clh",
                "kata-fc",
                "kata-qemu",
                "kata-qemu-virtiofs",
                "kata-runtime",
                "nvidia",
                "runc",
            ),
            "nvidia",
        ),
        ("docker-info-grep-no-nvidia.txt", ("io.containerd.runc.v2", "runc"), "runc"),
        ("docker-info-seccomp-warning-no-nvidia.txt", ("io.containerd.runc.v2", "runc"), "runc"),
        ("docker-info-17.12-flush-left.txt", ("kata-runtime", "runc", "cc-runtime"), "runc"),
    ],
)
def test_docker_info_runtimes(name, runtimes, default):
    info = parse_docker_info(sample("containers", name))
    assert (info.runtimes, info.default_runtime, info.error) == (runtimes, default, None)


def test_docker_info_without_a_daemon_says_why():
    info = parse_docker_info(sample("containers", "docker-info-daemon-down.txt"))
    assert info.runtimes == ()
    assert info.error is not None and info.error.startswith("Cannot connect to the Docker daemon")


def test_daemon_json():
    assert parse_daemon_json(sample("containers", "daemon-nvidia-default.json")) == ("nvidia",)
    assert parse_daemon_json(sample("containers", "daemon-nvidia-args.json")) == ("nvidia",)
    assert parse_daemon_json("{ not json") == ()
    assert parse_daemon_json("[1, 2]") == ()
    assert parse_daemon_json('{"runtimes": "nvidia"}') == ()


def test_containerd_and_crio_runtime_tables():
    assert parse_runtime_tables(sample("containers", "containerd-config-nvidia-v2.toml")) == (
        "nvidia",
    )
    assert (
        parse_runtime_tables(sample("containers", "containerd-config-docker-cri-disabled.toml"))
        == ()
    )
    v3 = "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia]\n"
    assert parse_runtime_tables(v3) == ("nvidia",)
    crio = '[crio.runtime.runtimes.nvidia]\nruntime_path = "/usr/bin/nvidia-container-runtime"\n'
    assert parse_runtime_tables(crio) == ("nvidia",)
    commented = '# [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]\n'
    assert parse_runtime_tables(commented) == ()


def test_apt_preferences_read_nvwizards_own_pin():
    text = (
        "# NVIDIA's own pin file (cuda-ubuntu2404.pin)\n"
        "Package: *\nPin: origin developer.download.nvidia.com\nPin-Priority: 600\n\n"
        + pin_file_text("the Ubuntu archive")
        + "\nExplanation: broken\nPackage: x\nPin-Priority: high\n"
    )
    pins = parse_apt_preferences(text)
    assert pins[0] == AptPin(("*",), "origin developer.download.nvidia.com", 600)
    assert pins[1].pin == "release o=NVIDIA,l=NVIDIA CUDA" and pins[1].priority == -1
    assert "cuda-drivers*" in pins[1].packages
    assert len(pins) == 2
