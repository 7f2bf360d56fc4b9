"""`verify --demo` between an install and the demo's reboot, as a new user runs it after the
README's `install --demo NAME --yes`: nvidia-smi fails as the real tool does then, and verify
says the installed driver is not loaded yet, with the demo's reboot or activate."""

from __future__ import annotations

import json

from nvwizard.cli.main import main

DEMO = "rtx3090-fresh"


def test_verify_after_an_install_says_the_driver_is_installed_but_not_loaded(
    places, monkeypatch, capsys
):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    assert main(["install", "--demo", DEMO, "--yes"]) == 0
    capsys.readouterr()

    assert main(["verify", "--demo", DEMO, "--json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    smi = checks["nvidia-smi"]
    assert smi["detail"] == (
        "the installed driver is not loaded yet: nvidia-smi fails (NVIDIA-SMI has failed "
        "because it couldn't communicate with the NVIDIA driver. Make sure that the latest "
        "NVIDIA driver is installed and running.)"
    )
    assert f"`nvwizard activate --demo {DEMO}` loads it without a reboot" in smi["fix"]
    assert "not installed" not in smi["detail"] and "sudo" not in smi["fix"]
