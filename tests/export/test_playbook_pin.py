"""A host that runs the planned driver already, with NVIDIA's CUDA repository configured and no
pin keeping its driver packages out: the playbook writes the plan's pin alone (outcome
`pinned`), says so as a pending change in check mode, and a run after it changes nothing.
Run by the real ansible-playbook on a local demo host."""

from __future__ import annotations

import json

from nvwizard.knowledge.cuda import PIN_FILE
from nvwizard.simulator.repositories import WRITTEN
from tests.export.playbook import (
    DemoHost,
    demo_state,
    detect,
    recap,
    report,
    run_playbook,
    write_inventory,
)

HGX = DemoHost("hgx", "hgx-h100", variables={"nvwizard_accept": ["gpu-processes"]})


def _drop_the_pin(root) -> None:
    """The host as it was before nvwizard: the driver runs, the CUDA repository is unpinned."""
    path = demo_state(root, HGX.name, HGX.demo)
    state = json.loads(path.read_text())
    assert PIN_FILE in state["files"].pop("apt-preferences.txt")
    del state["files"][WRITTEN + PIN_FILE]
    path.write_text(json.dumps(state))


def test_a_host_that_runs_the_driver_gets_the_missing_pin_alone(playbook, tmp_path):
    root = tmp_path / "hosts"
    inventory = write_inventory(tmp_path / "inventory.ini", [HGX], root)
    first = run_playbook(playbook, inventory)
    assert first.returncode == 0, first.stdout[-3000:]
    assert report(playbook)["hgx"]["outcome"] == "installed"
    _drop_the_pin(root)
    assert detect(root, HGX)["cuda_repo_driver_pin"] is False
    packages_before = detect(root, HGX)["installed_packages"]

    check = run_playbook(playbook, inventory, "--check")
    assert check.returncode == 0, check.stdout[-3000:]
    planned = report(playbook, check=True)["hgx"]
    assert planned["outcome"] == "planned"
    assert f"it writes the apt pin {PIN_FILE} in any case (pending:" in planned["message"]
    assert detect(root, HGX)["cuda_repo_driver_pin"] is False  # check mode wrote nothing

    pin = run_playbook(playbook, inventory)
    assert pin.returncode == 0, pin.stdout[-3000:]
    pinned = report(playbook)["hgx"]
    assert pinned["outcome"] == "pinned", pinned
    assert pinned["verify"] == "passed"
    assert f"wrote the apt pin {PIN_FILE}" in pinned["message"]
    assert recap(pin.stdout)["hgx"]["changed"] == 1
    after = detect(root, HGX)
    assert after["cuda_repo_driver_pin"] is True
    assert after["installed_packages"] == packages_before  # nothing else was done

    again = run_playbook(playbook, inventory)
    assert again.returncode == 0, again.stdout[-3000:]
    assert report(playbook)["hgx"]["outcome"] == "unchanged"
    assert recap(again.stdout)["hgx"]["changed"] == 0
