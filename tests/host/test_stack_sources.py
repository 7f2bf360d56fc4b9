"""The developer stack's sources on a machine: the vector-add program compiled with the real
nvcc where one is installed (this machine has CUDA 13.0), the CUDA folders, cuDNN's header and
the runtimes' configuration read from a fake root."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nvwizard.detect.cuda import parse_cuda_folders, parse_cuda_sample, parse_cudnn_header
from nvwizard.detect.models import CudaDirectory
from nvwizard.host.cuda_sample import run_cuda_sample
from nvwizard.host.local import LocalHost

REAL_NVCC = shutil.which("nvcc") or (
    "/usr/local/cuda/bin/nvcc" if Path("/usr/local/cuda/bin/nvcc").exists() else None
)


@pytest.mark.skipif(REAL_NVCC is None, reason="no nvcc installed here: nothing to compile with")
def test_vector_add_compiles_with_the_installed_nvcc_and_runs_only_on_a_gpu():
    sample = parse_cuda_sample(run_cuda_sample(Path("/"), REAL_NVCC))
    assert sample is not None and sample.compiled is True, sample
    if Path("/dev/nvidiactl").exists():
        assert sample.ran and sample.passed, sample.output
        assert any("max error 0, PASSED" in line for line in sample.output)
    else:
        assert sample.ran is None and not sample.passed
        assert sample.skipped is not None and "no NVIDIA device node" in sample.skipped


def test_vector_add_run_and_failures_with_a_fake_nvcc(tmp_path):
    nvcc = tmp_path / "nvcc"
    # "compiles" into a program that prints what a GPU run prints
    nvcc.write_text(
        '#!/bin/sh\nout="$2"\nprintf \'#!/bin/sh\\necho "vector-add: 1048576 elements, max '
        'error 0, PASSED"\\n\' > "$out"\nchmod +x "$out"\n'
    )
    nvcc.chmod(0o755)
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev/nvidiactl").touch()
    passed = parse_cuda_sample(run_cuda_sample(tmp_path, str(nvcc)))
    assert passed is not None and passed.ran and passed.passed
    broken = tmp_path / "broken-nvcc"
    broken.write_text(
        "#!/bin/sh\necho 'vector_add.cu(1): error: identifier undefined' >&2\nexit 2\n"
    )
    broken.chmod(0o755)
    failed = parse_cuda_sample(run_cuda_sample(tmp_path, str(broken)))
    assert failed is not None and failed.compiled is False and failed.ran is None
    assert "identifier undefined" in failed.output[0]


def test_stack_files_from_a_fake_root(tmp_path):
    cuda = tmp_path / "usr/local/cuda-12.8"
    cuda.mkdir(parents=True)
    (cuda / "version.json").write_text(
        json.dumps({"cuda": {"name": "CUDA SDK", "version": "12.8.1"}})
    )
    (tmp_path / "usr/local/cuda-11.8").mkdir()
    (tmp_path / "usr/local/cuda-11.8/version.txt").write_text("CUDA Version 11.8.89\n")
    (tmp_path / "usr/local/cuda").symlink_to(cuda)
    header = tmp_path / "usr/include/x86_64-linux-gnu/cudnn_version_v9.h"
    header.parent.mkdir(parents=True)
    header.write_text("#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 10\n#define CUDNN_PATCHLEVEL 2\n")
    drop_in = tmp_path / "etc/containerd/conf.d/99-nvidia.toml"
    drop_in.parent.mkdir(parents=True)
    drop_in.write_text('[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.nvidia]\n')
    host = LocalHost(root=str(tmp_path))
    folders = parse_cuda_folders(host.read("cuda-toolkits.txt") or "")
    assert folders.directories == (
        CudaDirectory("/usr/local/cuda-11.8", "11.8.89"),
        CudaDirectory("/usr/local/cuda-12.8", "12.8.1"),
    )
    assert folders.cuda_link == "/usr/local/cuda-12.8"
    found = parse_cudnn_header(host.read("cudnn-version.txt") or "")
    assert found is not None and found.version == "9.10.2"
    assert found.path == "/usr/include/x86_64-linux-gnu/cudnn_version_v9.h"
    assert "runtimes.nvidia" in (host.read("containerd-config.txt") or "")
    assert host.read("crio-config.txt") is None and "crio" in host.missing["crio-config.txt"]


def test_write_file_is_atomic_under_the_root(tmp_path):
    host = LocalHost(root=str(tmp_path))
    host.write_file("/etc/apt/preferences.d/pin", "Package: x\n")
    written = tmp_path / "etc/apt/preferences.d/pin"
    assert written.read_text() == "Package: x\n"
    assert oct(written.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in written.parent.iterdir()] == ["pin"]  # no temporary left behind
