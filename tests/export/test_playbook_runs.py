"""The exported playbook, run by the real ansible-playbook on local demo hosts.

A rack as it may be: an HGX board with an old driver and 8 training jobs, a fresh RTX 3090
whose install fails (NVWIZARD_DEMO_FAIL), a GTX 1080 under Secure Boot whose DKMS-built module
is rejected at boot (so verify fails), and a VM without a GPU. Each host has its own state and
log folders. The HGX board's jobs and the GTX 1080's module need the operator's consent
(nvwizard_accept): without it those hosts are left as they are (test_playbook_blockers.py).
"""

from __future__ import annotations

import subprocess
import sys

from tests.export.conftest import EXPORT_OPTIONS
from tests.export.playbook import (
    DemoHost,
    demo_state,
    detect,
    files_under,
    log_dir,
    planned,
    recap,
    report,
    run_playbook,
    state_dir,
    write_inventory,
)

# consent given, so that the whole path runs
HGX = DemoHost("hgx", "hgx-h100", variables={"nvwizard_accept": ["gpu-processes"]})
GTX = DemoHost(
    "gtx", "gtx1080-secureboot", variables={"nvwizard_accept": ["secure-boot-dkms-only"]}
)
VM = DemoHost("vm", "vm-no-gpu")


def _rack(failing_package: str) -> list[DemoHost]:
    rtx = DemoHost("rtx", "rtx3090-fresh", environment={"NVWIZARD_DEMO_FAIL": failing_package})
    return [HGX, rtx, GTX, VM]


def test_a_rollout_in_batches_ends_each_host_as_it_should(playbook, tmp_path):
    root = tmp_path / "hosts"
    failing = planned("rtx3090-fresh")["install_list"][0]
    inventory = write_inventory(tmp_path / "inventory.ini", _rack(failing), root)

    run = run_playbook(
        playbook, inventory, "-e", "nvwizard_serial=2", "-e", "nvwizard_max_fail_percentage=50"
    )

    assert run.returncode == 2, run.stdout[-3000:]  # some hosts failed
    assert run.stdout.count("PLAY [Replace the NVIDIA driver with nvwizard]") == 2  # 2 batches
    counts = recap(run.stdout)
    assert {host: c["failed"] for host, c in counts.items()} == {
        "hgx": 0,
        "rtx": 1,
        "gtx": 1,
        "vm": 0,
    }
    hosts = report(playbook)
    assert set(hosts) == {"hgx", "rtx", "gtx", "vm"}
    # a demo host is never rebooted for real: its simulated reboot stands in
    reboot_tasks = _task_outputs(run.stdout, "Reboot into the new driver")
    assert len(reboot_tasks) == 2  # one per batch
    for reboot_task in reboot_tasks:
        assert {line.split(":")[0] for line in reboot_task} == {"skipping"}, reboot_task

    hgx = hosts["hgx"]
    assert hgx["outcome"] == "installed", hgx
    assert [(b["id"], b["accepted"]) for b in hgx["blockers"]] == [("gpu-processes", True)]
    assert hgx["verify"] == "passed" and hgx["reboot"] == "simulated"
    assert hgx["driver_before"]["loaded"] == "535.247.01 (proprietary)"
    planned_driver = planned("hgx-h100", *EXPORT_OPTIONS)["driver"]
    assert hgx["driver_planned"] == planned_driver
    branch = planned_driver.split("-")[2]
    assert hgx["driver_after"]["loaded"].startswith(f"{branch}.")
    assert hgx["log"].startswith(str(log_dir(tmp_path / "hosts", "hgx")))
    assert hgx["journal"].endswith(".jsonl")
    # the export's --hold reached the host's install
    held = detect(root, HGX)["held_packages"]
    assert any(branch in name for name in held), held

    rtx = hosts["rtx"]
    assert rtx["outcome"] == "failed", rtx
    assert rtx["message"].startswith("install failed:") and failing in rtx["message"]
    # a demo host's repair is its own install again (or its reset), not the host's `sudo dpkg`
    assert "; next: run `nvwizard install --demo rtx3090-fresh --driver " in rtx["message"]
    assert "sudo dpkg" not in rtx["message"]
    assert "verify" not in rtx  # it stopped at the install

    gtx = hosts["gtx"]
    assert gtx["outcome"] == "failed", gtx
    assert gtx["message"].startswith("verify failed: module-loaded:")
    assert "MOK" in gtx["message"]

    vm = hosts["vm"]
    assert vm["outcome"] == "skipped"
    assert vm["message"].startswith("No NVIDIA GPU found on demo vm-no-gpu")
    assert files_under(state_dir(root, "vm")) == {}  # nothing ran that changes anything

    # each host kept its own machine in its own folder
    for host in _rack(failing):
        saved = {p for p in files_under(state_dir(root, host.name)) if "demo-machines" in p}
        expected = set() if host is VM else {f"demo-machines/{host.demo}.json"}
        assert saved == expected, host.name

    # a second run leaves a host that is done alone: its check (verify) records its result
    # in the state file, as on a real host, and changes nothing else
    before = _without_verify_record(files_under(root))
    again = run_playbook(playbook, inventory, "--limit", "hgx,vm")
    assert again.returncode == 0, again.stdout[-3000:]
    assert report(playbook)["hgx"]["outcome"] == "unchanged"
    assert _without_verify_record(files_under(root)) == before
    assert recap(again.stdout)["hgx"]["changed"] == 0


def _without_verify_record(files: dict[str, bytes]) -> dict[str, object]:
    """The files, each state file without its last verify result (when it was checked)."""
    import json

    kept: dict[str, object] = dict(files)
    for name, content in files.items():
        if name.endswith("/state/state.json"):
            state = json.loads(content)
            kept[name] = {k: v for k, v in state.items() if k != "verify"}
    return kept


