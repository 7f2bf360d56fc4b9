"""After an apply on a demo or a bundle, the next step is said in the commands that reach that
machine: never this computer's `dpkg --configure -a` or `sudo nvwizard verify`.

`logs` replays the outcome the engine recorded; it said "then run `dpkg --configure -a`" and
"repair: dpkg --configure -a" after a failed demo apply, while `status` and the README say a
demo never gets that. A bundle's simulated machine is not kept: `status` said "a reboot is
scheduled; then run 'sudo nvwizard verify'", which verifies this computer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nvwizard.cli.main import main
from nvwizard.engine import events as ev
from nvwizard.engine.journal import read_events

DEMOS = Path(__file__).resolve().parents[2] / "nvwizard" / "demo_machines"


@pytest.fixture(autouse=True)
def instant_demo(places, monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def finished_outcome(log_dir: Path) -> ev.Outcome:
    journal = max(log_dir.glob("apply-*.jsonl"))
    last = read_events(journal)[-1]
    assert isinstance(last, ev.PlanFinished)
    return last.outcome


def test_logs_after_a_failed_demo_apply_names_the_demo_s_commands(places, monkeypatch, capsys):
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-dkms-580-server")
    install = ["install", "--demo", "gtx1080-secureboot", "--driver", "nvidia-driver-580-server"]
    assert main([*install, "--yes", "--accept", "secure-boot-dkms-only"]) == 1
    outcome = finished_outcome(places[1])
    assert "`nvwizard install --demo gtx1080-secureboot --driver" in outcome.next_action
    assert "dpkg" not in outcome.next_action
    # the wizard's Repair button still learns a repair exists (it runs the demo's repair plan)
    assert outcome.repair == ("dpkg", "--configure", "-a")
    human_log = max(places[1].glob("apply-*.log")).read_text()
    assert "dpkg --configure" not in human_log and "  repair:" not in human_log
    capsys.readouterr()
    assert main(["logs"]) == 0
    out = capsys.readouterr().out
    assert "dpkg --configure" not in out and "  repair:" not in out
    assert "  next: Read the log for the cause; then run `nvwizard install --demo" in out


@pytest.fixture
def bundle(tmp_path) -> str:
    folder = tmp_path / "b"
    shutil.copytree(DEMOS / "rtx3090-fresh", folder)
    return str(folder)


def test_status_after_a_bundle_apply_says_it_was_a_simulation(bundle, capsys):
    assert main(["install", "--machine", bundle, "--yes", "--reboot"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "sudo nvwizard verify" not in out and "a reboot is scheduled" not in out
    assert (
        "next: nothing: the apply on the bundle was a simulation: nothing it changed was kept"
        in out
    )
    assert f"run the wizard: `nvwizard --machine {bundle}`" in out
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["reboot_pending"], status["reboot_scheduled"], status["verify_pending"]) == (
        False,
        False,
        False,
    )


def test_a_failed_bundle_apply_names_the_bundle_s_install_not_dpkg(
    bundle, places, monkeypatch, capsys
):
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-utils-595-server")
    assert main(["install", "--machine", bundle, "--yes", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    again = f"`nvwizard install --machine {bundle} --driver nvidia-driver-595-server-open`"
    assert result["repair"] is None and again in result["next_action"]
    assert "dpkg" not in finished_outcome(places[1]).next_action
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "dpkg --configure" not in out and again in out
