"""`install --yes` twice with the same choices: the second has nothing to do once the driver
is installed and loaded (no purge, no reinstall, no reboot asked for), unless --reinstall asks
for the whole plan again. A script that reboots when told (`reboot_required`) must not reboot
on every run."""

from __future__ import annotations

import json

import pytest

from nvwizard.cli.main import main

FRESH = "rtx3090-fresh"
NOTHING = "Nothing to do: nvidia-driver-595-server-open is installed and loaded"


@pytest.fixture(autouse=True)
def _quick(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def install_json(capsys, *options: str) -> tuple[int, dict, str]:
    code = main(["install", "--demo", FRESH, "--yes", "--json", *options])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def installed_and_rebooted(capsys) -> None:
    code, first, _ = install_json(capsys)
    assert code == 0 and first["reboot_required"] is True and first["nothing_to_do"] is False
    assert main(["reboot", "--demo", FRESH, "--yes"]) == 0
    capsys.readouterr()


def test_the_same_install_again_after_the_reboot_has_nothing_to_do(capsys):
    installed_and_rebooted(capsys)
    code, again, err = install_json(capsys)
    assert code == 0
    assert again["nothing_to_do"] is True
    assert again["reboot_required"] is False
    assert again["outcome"] == "done" and again["message"] == NOTHING
    assert again["log_path"] is None  # nothing was applied, so nothing was journalled
    assert "Purge" not in err and "apt-get" not in err
    assert f"{NOTHING}." in err
    # plan says the same, with no steps
    assert main(["plan", "--demo", FRESH, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["nothing_to_do"] is True and plan["steps"] == []
    assert main(["plan", "--demo", FRESH]) == 0
    assert f"{NOTHING}." in capsys.readouterr().out


def test_reinstall_purges_and_installs_the_same_driver_again(capsys):
    installed_and_rebooted(capsys)
    code, again, err = install_json(capsys, "--reinstall")
    assert code == 0
    assert again["nothing_to_do"] is False and again["reboot_required"] is True
    assert "Purge (11 packages, exactly these):" in err
    assert "Done: every step succeeded." in err


def test_installed_but_not_loaded_yet_is_not_nothing_to_do(capsys):
    """Before the reboot the old (here: no) module is loaded: the install is pending, so the
    same install again is applied, as before (verify would fail, too)."""
    assert install_json(capsys)[0] == 0
    code, again, _ = install_json(capsys)
    assert code == 0 and again["nothing_to_do"] is False


def test_a_stack_part_not_installed_yet_gets_the_plan(capsys):
    """--container-toolkit asked for on the second run: not installed, so something to do."""
    installed_and_rebooted(capsys)
    assert main(["plan", "--demo", FRESH, "--json", "--container-toolkit"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["nothing_to_do"] is False
    assert "nvidia-container-toolkit" in plan["stack_list"]


def test_hold_asked_for_on_the_second_run_is_something_to_do(capsys):
    installed_and_rebooted(capsys)
    assert main(["plan", "--demo", FRESH, "--json", "--hold"]) == 0
    assert json.loads(capsys.readouterr().out)["nothing_to_do"] is False


def test_reboot_with_nothing_to_do_says_no_reboot_was_scheduled(capsys):
    installed_and_rebooted(capsys)
    assert main(["install", "--demo", FRESH, "--yes", "--reboot"]) == 0
    out = capsys.readouterr().out
    assert f"{NOTHING}." in out
    assert "--reboot: the loaded driver is the planned one; no reboot was scheduled." in out


def test_export_refuses_reinstall_with_the_reason(capsys, tmp_path):
    assert main(["export", "ansible", str(tmp_path / "play"), "--reinstall"]) == 2
    assert "--reinstall: the playbook leaves a host" in capsys.readouterr().err
