"""The playbook's filters (filter_plugins/nvwizard_filters.py) on nvwizard's real JSON."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nvwizard.export.ansible import PLAYBOOK

_spec = importlib.util.spec_from_file_location(
    "nvwizard_filters", PLAYBOOK / "filter_plugins" / "nvwizard_filters.py"
)
assert _spec and _spec.loader
filters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(filters)


def _json(*argv: str, env: dict[str, str] | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "nvwizard", *argv], capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def hgx_plan() -> dict:
    return _json("plan", "--json", "--demo", "hgx-h100")


def test_every_filter_the_playbook_uses_exists():
    used = set()
    for path in PLAYBOOK.rglob("*.yml"):
        used |= set(re.findall(r"\|\s*(nvwizard_\w+)", path.read_text()))
    assert used == set(filters.FilterModule().filters())


def test_the_driver_before_and_after():
    hgx = filters.driver(_json("detect", "--json", "--demo", "hgx-h100"))
    assert hgx == {
        "loaded": "535.247.01 (proprietary)",
        "nvidia_smi": "535.247.01",
        "packages": ["nvidia-driver-535-server"],
    }
    vm = filters.driver(_json("detect", "--json", "--demo", "vm-no-gpu"))
    assert vm == {"loaded": None, "nvidia_smi": None, "packages": []}


def test_the_plan_as_lines(hgx_plan):
    lines = filters.plan_lines(hgx_plan)
    assert lines[0] == (
        f"Plan for demo hgx-h100: {hgx_plan['driver']} "
        f"({hgx_plan['flavour']}, {hgx_plan['modules']} modules)"
    )
    purged = len(hgx_plan["purge_list"])
    assert f"purge ({purged}): " in lines[1]
    assert lines[1].endswith(f" and {purged - filters.SHOWN_ITEMS} more")
    steps = [line for line in lines if line.startswith("step ")]
    assert len(steps) == len(hgx_plan["steps"])
    assert "  $ dpkg --audit" in lines


def test_the_plan_lines_name_what_a_purged_toolkit_leaves_to_autoremove():
    plan = _json("plan", "--json", "--demo", "hgx-h100", "--also-purge", "nvidia-container-toolkit")
    lines = filters.plan_lines(plan)
    assert not any(line.startswith("keep (") for line in lines)
    assert "left to autoremove (3): libnvidia-container-tools, libnvidia-container1, " in "\n".join(
        lines
    )


def test_a_failed_install_in_one_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        "NVWIZARD_LOG_DIR": str(tmp_path / "log"),
        "NVWIZARD_DEMO_SPEED": "0",
        "NVWIZARD_DEMO_FAIL": "nvidia-dkms-580-server",
    }
    failed = _json(
        "install",
        "--yes",
        "--accept",
        "secure-boot-dkms-only",
        "--json",
        "--demo",
        "gtx1080-secureboot",
        env=env,
    )
    line = filters.install_failure(failed, "", 1)
    assert line.startswith("install failed: Install nvidia-driver-580-server")
    assert "nvidia-dkms-580-server (half-configured)" in line
    assert f"log: {tmp_path / 'log'}/apply-" in line
    # a demo host: its own install again (or its reset), not the host's `sudo dpkg`
    assert "; next: run `nvwizard install --demo gtx1080-secureboot --driver " in line
    assert "sudo" not in line and "dpkg --configure" not in line
    # a real host: the repair command; "read the log above" has no log above it in a report
    here = {**failed, "host": "this machine", "repair": ["dpkg", "--configure", "-a"]}
    here["next_action"] = "Read the log above for the cause, then run `dpkg --configure -a`."
    line = filters.install_failure(here, "", 1)
    assert line.endswith("repair on the host: sudo dpkg --configure -a")
    assert "next:" not in line
    lock = {
        "outcome": "failed",
        "message": "lock",
        "next_action": "Wait for pid 7.",
        "repair": None,
    }
    assert filters.install_failure(lock, "", 1) == "install failed: lock; next: Wait for pid 7."


def test_a_refusal_is_nvwizards_last_line():
    stderr = "some progress\nnvwizard: the simulation says stop: ...\n\n"
    assert filters.reason(stderr, 3) == "nvwizard: the simulation says stop: ..."
    assert filters.reason("", 3) == "nvwizard exited with status 3"
    assert filters.install_failure(None, stderr, 3) == "nvwizard: the simulation says stop: ..."


def test_what_verify_found():
    result = {
        "ok": False,
        "nvidia_gpu": True,
        "checks": [
            {"name": "module-loaded", "ok": True, "detail": "loaded", "fix": None},
            {"name": "nouveau", "ok": False, "detail": "nouveau is loaded", "fix": "reboot"},
        ],
    }
    assert filters.verify_failure(result, "") == (
        "verify failed: nouveau: nouveau is loaded (fix: reboot)"
    )
    no_gpu = {"ok": False, "nvidia_gpu": False, "message": "No NVIDIA GPU found on x."}
    assert filters.verify_failure(no_gpu, "") == "No NVIDIA GPU found on x."
    assert filters.verify_failure(None, "nvwizard: boom\n") == "nvwizard: boom"


def test_seconds_to_a_demo_reboot():
    assert filters.seconds_to_reboot({"reboot_due_at": time.time() + 4.2}) == 5
    assert filters.seconds_to_reboot({"reboot_due_at": time.time() - 10}) == 0
    assert filters.seconds_to_reboot({"reboot_due_at": None}) == 0
    assert filters.seconds_to_reboot(None) == 0


def test_the_report_lines():
    summaries = [
        {
            "host": "gpu01",
            "outcome": "installed",
            "message": "done",
            "driver_before": {"loaded": "535.247.01 (proprietary)"},
            "driver_after": {"loaded": "580.95.05 (open)"},
        },
        {"host": "vm", "outcome": "skipped", "message": "No NVIDIA GPU", "driver_before": {}},
    ]
    assert filters.report_lines(summaries, "/r.json") == [
        "gpu01: installed: done [535.247.01 (proprietary) -> 580.95.05 (open)]",
        "vm: skipped: No NVIDIA GPU [?]",
        "report: /r.json",
    ]


def test_the_filters_need_only_the_standard_library():
    source = (PLAYBOOK / "filter_plugins" / "nvwizard_filters.py").read_text()
    imported = set(re.findall(r"^(?:from|import) (\w+)", source, re.M))
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
    assert Path(filters.__file__).parent.name == "filter_plugins"


def test_a_steps_written_files_are_named_in_the_plan_lines():
    plan = _json("plan", "--json", "--demo", "hgx-h100", "--cuda", "latest")
    lines = filters.plan_lines(plan)
    assert "  writes /etc/apt/preferences.d/nvwizard-cuda-repository-drivers" in lines


@pytest.mark.parametrize(
    ("result", "said"),
    [
        (
            {"msg": "Error executing command.", "rc": 13, "cmd": "/opt/nvwizard/bin/nvwizard x"},
            "Plan: cannot run /opt/nvwizard/bin/nvwizard on the host: Permission denied (set "
            "nvwizard_command to nvwizard's path there, or nvwizard_install: true)",
        ),
        (
            {"msg": "non-zero return code", "rc": 1, "stderr_lines": ["", "boom", ""]},
            "Plan: non-zero return code: boom",
        ),
        ({}, "Plan: failed"),
    ],
    ids=["not-started", "stderr", "nothing"],
)
def test_task_failure_says_why_in_one_line(result, said):
    assert filters.task_failure("Plan", result) == said


TWO_BLOCKERS = {
    "driver": "nvidia-driver-580",
    "purge_list": ["a", "b"],
    "steps": [{}, {}, {}],
    "blockers": [
        {"id": "gpu-processes", "message": "Jobs die."},
        {"id": "secure-boot-dkms-only", "message": "MOK needed."},
    ],
}


def test_what_blocks_a_host_names_every_id_to_accept():
    assert filters.blocked(TWO_BLOCKERS, []) == (
        "left as it is: [gpu-processes] Jobs die. [secure-boot-dkms-only] MOK needed. To change "
        'it anyway, set nvwizard_accept: ["gpu-processes", "secure-boot-dkms-only"] for this host'
    )
    partly = filters.blocked(TWO_BLOCKERS, ["gpu-processes"], check=True)
    assert partly.startswith("a run would leave this host as it is: [secure-boot-dkms-only] MOK")
    assert "Jobs die" not in partly  # accepted
    assert partly.endswith('["gpu-processes", "secure-boot-dkms-only"] for this host')
    assert filters.blocked(TWO_BLOCKERS, ["secure-boot-dkms-only", "gpu-processes"]) == ""
    assert filters.blockers(TWO_BLOCKERS, ["gpu-processes"])[0]["accepted"] is True
    assert filters.blocked({"blockers": []}, []) == ""


def test_a_plan_without_blockers_from_an_older_nvwizard_blocks():
    """Fail safe: an nvwizard that does not judge what needs consent changes nothing."""
    said = filters.blocked({"driver": "nvidia-driver-580", "warnings": []}, [])
    assert said.startswith("left as it is: the nvwizard on this host is older")
    assert "nvwizard_install: true" in said


def test_check_mode_says_what_a_run_would_do():
    assert filters.check_summary(TWO_BLOCKERS, False, []) == {
        "outcome": "blocked",
        "message": filters.blocked(TWO_BLOCKERS, [], check=True),
    }
    both = ["gpu-processes", "secure-boot-dkms-only"]
    assert filters.check_summary(TWO_BLOCKERS, False, both) == {
        "outcome": "planned",
        "message": "a run would install nvidia-driver-580 (2 packages purged first, 3 steps), "
        "then verify it, accepting gpu-processes, secure-boot-dkms-only (nvwizard_accept)",
    }
    installed = filters.check_summary(TWO_BLOCKERS, True, [])
    assert installed["outcome"] == "planned"
    assert installed["message"].startswith("nvidia-driver-580 is installed already: a run ")
    assert "(then: a run would leave this host as it is: [gpu-processes]" in installed["message"]


def test_the_plan_lines_and_the_report_lines_say_what_needs_consent_and_the_warnings():
    plan = {**TWO_BLOCKERS, "warnings": ["Careful."]}
    lines = filters.plan_lines(plan)
    assert "warning: Careful." in lines
    assert "needs consent (nvwizard_accept: gpu-processes): Jobs die." in lines
    summaries = [
        {"host": "a", "outcome": "blocked", "message": "m", "warnings": ["Careful."]},
        {"host": "b", "outcome": "installed", "message": "m", "warnings": ["Careful."]},
    ]
    assert filters.report_lines(summaries, "/r.json") == [
        "a: blocked: m [?]",
        "  warning: Careful.",
        "b: installed: m [?]",  # done: its warnings are in the report file
        "report: /r.json",
    ]


def test_what_the_options_add_beyond_the_driver_that_the_host_lacks():
    plan = {
        "stack_list": ["cuda-toolkit-12-8"],
        "steps": [
            {"kind": "runtime-configure", "title": "Register the nvidia runtime with Docker"},
            {"kind": "hold", "commands": [["apt-mark", "hold", "nvidia-utils-580", "libx"]]},
        ],
    }
    detected = {"installed_packages": [], "held_packages": ["libx"]}
    assert filters.beyond_driver(plan, detected) == [
        "cuda-toolkit-12-8",
        "register the nvidia runtime with Docker",
        "the hold on nvidia-utils-580",
    ]
    done = {
        "installed_packages": [{"name": "cuda-toolkit-12-8", "state": "ii"}],
        "held_packages": ["libx", "nvidia-utils-580"],
    }
    assert filters.beyond_driver({**plan, "steps": plan["steps"][1:]}, done) == []


def test_the_kernel_headers_detect_does_not_list_do_not_count_as_missing():
    plan = {"install_list": ["nvidia-kernel-dkms", "linux-headers-amd64", "nvidia-smi"]}
    detected = {"installed_packages": [{"name": "nvidia-kernel-dkms", "state": "ii"}]}
    assert filters.not_installed(plan, detected) == ["nvidia-smi"]


def test_check_modes_simulation_says_refused_failed_or_an_older_nvwizard():
    stop = "Simulation (apt-get -s):\nnvwizard: the simulation says stop: x\n"
    assert filters.simulation_summary(stop, 3) == {
        "outcome": "refused",
        "message": "a run would be refused: nvwizard: the simulation says stop: x",
    }
    old = "nvwizard: unrecognized arguments: --simulate (see `nvwizard plan --help`)\n"
    older = filters.simulation_summary(old, 2)
    assert older["outcome"] == "failed"
    assert "older than the playbook's" in older["message"]
    assert "nvwizard_install: true" in older["message"]
    assert filters.simulation_summary("nvwizard: boom\n", 1) == {
        "outcome": "failed",
        "message": "the simulation failed: nvwizard: boom",
    }
