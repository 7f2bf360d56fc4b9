"""over-ssh ("the reboot will end this session") is for a reboot that lies ahead: before an
install, or while the installed driver waits for its reboot. Once the recommended driver runs
and nothing waits for a reboot (verify passed), nvwizard advises no reboot, and detection no
longer warns of one."""

from __future__ import annotations

import json

import pytest

from nvwizard.cli.main import main
from nvwizard.report import findings as f
from nvwizard.report.models import DriverCandidate, LoadedModule

from .helpers import gpu, report

DEMO = "rtx3090-fresh"  # over SSH, nouveau loaded, no NVIDIA driver installed
RTX3090 = gpu("2204", "GA102 [GeForce RTX 3090]")


@pytest.fixture(autouse=True)
def _quick(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def finding_ids(capsys) -> set[str]:
    assert main(["detect", "--demo", DEMO, "--json"]) == 0
    return {finding["id"] for finding in json.loads(capsys.readouterr().out)["findings"]}


def test_over_ssh_goes_once_the_installed_driver_runs_and_comes_before(capsys):
    assert "over-ssh" in finding_ids(capsys)  # the install's reboot lies ahead
    assert main(["install", "--demo", DEMO, "--yes"]) == 0
    capsys.readouterr()
    assert "over-ssh" in finding_ids(capsys)  # installed, its reboot still ahead
    assert main(["reboot", "--demo", DEMO, "--yes"]) == 0
    assert main(["verify", "--demo", DEMO]) == 0
    capsys.readouterr()
    assert "over-ssh" not in finding_ids(capsys)


def test_a_loaded_driver_that_is_not_the_recommended_one_keeps_it():
    """A driver change is advised: its reboot ends the session. The recommended one loaded:
    no reboot is advised."""
    recommended = DriverCandidate(
        package="nvidia-driver-595-server-open",
        branch=595,
        open=True,
        server=True,
        recommended=True,
        source="distro",
    )
    machine = report(gpus=[RTX3090], over_ssh=True)
    machine.driver_candidates, machine.recommended_driver = [recommended], recommended.package
    machine.loaded_module = LoadedModule("535.288.01", "proprietary")
    assert "over-ssh" in {x.id for x in f.find_all(machine)}
    machine.loaded_module = LoadedModule("595.58.03", "open")
    assert "over-ssh" not in {x.id for x in f.find_all(machine)}
    machine.reboot_required = True  # something waits for a reboot all the same
    assert "over-ssh" in {x.id for x in f.find_all(machine)}
