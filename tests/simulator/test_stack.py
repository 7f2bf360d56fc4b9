"""The developer stack on the simulated demo machines: NVIDIA's repositories added and
offered, the pin honoured, the container toolkit wired into Docker, the files the packages put
on disk, and what verify reads from them."""

from __future__ import annotations

import pytest

from nvwizard.detect.containers import parse_daemon_json, parse_docker_info
from nvwizard.detect.cuda import parse_cuda_folders, parse_cuda_sample, parse_nvcc_version
from nvwizard.knowledge.cuda import KEYRING_DOWNLOAD, PIN_FILE, keyring_url, pin_file_text
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host

QUICK = {"NVWIZARD_DEMO_SPEED": "0"}
# rtx3090-fresh's unattended-upgrades holds the dpkg lock a moment: apt waits, as plans do
INSTALL = ("apt-get", "-y", "-o", "DPkg::Lock::Timeout=60", "install")


def run(host, *argv: str) -> tuple[int, list[str]]:
    command = host.start(list(argv), QUICK)
    lines = [line.text for line in command.lines()]
    return command.wait(), lines


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    return demo_host("rtx3090-fresh")


def add_cuda_repository(host) -> None:
    url = keyring_url("ubuntu2204", "amd64")
    assert run(host, "curl", "-fsSL", "-o", KEYRING_DOWNLOAD, url)[0] == 0
    code, lines = run(host, "dpkg", "-i", KEYRING_DOWNLOAD)
    assert code == 0 and "Setting up cuda-keyring (1.1-1) ..." in lines
    code, lines = run(host, "apt-get", "update")
    assert code == 0
    flat = "developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64  InRelease"
    assert any(flat in line for line in lines)


def test_the_cuda_repository_is_offered_once_added_and_cuda_pulls_the_driver(fresh):
    assert build_report(fresh).stack.offers.cuda == []
    code, lines = run(fresh, "curl", "-o", "/tmp/x", "https://example.com/x")
    assert code == 6 and "Could not resolve host: example.com" in lines[0]
    add_cuda_repository(fresh)
    report = build_report(fresh)
    assert report.stack.cuda_repo and "12.8" in report.stack.offers.cuda
    assert "13.0" in report.stack.offers.cuda  # Ubuntu 22.04 gets CUDA 13
    code, lines = run(fresh, "apt-get", "-s", "install", "cuda")
    assert code == 0
    assert any(line.startswith("Inst cuda-drivers ") for line in lines)  # the trap, unpinned


def test_the_pin_leaves_the_repositorys_driver_packages_without_a_candidate(fresh):
    fresh.write_file(PIN_FILE, pin_file_text("the Ubuntu archive"))
    add_cuda_repository(fresh)
    assert build_report(fresh).stack.cuda_repo_driver_pin
    code, lines = run(fresh, "apt-get", "-s", "install", "cuda")
    assert code == 100  # cuda-drivers has no candidate any more
    code, lines = run(fresh, "apt-get", "-s", "install", "cuda-toolkit-12-8")
    assert code == 0 and not any("cuda-drivers" in line for line in lines)


def test_installed_toolkit_and_cudnn_show_on_disk(fresh):
    add_cuda_repository(fresh)
    assert run(fresh, *INSTALL, "cuda-toolkit-12-8", "cudnn9-cuda-12")[0] == 0
    folders = parse_cuda_folders(fresh.read("cuda-toolkits.txt") or "")
    assert folders.cuda_link == "/usr/local/cuda-12.8"
    nvcc = parse_nvcc_version(fresh.read("nvcc-version.txt") or "")
    assert nvcc is not None and nvcc.release == "12.8"
    stack = build_report(fresh).stack
    assert [t.version for t in stack.cuda_toolkits] == ["12.8"]
    assert stack.cudnn is not None and stack.cudnn.cuda_major == 12
    # no driver loaded on this fresh machine: the program compiles, and cannot run
    sample = parse_cuda_sample(fresh.read("cuda-sample.txt") or "")
    assert sample is not None and sample.simulated and sample.compiled and sample.ran is None


def test_the_container_toolkit_is_wired_into_docker_by_configure_and_restart(fresh):
    fresh.write_file(
        "/etc/apt/sources.list.d/nvidia-container-toolkit.list",
        "deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.asc] "
        "https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /\n",
    )
    assert run(fresh, "apt-get", "update")[0] == 0
    assert build_report(fresh).stack.offers.container_toolkit
    assert run(fresh, *INSTALL, "nvidia-container-toolkit")[0] == 0
    code, lines = run(fresh, "nvidia-ctk", "--version")
    assert code == 0 and lines[0] == "NVIDIA Container Toolkit CLI version 1.18.1"
    code, lines = run(fresh, "nvidia-ctk", "runtime", "configure", "--runtime=docker")
    assert code == 0 and "Wrote updated config to /etc/docker/daemon.json" in lines[-2]
    assert parse_daemon_json(fresh.read("docker-daemon-json.txt") or "") == ("nvidia",)
    assert "nvidia" not in parse_docker_info(fresh.read("docker-info.txt") or "").runtimes
    assert run(fresh, "systemctl", "restart", "docker")[0] == 0  # Docker reads it now
    assert "nvidia" in parse_docker_info(fresh.read("docker-info.txt") or "").runtimes
    assert build_report(fresh).stack.container_toolkit.runtimes_configured == ["docker"]


def test_the_hgx_demo_has_the_rich_stack():
    stack = build_report(demo_host("hgx-h100")).stack
    assert [(t.version, t.source) for t in stack.cuda_toolkits] == [("12.2", "nvidia-repo")]
    assert stack.cudnn is not None and stack.cudnn.cuda_major == 12
    assert stack.container_toolkit is not None
    assert stack.container_toolkit.runtimes_configured == ["docker"]
    assert stack.cuda_repo and not stack.cuda_repo_driver_pin
    assert "13.0" in stack.offers.cuda and 13 in stack.offers.cudnn_cuda_majors


def test_nvcc_answers_with_the_installed_toolkit():
    host = demo_host("hgx-h100")
    code, lines = run(host, "nvcc", "--version")
    assert code == 0 and "Cuda compilation tools, release 12.2, V12.2.91" in lines
    code, lines = run(host, "/usr/local/cuda/bin/nvcc", "--version")
    assert code == 0 and lines[-1] == "Build cuda_12.2.r12.2/compiler.32965470_0"
    assert run(demo_host("vm-no-gpu"), "nvcc", "--version")[0] == 127
