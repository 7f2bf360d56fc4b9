"""A host that runs the planned driver already, rolled out again with more plan options (the
developer stack, --hold): the playbook applies them, as `nvwizard install` with those options
does (only those: the driver stays, no reboot), instead of leaving the host "unchanged" with
the options ignored. Check mode says so
first, and a run after it changes nothing. Run by the real ansible-playbook on a local demo
host."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.export.playbook import (
    NVWIZARD,
    DemoHost,
    detect,
    recap,
    report,
    run_playbook,
    write_inventory,
)

RTX = DemoHost("rtx", "rtx3090-fresh")
MORE = ["--container-toolkit", "--hold"]


def _export(folder: Path, *options: str) -> Path:
    subprocess.run(
        [str(NVWIZARD), "export", "ansible", str(folder), *options],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return folder


def test_options_added_later_are_applied_on_a_host_that_runs_the_driver(tmp_path):
    root = tmp_path / "hosts"
    inventory = write_inventory(tmp_path / "inventory.ini", [RTX], root)
    plain = _export(tmp_path / "plain")  # no options: the driver alone
    first = run_playbook(plain, inventory)
    assert first.returncode == 0, first.stdout[-3000:]
    assert report(plain)["rtx"]["outcome"] == "installed"
    before = detect(root, RTX)
    assert before["container_toolkit"] is None
    assert before["held_packages"] == []

    more = _export(tmp_path / "more", *MORE)
    check = run_playbook(more, inventory, "--check")
    assert check.returncode == 0, check.stdout[-3000:]
    planned = report(more, check=True)["rtx"]
    assert planned["outcome"] == "planned"
    assert planned["message"].startswith("a run would add"), planned["message"]
    assert "no purge, no driver install, no reboot" in planned["message"]
    assert "nvidia-container-toolkit" in planned["message"]
    assert "the hold on nvidia-utils-595-server" in planned["message"]
    assert detect(root, RTX)["container_toolkit"] is None  # check mode changed nothing

    run = run_playbook(more, inventory)
    assert run.returncode == 0, run.stdout[-3000:]
    done = report(more)["rtx"]
    assert done["outcome"] == "installed", done
    assert done["reboot"] == "not needed" and done["driver_after"] == done["driver_before"]
    after = detect(root, RTX)
    assert after["container_toolkit"] is not None
    assert "nvidia-utils-595-server" in after["held_packages"]

    again = run_playbook(more, inventory)
    assert again.returncode == 0, again.stdout[-3000:]
    assert report(more)["rtx"]["outcome"] == "unchanged"
    assert recap(again.stdout)["rtx"]["changed"] == 0


def test_a_rollout_that_purges_a_kept_package_changes_nothing_when_run_again(tmp_path):
    """--also-purge nvidia-container-toolkit: the first run purges it, so the second one finds
    it gone; that is nothing to purge, not a failed host that stops the rollout."""
    hgx = DemoHost("hgx", "hgx-h100", variables={"nvwizard_accept": ["gpu-processes"]})
    root = tmp_path / "hosts"
    inventory = write_inventory(tmp_path / "inventory.ini", [hgx], root)
    playbook = _export(tmp_path / "playbook", "--also-purge", "nvidia-container-toolkit")
    first = run_playbook(playbook, inventory)
    assert first.returncode == 0, first.stdout[-3000:]
    assert report(playbook)["hgx"]["outcome"] == "installed"
    assert detect(root, hgx)["container_toolkit"] is None

    again = run_playbook(playbook, inventory)
    assert again.returncode == 0, again.stdout[-3000:]
    assert report(playbook)["hgx"]["outcome"] == "unchanged", report(playbook)["hgx"]
    assert recap(again.stdout)["hgx"]["changed"] == 0


def test_check_mode_says_a_run_would_be_refused_where_apts_simulation_stops(tmp_path):
    """--keep nvidia-fabricmanager-535 on the HGX board: its plan is fine, but apt's simulation
    (which the install runs before it changes anything) stops on it. Check mode asks apt too,
    read-only, and says what the run says: refused, and why."""
    hgx = DemoHost("hgx", "hgx-h100", variables={"nvwizard_accept": ["gpu-processes"]})
    root = tmp_path / "hosts"
    inventory = write_inventory(tmp_path / "inventory.ini", [hgx], root)
    playbook = _export(tmp_path / "playbook", "--keep", "nvidia-fabricmanager-535")

    check = run_playbook(playbook, inventory, "--check")
    planned = report(playbook, check=True)["hgx"]
    run = run_playbook(playbook, inventory)
    done = report(playbook)["hgx"]

    assert done["outcome"] == "refused", done
    assert "the simulation says stop" in done["message"]
    assert check.returncode == run.returncode == 2, check.stdout[-3000:]
    assert planned["outcome"] == "refused", planned
    assert planned["message"].startswith("a run would be refused: nvwizard: the simulation says")
    assert "drop --keep nvidia-fabricmanager-535" in planned["message"]


def test_a_second_rollout_leaves_a_dkms_host_alone(tmp_path):
    """A DKMS plan installs the kernel's headers beside the driver; detect lists NVIDIA's
    packages, not those, so the play took every Debian host for one without its driver and
    purged and installed it again (and rebooted it) on every run."""
    deb = DemoHost("deb", "debian12-t4")
    root = tmp_path / "hosts"
    inventory = write_inventory(tmp_path / "inventory.ini", [deb], root)
    playbook = _export(tmp_path / "playbook")
    first = run_playbook(playbook, inventory)
    assert first.returncode == 0, first.stdout[-3000:]
    assert report(playbook)["deb"]["outcome"] == "installed"

    check = run_playbook(playbook, inventory, "--check")
    assert check.returncode == 0, check.stdout[-3000:]
    assert report(playbook, check=True)["deb"]["message"].startswith(
        "nvidia-driver is installed already: a run verifies it"
    )
    again = run_playbook(playbook, inventory)
    assert again.returncode == 0, again.stdout[-3000:]
    assert report(playbook)["deb"]["outcome"] == "unchanged", report(playbook)["deb"]
    assert recap(again.stdout)["deb"]["changed"] == 0
