"""A kernel update waits for the reboot: `activate` refuses to load the driver without one, so
no next step offers it again while that holds (the install's end, `status`, `verify`'s fixes),
on a demo and on this machine alike."""

from __future__ import annotations

import json

import pytest

from nvwizard.cli.main import main
from nvwizard.engine.verify_fixes import LOAD_FIX, REBOOT_FIX, fixes_for
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import find_demo

DEMO = "nvml-mismatch"  # linux-image-5.15.0-164-generic waits for a reboot
ACTIVATE = f"`nvwizard activate --demo {DEMO}`"
REBOOT = f"`nvwizard reboot --demo {DEMO}` reboots it"


@pytest.fixture(autouse=True)
def _quick(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def test_after_the_refused_activation_status_and_verify_offer_only_the_reboot(capsys):
    assert main(["install", "--demo", DEMO, "--yes", "--activate"]) == 0
    out = capsys.readouterr().out
    assert "Not activated: a kernel update (linux-image-5.15.0-164-generic) waits" in out

    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["next_step"] == "reboot"
    assert REBOOT in status["next_hint"] and ACTIVATE not in status["next_hint"]

    assert main(["verify", "--demo", DEMO, "--json"]) == 1
    fixes = [c["fix"] for c in json.loads(capsys.readouterr().out)["checks"] if not c["ok"]]
    assert fixes and all(REBOOT in fix and ACTIVATE not in fix for fix in fixes)


def test_the_install_without_activate_does_not_offer_it_either(capsys):
    assert main(["install", "--demo", DEMO, "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"The new driver loads at the demo's next reboot: {REBOOT}." in out
    assert ACTIVATE not in out


def test_on_this_machine_verify_offers_the_reboot_alone():
    host = BundleHost(find_demo(DEMO).path, kind="local", label="this machine")
    assert fixes_for(host, None).load_installed == REBOOT_FIX
    fresh = BundleHost(find_demo("rtx3090-fresh").path, kind="local", label="this machine")
    assert fixes_for(fresh, None).load_installed == LOAD_FIX
