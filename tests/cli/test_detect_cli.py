"""`nvwizard detect` end to end, as a user runs it (a subprocess of `python -m nvwizard`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from nvwizard.host.demo import DEMO_ROOT, DEMOS
from nvwizard.knowledge.debian import parse_debian_driver

GPU_DEMOS = [d.name for d in DEMOS if d.name != "vm-no-gpu"]
ARCHITECTURES = {
    "Kepler", "Maxwell", "Pascal", "Volta", "Turing", "Ampere", "Hopper", "Ada", "Blackwell",
    "unknown",
}  # fmt: skip


def nvwizard(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nvwizard", *args], capture_output=True, text=True, timeout=120
    )


def detect_json(demo: str) -> dict:
    done = nvwizard("detect", "--demo", demo, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("demo", [d.name for d in DEMOS])
def test_json_has_the_documented_keys_and_types(demo):
    report = detect_json(demo)
    assert report["source"] == f"demo {demo}"
    assert isinstance(report["os"], str) and isinstance(report["kernel"], str)
    for gpu in report["gpus"]:
        assert len(gpu["pci_address"].split(":")) == 3
        assert len(gpu["device_id"]) == 4 and gpu["device_id"] == gpu["device_id"].lower()
        int(gpu["device_id"], 16)
        assert gpu["name"] is None or isinstance(gpu["name"], str)
        assert gpu["architecture"] in ARCHITECTURES
        assert gpu["open_kernel"] in ("unsupported", "supported", "required", "unknown")
    for c in report["driver_candidates"]:
        # Ubuntu's nvidia-driver-<flavour>, or Debian's own names on the Debian demo
        assert c["package"].startswith("nvidia-driver-") or (
            report["os_id"] == "debian" and parse_debian_driver(c["package"]) is not None
        )
        assert isinstance(c["branch"], int)
        assert all(isinstance(c[k], bool) for k in ("open", "server", "recommended"))
        assert c["source"] in ("distro", "third-party")
    recommended = [c["package"] for c in report["driver_candidates"] if c["recommended"]]
    assert recommended == ([report["recommended_driver"]] if report["recommended_driver"] else [])
    for p in report["installed_packages"]:
        assert isinstance(p["name"], str) and isinstance(p["version"], str)
        assert len(p["state"]) == 2
    module = report["loaded_module"]
    assert module is None or module["flavor"] in ("open", "proprietary")
    smi = report["nvidia_smi"]
    if smi is not None:
        assert smi["status"] in ("ok", "no-driver", "version-mismatch", "no-devices", "error")
        for g in smi["gpus"]:
            assert isinstance(g["index"], int)
            assert g["memory_total_mib"] is None or isinstance(g["memory_total_mib"], int)
    assert report["secure_boot"] in ("enabled", "disabled", "unsupported", "unknown")
    assert report["nouveau_loaded"] in (True, False, None)
    for f in report["findings"]:
        assert f["severity"] in ("info", "warn", "block")
        assert f["id"] and f["message"] and isinstance(f["fix"], str)


def test_hgx_h100_facts():
    report = detect_json("hgx-h100")
    assert len(report["gpus"]) == 8
    assert {g["architecture"] for g in report["gpus"]} == {"Hopper"}
    assert report["nvswitch_count"] == 4
    assert report["loaded_module"] == {"version": "535.247.01", "flavor": "proprietary"}
    assert report["nvidia_smi"]["status"] == "ok"
    assert len(report["nvidia_smi"]["gpus"]) == 8
    assert report["nvidia_smi"]["gpus"][0]["memory_total_mib"] == 81559
    names = {p["name"]: p for p in report["installed_packages"]}
    assert names["nvidia-driver-535-server"]["state"] == "ii"
    assert names["nvidia-fabricmanager-535"]["state"] == "hi"
    assert "nvidia-container-toolkit" in names
    assert report["over_ssh"] is True and report["headless"] is True
    assert report["secure_boot"] == "disabled"
    ids = {f["id"] for f in report["findings"]}
    assert {"gpu-processes", "held-packages", "over-ssh"} <= ids


def test_each_demo_shows_its_trap():
    assert detect_json("rtx3090-fresh")["nouveau_loaded"] is True
    gtx = detect_json("gtx1080-secureboot")
    assert gtx["secure_boot"] == "enabled"
    assert gtx["gpus"][0]["open_kernel"] == "unsupported"
    assert not [c for c in gtx["driver_candidates"] if c["open"] and c["recommended"]]
    rtx5090 = detect_json("rtx5090-workstation")
    assert rtx5090["gpus"][0]["open_kernel"] == "required"
    assert rtx5090["recommended_driver"].endswith("-open")
    assert rtx5090["nvidia_smi"]["status"] == "no-devices"
    nvml = detect_json("nvml-mismatch")
    assert nvml["nvidia_smi"]["status"] == "version-mismatch"
    assert nvml["reboot_required"] is True
    debian = detect_json("debian12-t4")
    assert debian["os_id"] == "debian"
    candidates = {c["package"]: c for c in debian["driver_candidates"]}
    assert candidates["nvidia-driver"]["branch"] == 535  # from apt's version, as an int
    assert candidates["nvidia-tesla-535-driver"]["server"] is True
    assert candidates["nvidia-open-kernel-dkms"]["open"] is True
    assert candidates["nvidia-open-kernel-dkms"]["runnable"] is False  # they lag the driver
    assert "nvidia-legacy-390xx-driver" not in candidates  # not in bookworm's archive
    assert debian["debian"]["versions"]["nvidia-driver"] == "535.309.01-0+deb12u1"
    assert debian["debian"]["component_gaps"] == []
    # the same branch: the newer build, bookworm-security's, before the server ranking
    assert debian["recommended_driver"] == "nvidia-driver"
    assert candidates["nvidia-driver"]["recommended"] is True
    assert candidates["nvidia-driver"]["version"] == "535.309.01-0+deb12u1"
    assert candidates["nvidia-tesla-535-driver"]["version"] == "535.216.03-3~deb12u1"
    assert debian["signed_modules_available"] == []


@pytest.mark.parametrize("demo", GPU_DEMOS)
def test_text_summary(demo):
    done = nvwizard("detect", "--demo", demo)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    headings = ["OS:", "GPUs (", "Installed NVIDIA packages:", "Loaded module:", "nvidia-smi:"]
    headings += ["Secure Boot:", "nouveau:", "Driver candidates:", "Findings:"]
    for heading in headings:
        assert heading in out, heading
    report = detect_json(demo)
    if report["recommended_driver"]:
        marked = [line for line in out.splitlines() if line.lstrip().startswith("*")]
        assert len(marked) == 1 and report["recommended_driver"] in marked[0]


def test_no_gpu_says_so_and_exits_0():
    done = nvwizard("detect", "--demo", "vm-no-gpu")
    assert done.returncode == 0
    assert "No NVIDIA GPU found" in done.stdout
    assert detect_json("vm-no-gpu")["gpus"] == []


def test_bare_demo_is_hgx():
    done = nvwizard("detect", "--demo", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["source"] == "demo hgx-h100"


def test_list_demos():
    done = nvwizard("detect", "--list-demos")
    assert done.returncode == 0
    for demo in DEMOS:
        assert demo.name in done.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["--machine", "/nope"], "no such directory"),
        (["--demo", "gtx9999"], "unknown demo machine"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, words):
    done = nvwizard("detect", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert words in done.stderr and "Traceback" not in done.stderr


def test_machine_bundle_with_one_file(tmp_path):
    (tmp_path / "nvidia-smi.txt").write_text(
        "Failed to initialize NVML: Driver/library version mismatch\r\n"
    )
    done = nvwizard("detect", "--machine", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["nvidia_smi"]["status"] == "version-mismatch"


def test_list_demos_json_is_one_list_of_what_the_text_shows():
    done = nvwizard("detect", "--list-demos", "--json")
    assert done.returncode == 0, done.stderr
    demos = json.loads(done.stdout)
    assert [d["name"] for d in demos] == [d.name for d in DEMOS]
    text = nvwizard("detect", "--list-demos").stdout
    for demo in demos:
        assert set(demo) == {"name", "title", "description", "default"}
        assert demo["title"] in text and demo["description"] in text
    assert [d["name"] for d in demos if d["default"]] == ["hgx-h100"]


@pytest.mark.parametrize("demo", ["hgx-h100", "debian13-l4"])
def test_the_text_table_says_the_lifecycle_json_says(demo):
    """A dead branch (ended, superseded) never shows a bare past date, as if current."""
    rows = {
        line.split()[0 if not line.startswith("  *") else 1]: line
        for line in nvwizard("detect", "--demo", demo).stdout.splitlines()
        if line.startswith(("     nvidia", "  *  nvidia"))
    }
    candidates = detect_json(demo)["driver_candidates"]
    assert "ended" in {c["lifecycle"] for c in candidates}
    for candidate in candidates:
        row = rows[candidate["package"]]
        if candidate["lifecycle"] == "ended":
            assert f"ended {candidate['end_of_life']}" in row
        elif candidate["lifecycle"] == "superseded":
            assert "superseded" in row
        else:
            assert not re.search(r"\b(ended|superseded)\b", row)


# what each command prints of the bundle once its FIFO (the kernel) reads as missing
FIFO_BUNDLE_SAYS = {
    "detect": "OS: Ubuntu 24.04.3 LTS, kernel unknown",
    "plan": "The running kernel is unknown",
    "verify": "nvidia 535.247.01 is loaded",
}


@pytest.mark.parametrize("command", FIFO_BUNDLE_SAYS)
def test_a_fifo_in_a_bundle_reads_as_missing_instead_of_hanging(command, tmp_path):
    bundle = shutil.copytree(DEMO_ROOT / "hgx-h100", tmp_path / "bundle")
    (bundle / "uname-r.txt").unlink()
    os.mkfifo(bundle / "uname-r.txt")  # before: every command waited on it forever
    done = subprocess.run(
        [sys.executable, "-m", "nvwizard", command, "--machine", str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert FIFO_BUNDLE_SAYS[command] in done.stdout


def test_a_bundle_of_fifos_alone_is_refused_in_one_line(tmp_path):
    os.mkfifo(tmp_path / "uname-r.txt")
    done = nvwizard("detect", "--machine", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == (
        f"nvwizard: --machine {tmp_path}: its bundle files cannot be read "
        "(uname-r.txt: not a regular file)\n"
    )
