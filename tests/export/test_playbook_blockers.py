"""A host whose plan has a blocking condition (plan/blockers.py) is left as it is unless the
operator accepts that condition by id (nvwizard_accept); the other hosts go on, and the run
fails the blocked hosts at its end. Run by the real ansible-playbook on local demo hosts."""

from __future__ import annotations

import json

from tests.export.conftest import EXPORT_OPTIONS
from tests.export.playbook import (
    DemoHost,
    detect,
    files_under,
    planned,
    recap,
    report,
    run_playbook,
    state_dir,
    write_inventory,
)

HGX = DemoHost("hgx", "hgx-h100")  # 8 training jobs use its GPUs
GTX = DemoHost("gtx", "gtx1080-secureboot")  # a DKMS module under Secure Boot
RTX = DemoHost("rtx", "rtx3090-fresh")  # nothing blocks it


def test_blocked_hosts_are_left_alone_and_the_rollout_goes_on(playbook, tmp_path):
    """The defaults (batches of 25%, nvwizard_max_fail_percentage 0): the blocked HGX board
    of the first batch stops nothing, the RTX 3090 after it is installed."""
    root = tmp_path / "hosts"
    inventory = write_inventory(tmp_path / "inventory.ini", [HGX, RTX, GTX], root)

    run = run_playbook(playbook, inventory)

    assert run.returncode == 2, run.stdout[-3000:]
    assert {host: c["failed"] for host, c in recap(run.stdout).items()} == {
        "hgx": 1,  # by the last play, after every batch
        "rtx": 0,
        "gtx": 1,
    }
    hosts = report(playbook)
    assert {h: s["outcome"] for h, s in hosts.items()} == {
        "hgx": "blocked",
        "rtx": "installed",
        "gtx": "blocked",
    }
    hgx = hosts["hgx"]
    assert hgx["message"].startswith("left as it is: [gpu-processes] Jobs use the GPU")
    assert "8 processes, python3 of mlops (pid 1843117 and 7 more)" in hgx["message"]
    assert hgx["message"].endswith('set nvwizard_accept: ["gpu-processes"] for this host')
    assert hgx["warnings"] == planned("hgx-h100", *EXPORT_OPTIONS)["warnings"]
    assert hgx["blockers"] == [
        {**b, "accepted": False} for b in planned("hgx-h100", *EXPORT_OPTIONS)["blockers"]
    ]
    gtx = hosts["gtx"]
    assert "[secure-boot-dkms-only] Secure Boot is on" in gtx["message"]
    assert 'nvwizard_accept: ["secure-boot-dkms-only"]' in gtx["message"]
    # nothing ran that changes them: their jobs and drivers are as they were
    assert files_under(state_dir(root, "hgx")) == {}
    assert files_under(state_dir(root, "gtx")) == {}
    assert len(detect(root, HGX)["gpu_processes"]) == 10
    assert f"fatal: [hgx]: FAILED! => {json.dumps({'changed': False, 'msg': hgx['message']})}" in (
        run.stdout
    )


def test_check_mode_says_which_hosts_a_run_would_leave_alone(playbook, tmp_path):
    root = tmp_path / "hosts"
    gtx = DemoHost(GTX.name, GTX.demo, variables={"nvwizard_accept": ["secure-boot-dkms-only"]})
    inventory = write_inventory(tmp_path / "inventory.ini", [HGX, gtx], root)

    run = run_playbook(playbook, inventory, "--check")

    assert run.returncode == 2, run.stdout[-3000:]  # as the run would end
    assert files_under(root) == {}
    hosts = report(playbook, check=True)
    assert hosts["hgx"]["outcome"] == "blocked"
    assert hosts["hgx"]["message"].startswith("a run would leave this host as it is: [gpu-")
    assert hosts["gtx"]["outcome"] == "planned"
    assert hosts["gtx"]["message"].endswith(", accepting secure-boot-dkms-only (nvwizard_accept)")
    assert hosts["gtx"]["warnings"] == planned("gtx1080-secureboot", *EXPORT_OPTIONS)["warnings"]
    shown = run.stdout.split("TASK [nvwizard : Show the report]")[-1]  # the last batch's
    assert "  warning: Secure Boot is on and the module will be built by DKMS" in shown


def test_an_unknown_condition_to_accept_is_refused_with_the_known_ones(playbook, tmp_path):
    vm = DemoHost("vm", "vm-no-gpu", variables={"nvwizard_accept": ["gpu-processes", "oops"]})
    inventory = write_inventory(tmp_path / "inventory.ini", [vm], tmp_path / "hosts")

    run = run_playbook(playbook, inventory)

    assert run.returncode == 2
    message = report(playbook)["vm"]["message"]
    assert message.startswith("Check the conditions this host accepts: nvwizard_accept must be")
    assert "gpu-processes, secure-boot-dkms-only, run-installer" in message
