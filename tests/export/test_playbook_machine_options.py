"""A machine option in a host's nvwizard_options (`--demo NAME`, `--machine DIR`) would make
nvwizard plan and install a simulated machine while the play treats the host as real: its
report says "installed" and ansible.builtin.reboot reboots the real host for a driver that
was never installed there. The play refuses such options, naming nvwizard_demo, before any
nvwizard command runs. Run by the real ansible-playbook (check mode: nothing is rebooted even
before this was refused)."""

from __future__ import annotations

import pytest

from tests.export.playbook import DemoHost, report, run_playbook, write_inventory


@pytest.mark.parametrize(
    "options",
    [["--demo", "rtx3090-fresh"], ["--machine=/tmp/bundle"], ["--hold", "--demo"]],
)
def test_a_machine_option_in_a_real_hosts_options_stops_that_host(playbook, tmp_path, options):
    real = DemoHost("gpu01", "", variables={"nvwizard_options": options})
    inventory = write_inventory(tmp_path / "inventory.ini", [real], tmp_path / "hosts")

    run = run_playbook(playbook, inventory, "--check")

    assert run.returncode == 2, run.stdout[-3000:]
    host = report(playbook, check=True)["gpu01"]
    assert host["outcome"] == "failed", host
    assert "--demo and --machine are not plan options here" in host["message"]
    assert "nvwizard_demo" in host["message"]
