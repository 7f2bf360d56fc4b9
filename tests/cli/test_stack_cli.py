"""`plan`/`install`/`verify` with the developer stack, as a user runs them (issue 14)."""

from __future__ import annotations

import json

import pytest

from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices
from nvwizard.plan.simulate import check_simulation, simulate
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from tests.cli.run import nvwizard


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("--demo", "gtx1080-secureboot", "--cuda", "13.0"), 3, "(Pascal): CUDA 13 supports"),
        (
            ("--demo", "hgx-h100", "--driver", "nvidia-driver-570-server-open", "--cuda", "13.0"),
            3,
            "CUDA 13.0 needs branch 580 or newer",
        ),
        (("--demo", "rtx3090-fresh", "--cudnn"), 3, "--cudnn needs a CUDA toolkit"),
        (("--demo", "hgx-h100", "--cuda", "12.7"), 2, "no such toolkit"),
        (
            ("--demo", "rtx3090-fresh", "--cuda", "12.7"),
            2,
            "(NVIDIA publishes: 11.8, 12.0-12.6, 12.8-12.9, 13.0-13.3)",
        ),
        (
            ("--demo", "rtx5090-workstation", "--cuda", "12.6"),
            3,
            "(Blackwell): Blackwell needs CUDA 12.8 or newer",
        ),
        (
            ("--demo", "rtx5090-workstation", "--cuda", "distro"),
            3,
            "CUDA 12.0 cannot build for GeForce RTX 5090 (Blackwell)",
        ),
        (("--demo", "hgx-h100", "--cuda", "twelve"), 2, "expected a CUDA release"),
        (("--demo", "hgx-h100", "--allow-cuda-compat"), 2, "add --cuda VERSION"),
    ],
)
def test_refusals_and_usage_errors_are_one_line_before_anything_runs(args, code, words):
    result = nvwizard("plan", *args)
    assert result.returncode == code, result.stderr
    assert words in result.stderr and result.stdout == ""
    if code == 3:
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("nvwizard: ")


