"""gtx1080-secureboot after `install --yes --accept secure-boot-dkms-only` and its reboot:
Secure Boot rejects the module DKMS built, so the driver is installed but never loaded. A
purge and reinstall builds the same module signed with the same key, rejected again: the
plan has nothing to reinstall and names the one thing to do (enrol DKMS's key, then reboot);
`install` changes nothing and exits 0; `--reinstall` still gets the whole plan."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from nvwizard.cli.main import main
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.keep_driver import key_words
from nvwizard.plan.nothing_to_do import settle
from nvwizard.report.build import build_report
from nvwizard.simulator.select import host_from_args

DEMO = "gtx1080-secureboot"
DRIVER = "nvidia-driver-580-server"
IMPORT = "`sudo mokutil --import /var/lib/shim-signed/mok/MOK.der`"


@pytest.fixture
def rejected(monkeypatch, places, capsys):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)
    assert main(["install", "--demo", DEMO, "--yes", "--accept", "secure-boot-dkms-only"]) == 0
    assert main(["reboot", "--demo", DEMO, "--yes"]) == 0
    capsys.readouterr()


def test_install_again_has_nothing_to_reinstall_and_names_the_key(rejected, capsys):
    assert main(["install", "--demo", DEMO, "--yes"]) == 0
    out = capsys.readouterr().out
    assert (
        f"Nothing to reinstall: {DRIVER} is installed, but Secure Boot rejects the module DKMS "
        f"built until its key is enrolled ({IMPORT}, then MOK Manager at the next boot)."
    ) in out
    assert "a reinstall builds the same module signed with the same key" in out
    assert f"On a real machine: run {IMPORT} in a terminal" in out
    assert "Purge" not in out and "Steps:" not in out and "==>" not in out


def test_plan_json_and_install_json_say_so(rejected, capsys):
    assert main(["plan", "--demo", DEMO, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["nothing_to_do"] is True and plan["steps"] == [] and plan["purge_list"] == []
    assert plan["mok_certificate"] == "/var/lib/shim-signed/mok/MOK.der"
    assert main(["install", "--demo", DEMO, "--yes", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["nothing_to_do"] is True and result["reboot_required"] is False
    assert result["message"].startswith(f"Nothing to reinstall: {DRIVER} is installed")


def test_reinstall_still_gets_the_whole_plan(rejected, capsys):
    assert main(["plan", "--demo", DEMO, "--reinstall", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert not plan["nothing_to_do"] and plan["purge_list"] and plan["install_list"]


def test_a_stack_is_added_beside_the_installed_driver_with_the_key_first(rejected):
    report = build_report(host_from_args(None, DEMO), offers=True)
    choices = replace(default_choices(report, DRIVER), cuda="12.8")
    plan = settle(report, build_plan(report, choices))
    assert plan.keeps_driver and not plan.step("purge") and not plan.step("install")
    assert plan.mok_certificate == "/var/lib/shim-signed/mok/MOK.der"
    assert plan.warnings[0] == key_words(report, DRIVER, plan.mok_certificate)
    services = [replace(u, enabled="disabled") for u in report.gpu_services]
    disabled = replace(report, gpu_services=services)
    plan = settle(disabled, build_plan(disabled, default_choices(report, DRIVER)))
    # no module is loaded: persistenced is enabled for the boot that loads it, not started
    assert plan.step("persistenced").commands == [
        ["systemctl", "enable", "nvidia-persistenced.service"]
    ]


def test_a_real_machine_is_told_the_one_thing_to_do(rejected):
    report = replace(build_report(host_from_args(None, DEMO), offers=True), demo=None)
    words = key_words(report, DRIVER, "/var/lib/shim-signed/mok/MOK.der")
    assert f"The one thing to do: run {IMPORT} in a terminal" in words
    assert "reboot (`sudo reboot`) and, on the console or BMC: MOK Manager" in words


def test_a_module_loaded_again_or_a_pending_reboot_is_not_the_key_s_case(rejected):
    report = build_report(host_from_args(None, DEMO), offers=True)
    choices = default_choices(report, DRIVER)
    pending = settle(replace(report, reboot_required=True), build_plan(report, choices))
    assert not pending.nothing_to_do and pending.step("install")
    off = replace(report, secure_boot="disabled")
    assert not settle(off, build_plan(off, choices)).nothing_to_do
