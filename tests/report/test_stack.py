"""The developer stack in the detection report, and its findings, from bundle files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nvwizard.detect.apt_sources import parse_apt_source_entries
from nvwizard.host.bundle import BundleHost
from nvwizard.knowledge.cuda import pin_file_text
from nvwizard.report.build import build_report
from nvwizard.report.models import ContainerToolkitInstall, CudaToolkitInstall, CudnnInstall
from nvwizard.report.stack import distro_toolkit_area_enabled

from .helpers import TODAY

OS = 'ID=ubuntu\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04.3 LTS"\n'
DPKG = """\
nvidia-driver-570-server\tinstall ok installed\t570.172.08-0ubuntu0.24.04.1
libnvidia-compute-570-server\tinstall ok installed\t570.172.08-0ubuntu0.24.04.1
cuda-keyring\tinstall ok installed\t1.1-1
cuda-toolkit-12-8\tinstall ok installed\t12.8.1-1
cuda-nvcc-12-8\tinstall ok installed\t12.8.93-1
cuda-nvcc-13-0\tinstall ok installed\t13.0.88-1
nvidia-cuda-toolkit\tinstall ok installed\t12.0.140~12.0.1-4build4
libcudnn9-cuda-13\tinstall ok installed\t9.13.0.50-1
nvidia-container-toolkit\tinstall ok installed\t1.18.0-1
docker-ce\tinstall ok installed\t5:28.5.1-1~ubuntu.24.04~noble
containerd.io\tinstall ok installed\t1.7.28-1
curl\tinstall ok installed\t8.5.0-2ubuntu10.6
"""
FOLDERS = (
    "/usr/local/cuda-12.8 version=12.8.1\n/usr/local/cuda-13.0 version=13.0.0\n"
    "/usr/local/cuda-11.8 version=11.8.0\n/usr/local/cuda -> /usr/local/cuda-12.8\n"
)
APT = """\
Package: cuda-toolkit-13-0
Version: 13.0.2-1

Package: cuda-toolkit-12-8
Version: 12.8.1-1

Package: cudnn9-cuda-12
Version: 9.13.0.50-1

