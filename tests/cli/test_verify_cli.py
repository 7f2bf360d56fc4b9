"""`nvwizard verify` on demo machines: the good state, and each bad state.

Bad states are made by copying the hgx-h100 demo (a healthy 535-server machine) and editing
its files the way the broken machine would show them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nvwizard.host.demo import find_demo

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKS = [
    "module-loaded",
    "module-version",
    "flavour",
    "nvidia-smi",
    "nouveau",
    "next-boot-modules",
]
# hgx-h100 is an NVSwitch board: fabric manager at the driver's version, running
FABRIC_CHECKS = ["fabric-manager"]
# hgx-h100 also has the developer stack: CUDA 12.2 and cuDNN from NVIDIA's repository, the
# container toolkit wired into Docker (engine/verify_stack.py)
STACK_CHECKS = [
    "cuda-link",
    "nvcc-version",
    "cudnn-version",
    "nvidia-ctk",
    "runtime-docker",
    "cuda-sample",
]


def nvwizard(*args: str, state: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "NVWIZARD_STATE_DIR": str(state / "state"),
        "NVWIZARD_LOG_DIR": str(state / "log"),
    }
    return subprocess.run(
        [sys.executable, "-m", "nvwizard", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
    )


def verify_json(*args: str, state: Path) -> tuple[int, dict[str, dict]]:
    result = nvwizard("verify", *args, "--json", state=state)
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert [c["name"] for c in data["checks"]] in (
        CHECKS,
        CHECKS + STACK_CHECKS,
        CHECKS + FABRIC_CHECKS + STACK_CHECKS,  # an NVSwitch board: hgx-h100
    )
    assert data["ok"] == (result.returncode == 0)
    return result.returncode, {c["name"]: c for c in data["checks"]}


def failed(checks: dict[str, dict]) -> set[str]:
    return {name for name, c in checks.items() if not c["ok"]}


def test_the_good_state_passes_and_records_nothing(tmp_path):
    code, checks = verify_json("--demo", "hgx-h100", state=tmp_path)
    assert code == 0
    assert failed(checks) == set()
    assert checks["next-boot-modules"]["detail"] == (
        "DKMS built nvidia 535.247.01 for 6.8.0-94-generic"
    )
    text = nvwizard("verify", "--demo", "hgx-h100", state=tmp_path)
    assert text.returncode == 0
    assert (
        "[ ok ] module-version: module 535.247.01 = installed libraries 535.247.01" in text.stdout
    )
    assert text.stdout.rstrip().endswith("All checks passed.")
    assert not (tmp_path / "state").exists()  # demo runs never touch the state dir


def test_the_nvml_mismatch_demo(tmp_path):
    code, checks = verify_json("--demo", "nvml-mismatch", state=tmp_path)
    assert code == 1
    assert failed(checks) == {"module-version", "nvidia-smi"}
    assert "550.127.05" in checks["module-version"]["detail"]
    assert "550.163.01" in checks["module-version"]["detail"]
    assert checks["module-version"]["fix"].startswith("Reboot")


def test_text_output_shows_each_failure_with_its_fix(tmp_path):
    result = nvwizard("verify", "--demo", "rtx3090-fresh", state=tmp_path)
    assert result.returncode == 1
    assert "[FAIL] nouveau: nouveau is still loaded" in result.stdout
    assert "fix: The driver packages blacklist nouveau" in result.stdout
    assert result.stdout.rstrip().endswith("check(s) failed.")


@pytest.fixture
def broken(tmp_path):
    """A copy of the healthy hgx-h100 demo to break."""
    machine = tmp_path / "machine"
    shutil.copytree(find_demo("hgx-h100").path, machine)
    return machine


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _drop_lines(path: Path, starts: tuple[str, ...]) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith(starts)))


NO_DRIVER = (
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure "
    "that the latest NVIDIA driver is installed and running.\n"
)


def test_module_not_loaded(broken, tmp_path):
    (broken / "proc-driver-nvidia-version.txt").unlink()
    _drop_lines(broken / "lsmod.txt", ("nvidia",))
    (broken / "nvidia-smi.txt").write_text(NO_DRIVER)
    code, checks = verify_json("--machine", str(broken), state=tmp_path)
    assert code == 1
    assert failed(checks) == {"module-loaded", "module-version", "flavour", "nvidia-smi"}
    assert "Reboot" in checks["module-loaded"]["fix"]


def test_libraries_newer_than_the_module(broken, tmp_path):
    for name in ("dpkg-query.txt", "dpkg-l.txt"):
        text = (broken / name).read_text()
        lines = [
            line.replace("535.247.01-0ubuntu0.24.04.1", "535.274.02-0ubuntu0.24.04.1")
            if line.startswith(("libnvidia-compute-535", "ii  libnvidia-compute-535"))
            else line
            for line in text.splitlines(keepends=True)
        ]
        (broken / name).write_text("".join(lines))
    code, checks = verify_json("--machine", str(broken), state=tmp_path)
    assert code == 1
    assert failed(checks) == {"module-version"}
    assert "libnvidia-compute-535-server 535.274.02" in checks["module-version"]["detail"]


def test_the_other_flavour_runs(broken, tmp_path):
    _edit(
        broken / "proc-driver-nvidia-version.txt",
        "NVIDIA UNIX x86_64 Kernel Module",
        "NVIDIA UNIX Open Kernel Module for x86_64",
    )
    code, checks = verify_json("--machine", str(broken), state=tmp_path)
    assert code == 1
    assert failed(checks) == {"flavour"}
    assert "the open module runs, but proprietary was expected" in checks["flavour"]["detail"]


def test_nvidia_smi_fails(broken, tmp_path):
    (broken / "nvidia-smi.txt").write_text("Failed to initialize NVML: Unknown Error\n")
    code, checks = verify_json("--machine", str(broken), state=tmp_path)
    assert code == 1
    assert failed(checks) == {"nvidia-smi"}
    assert "Unknown Error" in checks["nvidia-smi"]["detail"]


def test_nouveau_still_loaded(broken, tmp_path):
    with open(broken / "lsmod.txt", "a") as lsmod:
        lsmod.write("nouveau              2355200  0\n")
    code, checks = verify_json("--machine", str(broken), state=tmp_path)
    assert code == 1
    assert failed(checks) == {"nouveau"}


def test_no_modules_for_the_kernel_that_boots_next(broken, tmp_path):
    with open(broken / "dpkg-query.txt", "a") as dpkg:
        dpkg.write("linux-image-6.8.0-101-generic\tinstall ok installed\t6.8.0-101.101\n")
    code, checks = verify_json("--machine", str(broken), state=tmp_path)
    assert code == 1
    assert failed(checks) == {"next-boot-modules"}
    check = checks["next-boot-modules"]
    assert "6.8.0-101-generic" in check["detail"]
    assert "linux-headers-6.8.0-101-generic" in check["fix"]


def test_fabric_manager_not_running_on_the_nvswitch_board(broken, tmp_path):
    _edit(
        broken / "gpu-services.txt",
        "nvidia-fabricmanager.service\tactive",
        "nvidia-fabricmanager.service\tfailed",
    )
    code, checks = verify_json("--machine", str(broken), state=tmp_path)
    assert code == 1
    assert failed(checks) == {"fabric-manager"}
    check = checks["fabric-manager"]
    assert "nvidia-fabricmanager.service is not running" in check["detail"]
    assert check["fix"].startswith("`sudo systemctl enable --now nvidia-fabricmanager`")


def test_a_missing_machine_is_a_usage_error(tmp_path):
    result = nvwizard("verify", "--machine", str(tmp_path / "nope"), state=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nope" in result.stderr


# -- a machine without an NVIDIA GPU: nothing to verify --------------------------------------


def test_no_nvidia_gpu_is_said_plainly_not_as_six_failures(tmp_path):
    result = nvwizard("verify", "--demo", "vm-no-gpu", state=tmp_path)
    assert result.returncode == 3, result.stdout
    assert result.stdout == (
        "No NVIDIA GPU found on demo vm-no-gpu: there is no NVIDIA driver to verify.\n"
    )
    assert "[FAIL]" not in result.stdout and result.stderr == ""


def test_no_nvidia_gpu_in_json(tmp_path):
    result = nvwizard("verify", "--demo", "vm-no-gpu", "--json", state=tmp_path)
    assert result.returncode == 3
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["nvidia_gpu"] is False and data["checks"] == []
    assert data["message"].startswith("No NVIDIA GPU found on demo vm-no-gpu")
    assert data["host"] == "demo vm-no-gpu"


def test_a_gpu_machine_says_so_in_json(tmp_path):
    result = nvwizard("verify", "--demo", "hgx-h100", "--json", state=tmp_path)
    assert json.loads(result.stdout)["nvidia_gpu"] is True


def test_no_nvidia_gpu_on_this_machine_records_no_verification(places, monkeypatch, capsys):
    from nvwizard.cli.main import main
    from nvwizard.host.bundle import BundleHost
    from nvwizard.simulator import select

    this_machine = BundleHost(find_demo("vm-no-gpu").path, kind="local", label="this machine")
    monkeypatch.setattr(select, "host_from_args", lambda machine, demo: this_machine)
    assert main(["verify"]) == 3
    assert capsys.readouterr().out.startswith("No NVIDIA GPU found on this machine")
    state, _log = places
    assert not (state / "state.json").exists()


def test_a_bundle_of_nvidia_smi_alone_passes_with_what_it_cannot_check_skipped(tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy(find_demo("hgx-h100").path / "nvidia-smi.txt", bundle)
    result = nvwizard("verify", "--machine", str(bundle), state=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "[skip] nouveau: not checkable from this bundle" in result.stdout
    assert "[skip] next-boot-modules: not checkable from this bundle" in result.stdout
    assert "[FAIL]" not in result.stdout
    # flavour, nouveau and next-boot-modules: counted, so "passed" does not hide them
    assert result.stdout.rstrip().endswith("All checks passed; 3 skipped (each says why).")
    code, checks = verify_json("--machine", str(bundle), state=tmp_path)
    assert code == 0
    assert {n for n, c in checks.items() if c["skipped"]} == {
        "flavour",
        "nouveau",
        "next-boot-modules",
    }