def test_plan_json_carries_the_stack_and_the_pin():
    result = nvwizard("plan", "--demo", "hgx-h100", "--cuda", "latest", "--cudnn", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["cuda"] == "13.2" and plan["stack_list"] == ["cuda-toolkit-13-2", "cudnn9-cuda-13"]
    assert plan["choices"]["cuda"] == "latest" and plan["repositories"] == []
    steps = {s["id"]: s for s in plan["steps"]}
    assert steps["cuda-pin"]["writes"][0]["path"] == (
        "/etc/apt/preferences.d/nvwizard-cuda-repository-drivers"
    )
    assert "cuda-repository" not in steps  # NVIDIA's repository is configured on hgx-h100


def test_the_default_plan_pins_the_configured_cuda_repository_as_detect_says():
    # hgx-h100: NVIDIA's CUDA repository configured, unpinned, the driver from the archive
    found = json.loads(nvwizard("detect", "--demo", "hgx-h100", "--json").stdout)["findings"]
    mixed = next(f for f in found if f["id"] == "mixed-driver-sources")
    assert "its plan writes an apt pin" in mixed["fix"]
    text = nvwizard("plan", "--demo", "hgx-h100")
    assert text.returncode == 0, text.stderr
    assert "Keep NVIDIA's CUDA repository from supplying the driver" in text.stdout
    assert "writes /etc/apt/preferences.d/nvwizard-cuda-repository-drivers" in text.stdout
    plan = json.loads(nvwizard("plan", "--demo", "hgx-h100", "--json").stdout)
    ids = [s["id"] for s in plan["steps"]]
    assert ids.index("cuda-pin") < ids.index("update") < ids.index("install")


def _demo_runner(tmp_path):
    """`nvwizard ARGS` with a demo that lives on in tmp_path's state directory."""
    env = {
        "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        "NVWIZARD_LOG_DIR": str(tmp_path / "log"),
        "NVWIZARD_DEMO_SPEED": "0",
    }
    return lambda *args: nvwizard(*args, env=env, timeout=180)


def test_install_reboot_and_verify_the_stack_on_a_fresh_demo(tmp_path):
    run = _demo_runner(tmp_path)

    args = ("--demo", "rtx3090-fresh", "--cuda", "12.8", "--container-toolkit")
    installed = run("install", *args, "--yes", "--reboot")
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr
    assert "Add NVIDIA's CUDA repository (ubuntu2204, cuda-keyring)" in installed.stdout
    assert "Register the nvidia runtime with Docker" in installed.stdout
    detected = json.loads(run("detect", "--demo", "rtx3090-fresh", "--json").stdout)
    assert [t["version"] for t in detected["cuda_toolkits"]] == ["12.8"]
    assert detected["container_toolkit"]["runtimes_configured"] == ["docker"]
    assert detected["cuda_repo"] and detected["cuda_repo_driver_pin"]
    verified = run("verify", "--demo", "rtx3090-fresh", "--json")
    checks = {c["name"]: c for c in json.loads(verified.stdout)["checks"]}
    for name in ("cuda-link", "nvcc-version", "nvidia-ctk", "runtime-docker", "cuda-sample"):
        assert checks[name]["ok"] and not checks[name]["skipped"], checks[name]
    assert "simulated" in checks["cuda-sample"]["detail"]


def test_verify_before_the_reboot_blames_the_old_module_not_the_driver(tmp_path):
    """The HGX runs 535; after installing 595 with CUDA 13.2 and before the reboot the sample
    fails with 'driver version is insufficient': the fix is to load the installed driver."""
    run = _demo_runner(tmp_path)

    installed = run(
        "install", "--demo", "hgx-h100", "--cuda", "13.2", "--yes", "--accept", "gpu-processes"
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr
    verified = run("verify", "--demo", "hgx-h100", "--json")
    sample = {c["name"]: c for c in json.loads(verified.stdout)["checks"]}["cuda-sample"]
    assert not sample["ok"] and "insufficient" in sample["detail"]
    assert "old module (535.247.01)" in sample["fix"] and "nvwizard activate" in sample["fix"]
    assert "install a newer driver" not in sample["fix"]


# The archive's own toolkit (`--cuda distro`): every demo's sources enable the area that
# carries it, and the demo offers the version the real archive has for that release.
DISTRO_TOOLKITS = [
    ("rtx3090-fresh", (), "11.5"),  # jammy multiverse: 11.5.1-1ubuntu1
    ("gtx1080-secureboot", (), "11.5"),
    ("nvml-mismatch", (), "11.5"),
    ("hgx-h100", (), "12.0"),  # noble multiverse: 12.0.140~12.0.1-4build4
    ("debian12-t4", (), "11.8"),  # bookworm non-free: 11.8.89~11.8.0-5~deb12u1
    ("debian13-l4", ("--driver", "nvidia-driver"), "12.4"),  # trixie: 12.4.131~12.4.1-2
]


@pytest.mark.parametrize(("demo", "driver", "release"), DISTRO_TOOLKITS)
def test_the_distributions_toolkit_installs_on_every_demo_that_offers_it(demo, driver, release):
    result = nvwizard("plan", "--demo", demo, *driver, "--cuda", "distro", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["cuda"] == f"distro {release}" and "nvidia-cuda-toolkit" in plan["stack_list"]
    # and apt's simulation of the stack passes: it brings no driver package
    host = demo_host(demo)
    report = build_report(host)
    choices = Choices(driver=plan["driver"], headless=True, cuda="distro")
    built = build_plan(report, choices)
    check = check_simulation(built, simulate(host, built))
    assert check.ok, check.problems


def test_distro_toolkit_with_the_recommended_535_on_trixie_is_refused_for_its_ceiling():
    result = nvwizard("plan", "--demo", "debian13-l4", "--cuda", "distro")
    assert result.returncode == 3
    assert "CUDA 12.4 on driver branch 535" in result.stderr


def test_purging_the_container_toolkit_and_asking_for_it_installs_it_again_on_the_hgx(tmp_path):
    """`--also-purge nvidia-container-toolkit --container-toolkit`: the purge takes it, the stack
    installs it again (the wizard offers the same); after the apply it is installed and Docker
    still has its nvidia runtime."""
    run = _demo_runner(tmp_path)
    args = ("--demo", "hgx-h100", "--also-purge", "nvidia-container-toolkit", "--container-toolkit")
    planned = run("plan", *args, "--json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert "nvidia-container-toolkit" in plan["purge_list"]
    assert plan["stack_list"] == ["nvidia-container-toolkit"]
    assert any("purged, then installed again" in w for w in plan["warnings"])
    installed = run("install", *args, "--yes", "--accept", "gpu-processes")
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr
    assert "Install the NVIDIA Container Toolkit" in installed.stdout
    detected = json.loads(run("detect", "--demo", "hgx-h100", "--json").stdout)
    assert detected["container_toolkit"]["runtimes_configured"] == ["docker"]
    packages = {p["name"]: p for p in detected["installed_packages"]}
    assert packages["nvidia-container-toolkit"]["state"] == "ii"


def test_purging_the_container_toolkit_on_the_hgx_warns_that_docker_keeps_its_nvidia_runtime():
    """The hgx-h100's Docker has the nvidia runtime in daemon.json: purged and not installed
    again, `plan` (text and JSON) and `install` say that entry is left naming a runtime that is
    gone, and what to do. Installed again: no such warning."""
    purged = ("--demo", "hgx-h100", "--also-purge", "nvidia-container-toolkit")
    words = "is purged and not installed again, but Docker's /etc/docker/daemon.json keeps"
    planned = nvwizard("plan", *purged, "--json")
    assert planned.returncode == 0, planned.stderr
    assert sum(words in w for w in json.loads(planned.stdout)["warnings"]) == 1
    for command in (("plan",), ("install", "--dry-run")):
        shown = nvwizard(*command, *purged)
        assert shown.returncode == 0, shown.stderr
        warnings = shown.stdout.split("Warnings:")[1].split("\n\n")[0]
        assert words in warnings.replace("\n", " ")
    again = nvwizard("plan", *purged, "--container-toolkit", "--json")
    assert not [w for w in json.loads(again.stdout)["warnings"] if words in w]


def test_a_stack_asked_for_and_installed_already_is_said_not_passed_over():
    # hgx-h100 has cuDNN 9 for CUDA 12 and the container toolkit registered with Docker
    result = nvwizard("plan", "--demo", "hgx-h100", "--cudnn", "--container-toolkit")
    assert result.returncode == 0, result.stderr
    assert "Then the developer stack (0 packages):\n    (installed already)" in result.stdout