Package: nvidia-cuda-toolkit
Version: 12.0.140~12.0.1-4build4
"""


def bundle(tmp_path: Path, **files: str) -> BundleHost:
    contents = {
        "os-release.txt": OS,
        "uname-r.txt": "6.8.0-94-generic\n",
        "dpkg-query.txt": DPKG,
        "cuda-toolkits.txt": FOLDERS,
        "docker-info.txt": " Runtimes: io.containerd.runc.v2 runc\n Default Runtime: runc\n",
        "apt-cache-show.txt": APT,
        "dpkg-architecture.txt": "amd64\n",
        "lspci-nn.txt": "01:00.0 3D controller [0302]: NVIDIA Corporation GH100 [H100 SXM5 80GB] "
        "[10de:2330] (rev a1)\n",
        **files,
    }
    for name, text in contents.items():
        if text is not None:
            (tmp_path / name).write_text(text)
    return BundleHost(tmp_path)


def test_every_kind_of_toolkit_cudnn_and_container_toolkit(tmp_path):
    report = build_report(bundle(tmp_path), TODAY)
    stack = report.stack
    assert stack.cuda_toolkits == [
        CudaToolkitInstall("11.8", "runfile", "/usr/local/cuda-11.8", "11.8.0"),
        CudaToolkitInstall("12.0", "distro", "/usr", "12.0.140~12.0.1", "nvidia-cuda-toolkit"),
        CudaToolkitInstall(
            "12.8", "nvidia-repo", "/usr/local/cuda-12.8", "12.8.1", "cuda-toolkit-12-8"
        ),
        # a folder NVIDIA's packages own without the toolkit metapackage: no runfile
    ]
    assert stack.cudnn == CudnnInstall("9.13.0", 13, "libcudnn9-cuda-13")
    assert stack.container_toolkit == ContainerToolkitInstall("1.18.0", [])
    assert stack.container_runtimes == ["docker"]  # containerd.io is Docker's engine here
    assert stack.cuda_repo and not stack.cuda_repo_driver_pin
    assert stack.offers.cuda == ["12.8", "13.0"] and stack.offers.cudnn_cuda_majors == [12]
    assert stack.offers.distro_cuda == "12.0" and stack.architecture == "amd64"
    assert stack.curl is True
    data = report.to_json()
    assert data["cuda_toolkits"][0] == {
        "version": "11.8",
        "source": "runfile",
        "path": "/usr/local/cuda-11.8",
        "release": "11.8.0",
        "package": None,
    }
    assert data["cudnn"] == {"version": "9.13.0", "cuda_major": 13, "package": "libcudnn9-cuda-13"}
    assert data["container_toolkit"] == {"version": "1.18.0", "runtimes_configured": []}
    assert data["cuda_repo"] is True


def test_findings_of_the_stack(tmp_path):
    findings = {f.id: f for f in build_report(bundle(tmp_path), TODAY).findings}
    # no loaded module: the installed 570 libraries decide; CUDA 12.8 fits 570
    assert "cuda-toolkit-newer-than-driver" not in findings
    cudnn = findings["cudnn-cuda-mismatch"]
    assert cudnn.severity == "warn" and "built for CUDA 13" in cudnn.message
    assert "cudnn9-cuda-12" in cudnn.fix
    ctk = findings["container-toolkit-not-configured"]
    assert "docker has no nvidia runtime" in ctk.message
    assert "`sudo nvidia-ctk runtime configure --runtime=docker`" in ctk.fix
    assert findings["mixed-driver-sources"].severity == "warn"  # the repository, no pin


def test_a_toolkit_newer_than_the_driver(tmp_path):
    dpkg = DPKG.replace(
        "cuda-toolkit-12-8\tinstall ok installed\t12.8.1-1",
        "cuda-toolkit-13-0\tinstall ok installed\t13.0.2-1",
    )
    findings = {
        f.id: f for f in build_report(bundle(tmp_path, **{"dpkg-query.txt": dpkg}), TODAY).findings
    }
    newer = findings["cuda-toolkit-newer-than-driver"]
    assert newer.severity == "warn" and "CUDA 13.0 needs branch 580" in newer.message
    assert "branch 580 or newer" in newer.fix


def test_configured_runtimes_and_the_pin_clear_their_findings(tmp_path):
    host = bundle(
        tmp_path,
        **{
            "docker-info.txt": " Runtimes: io.containerd.runc.v2 nvidia runc\n",
            "apt-preferences.txt": pin_file_text("the Ubuntu archive"),
        },
    )
    report = build_report(host, TODAY)
    assert report.stack.container_toolkit.runtimes_configured == ["docker"]
    assert report.stack.cuda_repo_driver_pin
    ids = {f.id for f in report.findings}
    assert not ids & {"container-toolkit-not-configured", "mixed-driver-sources"}


def test_docker_that_does_not_answer_falls_back_to_daemon_json(tmp_path):
    host = bundle(
        tmp_path,
        **{
            "docker-info.txt": "Server:\nERROR: Cannot connect to the Docker daemon at "
            "unix:///var/run/docker.sock.\n",
            "docker-daemon-json.txt": '{"runtimes": {"nvidia": {}}}',
        },
    )
    assert build_report(host, TODAY).stack.container_toolkit.runtimes_configured == ["docker"]


def test_nothing_of_the_stack(tmp_path):
    host = bundle(
        tmp_path,
        **{"dpkg-query.txt": "bash\tinstall ok installed\t5.2\n", "cuda-toolkits.txt": ""},
    )
    report = build_report(host, TODAY)
    assert report.stack.cuda_toolkits == [] and report.stack.cudnn is None
    assert report.stack.container_toolkit is None and report.stack.curl is False
    assert not {f.id for f in report.findings} & {
        "cudnn-cuda-mismatch",
        "container-toolkit-not-configured",
        "cuda-toolkit-newer-than-driver",
    }


@pytest.mark.parametrize(
    ("os_id", "sources", "enabled"),
    [
        ("ubuntu", "deb http://archive.ubuntu.com/ubuntu/ jammy main restricted\n", False),
        ("ubuntu", "deb http://archive.ubuntu.com/ubuntu/ jammy multiverse\n", True),
        ("ubuntu", "deb-src http://archive.ubuntu.com/ubuntu/ jammy multiverse\n", False),
        (
            "debian",
            "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\n"
            "Components: main contrib non-free non-free-firmware\n",
            True,
        ),
        ("debian", "deb http://deb.debian.org/debian bookworm main non-free-firmware\n", False),
        ("ubuntu", None, None),
        ("fedora", "deb http://example.org/ x multiverse\n", None),
    ],
)
def test_whether_the_sources_enable_the_distribution_toolkits_area(os_id, sources, enabled):
    entries = None if sources is None else parse_apt_source_entries(sources)
    assert distro_toolkit_area_enabled(os_id, entries) is enabled
