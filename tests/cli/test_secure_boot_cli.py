"""Secure Boot with a module DKMS builds, as a new user meets it on the command line: the
plan's warning, the end of the install, verify after the reboot. Before, they said "the next
boot asks on the console to enroll a Machine Owner Key", which is untrue: apt runs
non-interactively, Ubuntu's update-secureboot-policy then queues nothing ("Running in
non-interactive mode, doing nothing."), and the next boot rejects the module. A real machine
is told the `mokutil --import` to run; a demo (whose simulator enrols no key) what it does."""

from __future__ import annotations

import json

import pytest

from nvwizard.cli.main import main
from nvwizard.host.demo import find_demo

DEMO = "gtx1080-secureboot"  # Pascal, Secure Boot on; the recommended 580-server needs DKMS
MOK_DER = "/var/lib/shim-signed/mok/MOK.der"
IMPORT = f"sudo mokutil --import {MOK_DER}"


@pytest.fixture(autouse=True)
def _quick(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def output(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_the_plan_on_the_real_machine_says_the_import_to_run_and_the_console_step(capsys):
    """A bundle stands for the real machine it was captured on."""
    code, out = output(capsys, "--machine", str(find_demo(DEMO).path), "plan", "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["modules"] == "dkms" and plan["mok_certificate"] == MOK_DER
    (warning,) = [w for w in plan["warnings"] if "Secure Boot" in w]
    assert "the next boot asks on the console" not in warning
    assert (
        "The next boot asks nothing by itself (apt runs non-interactively, so Ubuntu's "
        'update-secureboot-policy queues no enrolment ("Running in non-interactive mode, doing '
        f'nothing.")): after the install, run `{IMPORT}` in a terminal (it asks twice for a '
        "one-time password), then at the next boot, on the console or BMC: MOK Manager (press a "
        "key within 10 seconds) -> Enroll MOK -> Continue -> Yes -> the password. That boot needs "
        "the console or BMC, not SSH alone; without it the driver does not load."
    ) in warning


def test_on_the_demo_each_place_says_what_the_demo_does_instead(capsys):
    code, out = output(capsys, "plan", "--demo", DEMO)
    assert code == 0
    (warning,) = [line for line in out.splitlines() if "Secure Boot is on" in line]
    assert (
        "On this demo the simulated boot rejects the module, as a real machine's does until its "
        "key is enrolled, and the simulator cannot enrol a key: the driver does not load on this "
        "demo. No supported driver has Canonical's signed modules for this kernel; "
        "nvidia-driver-570-server, past its end of life (branch 570 ended 2026-02), has them: it "
        f"loads, without NVIDIA's fixes. On a real machine: after the install, run `{IMPORT}`"
    ) in warning
    # the blocker (and so the playbook's message) is that warning, word for word
    code, out = output(capsys, "plan", "--demo", DEMO, "--json")
    plan = json.loads(out)
    (blocker,) = [b["message"] for b in plan["blockers"] if b["id"] == "secure-boot-dkms-only"]
    assert blocker in plan["warnings"] and "e.g. nvidia-driver-570-server)" not in blocker
    assert "nvidia-driver-570-server, past its end of life (branch 570 ended 2026-02)" in blocker

    code, out = output(
        capsys, "install", "--demo", DEMO, "--yes", "--accept", "secure-boot-dkms-only", "--reboot"
    )
    assert code == 0
    assert (
        "Secure Boot is on and DKMS built the module: on this demo the simulated boot rejects "
        "the module, as a real machine's does until its key is enrolled, and the simulator "
        "cannot enrol a key, so it loads on the demo neither now nor after a reboot."
    ) in out.splitlines()
    assert "The new driver loads at the demo's next reboot" not in out
    # the simulated postinst says what Ubuntu's says under apt's non-interactive frontend
    assert "    Running in non-interactive mode, doing nothing." in out.splitlines()

    code, out = output(capsys, "verify", "--demo", DEMO, "--json")
    assert code == 1
    fixes = {c["name"]: c["fix"] for c in json.loads(out)["checks"] if not c["ok"]}
    alternative = "nvidia-driver-570-server"
    assert fixes["module-loaded"] == (
        "A reboot does not load it: on this demo the simulated boot rejects the module DKMS "
        "built, as a real machine's does until its key is enrolled, and the simulator cannot "
        "enrol a key. To see a driver load on this demo, install one with Canonical's signed "
        f"modules (no supported branch has them here: {alternative} is past its end of life, "
        f"branch 570 ended 2026-02): `nvwizard --demo {DEMO}` (the wizard), or `nvwizard "
        f"install --demo {DEMO} --driver {alternative} --yes --reboot`. On a real machine: "
        f"run `{IMPORT}` in a terminal (it asks twice for a one-time password), reboot (`sudo "
        "reboot`) and, on the console or BMC: MOK Manager (press a key within 10 seconds) -> "
        "Enroll MOK -> Continue -> Yes -> the password."
    )
    assert fixes["module-version"].endswith("see module-loaded's fix.")

    # the way out it names works: the signed modules load at the demo's reboot
    code, out = output(
        capsys, "install", "--demo", DEMO, "--driver", alternative, "--yes", "--reboot"
    )
    assert code == 0, out[-2000:]
    code, out = output(capsys, "verify", "--demo", DEMO)
    assert code == 0 and "All checks passed." in out, out


def test_after_a_failed_dkms_build_verify_says_to_repair_first_in_the_demos_words(
    capsys, monkeypatch, places
):
    """The DKMS package's postinst fails (iF): verify's first check is that repair, said as
    the demo's own install, and next-boot-modules points to it instead of naming
    linux-modules-nvidia-580-server-5.15.0-163-generic, which apt does not offer here."""
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-dkms-580-server")
    install = ("install", "--demo", DEMO, "--yes", "--driver", "nvidia-driver-580-server")
    install += ("--accept", "secure-boot-dkms-only")
    code, out = output(capsys, *install)
    assert code == 1, out[-2000:]
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL")
    code, out = output(capsys, "verify", "--demo", DEMO, "--json")
    assert code == 1
    checks = json.loads(out)["checks"]
    first = checks[0]
    assert first["name"] == "packages-configured" and not first["ok"]
    assert first["detail"] == "dpkg left NVIDIA packages unfinished: nvidia-dkms-580-server (iF)"
    saved = places[0] / "demo-machines" / f"{DEMO}.json"
    assert first["fix"] == (
        f"Repair the demo: run `nvwizard install --demo {DEMO} --driver nvidia-driver-580-server` "
        "again (its plan first repairs what the demo's package manager left unfinished), or "
        f"reset the demo to its bundle: `rm {saved}`."
    )
    assert "dpkg --configure" not in first["fix"]  # this computer's dpkg, not the demo's
    next_boot = next(c for c in checks if c["name"] == "next-boot-modules")
    assert "nvidia-dkms-580-server is half-configured (iF)" in next_boot["detail"]
    assert "linux-modules-nvidia" not in next_boot["fix"]
    assert next_boot["fix"].startswith("Repair it first (see packages-configured's fix)")
    # no other check advises the demo's reboot or activate while its packages are unfinished
    for check in checks[1:]:
        assert check["ok"] or "packages-configured" in (check["fix"] or ""), check
        assert "--reboot" not in (check["fix"] or "") and "activate" not in (check["fix"] or "")


def test_a_demo_install_without_reboot_says_which_reboot_shows_the_rejection(capsys):
    """Without --reboot the end named no reboot after the Secure Boot line, so "After it, run
    verify" pointed at nothing; and it offered `activate`, which loads no DKMS module there."""
    code, out = output(
        capsys, "install", "--demo", DEMO, "--yes", "--accept", "secure-boot-dkms-only"
    )
    assert code == 0
    lines = out.splitlines()
    said = lines.index(
        "Secure Boot is on and DKMS built the module: on this demo the simulated boot rejects "
        "the module, as a real machine's does until its key is enrolled, and the simulator "
        "cannot enrol a key, so it loads on the demo neither now nor after a reboot."
    )
    assert lines[said + 1] == (
        f"To see its boot reject the module: `nvwizard reboot --demo {DEMO}` reboots it."
    )
    assert lines[said + 2] == (
        f"After the demo's reboot (seconds at its pace), run: nvwizard verify --demo {DEMO}"
    )
    assert "activate" not in "\n".join(lines[said:])

    code, out = output(capsys, "status")
    (next_step,) = [line for line in out.splitlines() if line.startswith("next: ")]
    assert next_step == (
        "next: reboot: no reboot loads the module DKMS built under Secure Boot on the demo (its "
        "simulator enrols no key); to see its boot reject it, reboot the demo: `nvwizard reboot "
        f"--demo {DEMO}` reboots it; then run `nvwizard verify --demo {DEMO}`"
    )