def _task_outputs(output: str, name: str) -> list[list[str]]:
    """The result lines of each run of the task `name` (one per batch)."""
    runs = output.split(f"TASK [nvwizard : {name}]")[1:]
    return [
        [line for line in run.split("\nTASK [")[0].splitlines()[1:] if line.strip()] for run in runs
    ]


def test_check_mode_plans_and_changes_nothing(playbook, tmp_path):
    root = tmp_path / "hosts"
    hosts = _rack("nvidia-utils-595-server")
    for host in hosts:
        state_dir(root, host.name).mkdir(parents=True)
        log_dir(root, host.name).mkdir(parents=True)
    inventory = write_inventory(tmp_path / "inventory.ini", hosts, root)

    run = run_playbook(playbook, inventory, "--check", "-e", "nvwizard_serial=4")

    assert run.returncode == 0, run.stdout[-3000:]
    assert files_under(root) == {}
    assert not (playbook / "nvwizard-report.json").exists()
    summaries = report(playbook, check=True)
    outcomes = {h: s["outcome"] for h, s in summaries.items()}
    assert outcomes == {"hgx": "planned", "rtx": "planned", "gtx": "planned", "vm": "skipped"}
    assert "Plan for demo hgx-h100" in run.stdout
    # the plan's warnings are in the report and in the lines it shows, the consent given too
    rtx_warnings = planned("rtx3090-fresh", *EXPORT_OPTIONS)["warnings"]
    assert rtx_warnings and summaries["rtx"]["warnings"] == rtx_warnings
    assert (
        f"  warning: {rtx_warnings[0]}" in run.stdout.split("TASK [nvwizard : Show the report]")[1]
    )
    assert summaries["hgx"]["message"].endswith(", accepting gpu-processes (nvwizard_accept)")
    assert "TASK [nvwizard : Install]" in run.stdout  # shown, and skipped on every host
    assert "changed:" not in run.stdout


def test_a_refused_host_stops_the_rollout_by_default(playbook, tmp_path):
    """The defaults: batches of 25% (one host of two) and nvwizard_max_fail_percentage 0, so
    the first failed host stops the hosts after it."""
    root = tmp_path / "hosts"
    open_on_pascal = ["--driver", "nvidia-driver-580-server-open"]
    gtx = DemoHost("gtx", "gtx1080-secureboot", variables={"nvwizard_options": open_on_pascal})
    rtx = DemoHost("rtx", "rtx3090-fresh")
    inventory = write_inventory(tmp_path / "inventory.ini", [gtx, rtx], root)

    run = run_playbook(playbook, inventory)

    assert run.returncode == 2
    hosts = report(playbook)
    assert set(hosts) == {"gtx"}  # rtx's batch never started
    assert hosts["gtx"]["outcome"] == "refused"
    refusal = subprocess.run(
        [sys.executable, "-m", "nvwizard", "plan", "--demo", gtx.demo, *open_on_pascal],
        capture_output=True,
        text=True,
    )
    assert refusal.returncode == 3
    assert hosts["gtx"]["message"] == refusal.stderr.strip()  # nvwizard's own one line
    assert files_under(root / "rtx") == {}
    assert files_under(state_dir(root, "gtx")) == {}  # refused before anything changed


def test_the_wheel_installs_nvwizard_on_the_host(playbook, tmp_path):
    """nvwizard_install true: a virtual environment in nvwizard_prefix, from files/*.whl."""
    root = tmp_path / "hosts"
    prefix = tmp_path / "opt-nvwizard"
    rtx = DemoHost("rtx", "rtx3090-fresh")
    inventory = write_inventory(
        tmp_path / "inventory.ini",
        [rtx],
        root,
        nvwizard_install=True,
        nvwizard_command=None,  # the role's default: the one in nvwizard_prefix
        nvwizard_prefix=str(prefix),
        nvwizard_python=sys.executable,
        nvwizard_link="",
    )

    run = run_playbook(playbook, inventory)

    assert run.returncode == 0, run.stdout[-3000:]
    assert report(playbook)["rtx"]["outcome"] == "installed"
    installed = subprocess.run(
        [str(prefix / "bin" / "nvwizard"), "--version"], capture_output=True, text=True
    )
    from nvwizard import __version__

    assert installed.stdout.strip() == f"nvwizard {__version__}"
    assert "changed: [rtx]" in run.stdout.split("TASK [nvwizard : Install the wheel")[1][:400]
    assert demo_state(root, "rtx", rtx.demo).exists()

    again = run_playbook(playbook, inventory)
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap(again.stdout)["rtx"]["changed"] == 0  # nvwizard and the driver: in place


def test_a_host_without_nvwizard_says_which_command_is_missing(playbook, tmp_path):
    """Ansible's command module says only "Error executing command." when the program is not
    there: the report names the program and what to set."""
    root = tmp_path / "hosts"
    missing = str(tmp_path / "no-such" / "nvwizard")
    vm = DemoHost("vm", "vm-no-gpu")
    inventory = write_inventory(
        tmp_path / "inventory.ini", [vm], root, nvwizard_install=False, nvwizard_command=missing
    )

    run = run_playbook(playbook, inventory)

    assert run.returncode == 2
    host = report(playbook)["vm"]
    assert host["outcome"] == "failed"
    assert host["message"] == (
        f"Detect the machine: cannot run {missing} on the host: No such file or directory "
        "(set nvwizard_command to nvwizard's path there, or nvwizard_install: true)"
    )
