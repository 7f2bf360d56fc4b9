"""`nvwizard reboot`: the plain "reboot now to load the installed driver" of the command line.

Before it, a demo installed without --reboot could only be rebooted by installing again with
--reboot (every next step said "`nvwizard install --demo NAME --driver D --yes --reboot`
installs it again and then reboots the demo"), and this machine only by `sudo reboot`. On a
demo it performs the simulated reboot the wizard's *In one minute* performs (the install's
reboot step, then the simulator's wait and boot); on this machine, which the tests swap for a
bundle read as "this machine", it schedules the install's own reboot step through the apply's
worker (faked here: a worker would reboot this computer) and journals it like an install.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from nvwizard.cli import reboot_cmd
from nvwizard.cli.main import main
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import find_demo
from nvwizard.knowledge.secure_boot import after_the_install
from nvwizard.plan.services import REBOOT_ARGV
from tests.engine.fakehost import FakeHost, Script

SHUTDOWN = f"$ {shlex.join(REBOOT_ARGV)}"  # the install's own reboot step
FRESH = "rtx3090-fresh"
SB = "gtx1080-secureboot"  # the recommended 580-server builds its module with DKMS, SB on
MOK_DER = "/var/lib/shim-signed/mok/MOK.der"


@pytest.fixture(autouse=True)
def _quick(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def output(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def saved_boots(places, demo: str) -> list[dict]:
    saved = places[0] / "demo-machines" / f"{demo}.json"
    return json.loads(saved.read_text())["boots"] if saved.exists() else []


def verify_fixes(capsys, demo: str) -> tuple[int, dict[str, str]]:
    code, out, _ = output(capsys, "verify", "--demo", demo, "--json")
    return code, {c["name"]: c["fix"] for c in json.loads(out)["checks"] if not c["ok"]}


def status_next(capsys) -> str:
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    return f"{status['next_step']}: {status['next_hint']}"


# -- a demo ----------------------------------------------------------------------------------


def test_after_an_install_without_reboot_the_demo_reboots_and_verify_passes(capsys, places):
    assert output(capsys, "install", "--demo", FRESH, "--yes")[0] == 0
    code, failed = verify_fixes(capsys, FRESH)
    assert code == 1 and "module-loaded" in failed  # installed, not loaded yet
    assert failed["module-loaded"].startswith(
        f"Reboot the demo: `nvwizard reboot --demo {FRESH}` reboots it, or `nvwizard activate "
        f"--demo {FRESH}` loads it without a reboot where that is safe; then run `nvwizard "
        f"verify --demo {FRESH}` again."
    )

    code, out, err = output(capsys, "reboot", "--demo", FRESH, "--yes")
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith(f"Rebooting demo {FRESH} (after your changes: ")
    assert "  loaded now      no nvidia module" in lines
    assert f"    {SHUTDOWN}" in lines  # applied, as install --reboot applies it
    assert lines[-4:-1] == [
        "simulated: booted 5.15.0-163-generic: nvidia 595.58.03 (open) loaded; nvidia-smi: table",
        f"Next: run `nvwizard verify --demo {FRESH}`",
        "(demo or bundle machine: nothing on this computer was changed)",
    ]
    assert lines[-1].startswith("Log: ")
    assert len(saved_boots(places, FRESH)) == 1
    # the reboot is journaled like an install's: status knows verify comes next
    assert status_next(capsys) == f"verify: run `nvwizard verify --demo {FRESH}`"

    code, out, _ = output(capsys, "verify", "--demo", FRESH)
    assert code == 0 and "All checks passed." in out, out
    assert status_next(capsys) == "nothing: the driver was verified"


def test_every_next_step_names_the_demos_reboot_not_the_install_again(capsys):
    code, out, _ = output(
        capsys, "install", "--demo", "hgx-h100", "--yes", "--accept", "gpu-processes"
    )
    assert code == 0
    reboot = (
        "`nvwizard reboot --demo hgx-h100` reboots it, or `nvwizard activate --demo hgx-h100` "
        "loads it without a reboot where that is safe"
    )
    assert f"The new driver loads at the demo's next reboot: {reboot}." in out.splitlines()
    assert status_next(capsys) == (
        f"reboot: reboot the demo: {reboot}; then run `nvwizard verify --demo hgx-h100`"
    )
    _, failed = verify_fixes(capsys, "hgx-h100")
    assert failed["module-version"].startswith(f"Reboot the demo: {reboot};")
    everything = out + json.dumps(failed)
    assert "installs it again" not in everything and "--reboot`" not in everything
    # and the advice works as said: the demo's training jobs are no condition to accept again
    code, out, err = output(capsys, "reboot", "--demo", "hgx-h100", "--yes")
    assert code == 0, out + err
    assert "loaded; nvidia-smi: table" in out
    assert output(capsys, "verify", "--demo", "hgx-h100")[0] == 0


def test_a_second_reboot_is_harmless(capsys, places):
    assert output(capsys, "install", "--demo", FRESH, "--yes")[0] == 0
    assert output(capsys, "reboot", "--demo", FRESH, "--yes")[0] == 0
    code, out, err = output(capsys, "reboot", "--demo", FRESH, "--yes")
    assert code == 0, out + err
    assert (
        "The installed driver, nvidia 595.58.03, is loaded already: this reboot loads nothing new."
    ) in out.splitlines()
    assert "simulated: booted 5.15.0-163-generic: nvidia 595.58.03 (open) loaded" in out
    assert [b["module"]["version"] for b in saved_boots(places, FRESH)] == ["595.58.03"] * 2
    assert output(capsys, "verify", "--demo", FRESH)[0] == 0


def test_secure_boot_dkms_the_boot_shows_the_rejection_as_after_install_reboot(
    capsys, places, tmp_path, monkeypatch
):
    accept = ("--accept", "secure-boot-dkms-only")
    assert output(capsys, "install", "--demo", SB, "--yes", *accept)[0] == 0
    code, out, err = output(capsys, "reboot", "--demo", SB, "--yes")
    assert code == 0, out + err
    lines = out.splitlines()
    warned = lines.index(
        "Secure Boot is on and DKMS built the module: on this demo the simulated boot rejects "
        "the module, as a real machine's does until its key is enrolled, and the simulator "
        "cannot enrol a key, so it loads on the demo neither now nor after a reboot."
    )
    assert warned < lines.index("Steps:")  # said before the reboot, not after it
    rejected = (
        "simulated: booted 5.15.0-163-generic: no nvidia module (Secure Boot rejected the "
        f"DKMS-built module: its key ({MOK_DER}) is not enrolled, and the simulator enrols none); "
        "nvidia-smi: no-driver"
    )
    assert rejected in lines
    # its "if it fails" offers no activation: no simulated machine loads that module
    (if_it_fails,) = [line for line in lines if "if it fails:" in line]
    assert "activate" not in if_it_fails and f"nvwizard reboot --demo {SB}" in if_it_fails
    after_reboot_command = saved_boots(places, SB)[-1]
    code, after_reboot_command_fixes = verify_fixes(capsys, SB)
    assert code == 1

    # the same demo rebooted by `install --reboot`, in a state directory of its own
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path / "other"))
    assert output(capsys, "install", "--demo", SB, "--yes", *accept, "--reboot")[0] == 0
    code, after_install_reboot_fixes = verify_fixes(capsys, SB)  # the reboot has come due
    other = json.loads((tmp_path / "other" / "demo-machines" / f"{SB}.json").read_text())
    boot = other["boots"][-1]
    assert {k: v for k, v in boot.items() if k != "at"} == {
        k: v for k, v in after_reboot_command.items() if k != "at"
    }
    assert code == 1 and after_install_reboot_fixes == after_reboot_command_fixes


def test_nothing_installed_or_no_gpu_is_refused(capsys, places):
    code, out, err = output(capsys, "reboot", "--demo", FRESH, "--yes")
    assert (code, out) == (3, "")
    assert err == (
        "nvwizard: nothing to load at a reboot: no NVIDIA driver is installed (install one: "
        f"nvwizard install --demo {FRESH})\n"
    )
    code, _, err = output(capsys, "reboot", "--demo", "vm-no-gpu", "--yes")
    assert code == 3
    assert err == (
        "nvwizard: nothing to load at a reboot: demo vm-no-gpu has no NVIDIA GPU, so there is "
        "no driver to load\n"
    )
    assert saved_boots(places, FRESH) == []


def test_dry_run_and_an_unconfirmed_reboot_reboot_nothing(capsys, places, monkeypatch):
    assert output(capsys, "install", "--demo", FRESH, "--yes")[0] == 0
    code, out, _ = output(capsys, "reboot", "--demo", FRESH, "--dry-run")
    assert code == 0
    assert f"      {SHUTDOWN}" in out.splitlines()
    assert out.rstrip().splitlines()[-1] == "Dry run: nothing was run."
    assert "==>" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # no terminal: nobody to ask
    code, out, err = output(capsys, "reboot", "--demo", FRESH)
    assert code == 3
    assert err.startswith("nvwizard: not confirmed: stdin is not a terminal; pass --yes")
    assert saved_boots(places, FRESH) == []
    assert output(capsys, "verify", "--demo", FRESH)[0] == 1  # still the old state


def test_a_capture_bundle_is_refused_written_before_or_after_the_command(capsys, places):
    bundle = str(find_demo(FRESH).path)
    for argv in (["reboot", "--machine", bundle, "--yes"], ["--machine", bundle, "reboot"]):
        code, out, err = output(capsys, *argv)
        assert (code, out) == (2, "")
        assert err == (
            f"nvwizard: --machine {bundle}: a capture bundle is a snapshot of a machine, nothing "
            "there reboots (reboot the machine it was captured on there: `sudo nvwizard "
            "reboot`; or try a demo: `nvwizard reboot --demo NAME`)\n"
        )
    assert not (places[0] / "state.json").exists()


def test_help_and_the_readme_list_the_same_exit_codes(capsys):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### `nvwizard reboot`", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.*) \|$", section, re.M)
    assert [(int(code), meaning.replace("`", "")) for code, meaning in rows] == [
        (code, meaning.replace("`", "")) for code, meaning in reboot_cmd.EXIT_CODES
    ]
    with pytest.raises(SystemExit):
        main(["reboot", "--help"])
    out = capsys.readouterr().out
    assert "exit codes:\n  0   the reboot is scheduled (this machine) or done (a demo)" in out
    for row in (
        "  1   the reboot could not be scheduled",
        "  2   usage error; --machine DIR: a capture bundle is a snapshot",
        "  3   refused: not root, not confirmed, another apply running, no NVIDIA driver",
        "  130 interrupted with Ctrl+C",
    ):
        assert row in out, row


# -- this machine (a bundle read as this machine; the worker faked) --------------------------


@pytest.fixture
def this_machine(monkeypatch):
    """`nvwizard reboot` without --demo reads this host: nvml-mismatch's bundle, whose newer
    driver waits for a reboot (its libraries are 550.163.01, its module 550.127.05)."""
    from nvwizard.simulator import select

    host = BundleHost(find_demo("nvml-mismatch").path, kind="local", label="this machine")
    monkeypatch.setattr(select, "host_from_args", lambda machine, demo: host)
    return host


class Worker:
    """Stands in for the detached worker: runs the plan it is handed with the real engine and
    journal, on a host that records the commands (a real worker would reboot this computer)."""

    def __init__(self, exit_code: int = 0):
        self.plans: list = []
        self.commands: list[list[str]] = []
        self.exit_code = exit_code

    def __call__(self, plan, printer) -> tuple[bool, str]:
        from nvwizard.engine import paths
        from nvwizard.engine.journal import Journal
        from nvwizard.engine.runner import Engine

        said = "Reboot scheduled for Mon 2026-12-07 23:59:00 UTC, use 'shutdown -c' to cancel."
        failed = "Failed to set wall message, ignoring: Access denied"
        lines = [("stderr", said if self.exit_code == 0 else failed)]
        host = FakeHost({("shutdown",): Script(lines, self.exit_code)})
        host.kind, host.label = "local", "this machine"
        self.plans.append(plan)
        with Journal(paths.log_dir(), paths.state_dir()) as journal:
            Engine(host, plan, journal, [printer]).run()
        self.commands += host.argvs
        return True, str(journal.events_path)


@pytest.fixture
def worker(monkeypatch) -> Worker:
    ran = Worker()
    monkeypatch.setattr(reboot_cmd, "run_detached", ran)
    return ran


def test_this_machine_schedules_the_installs_reboot_step_journaled(
    this_machine, worker, capsys, places, monkeypatch
):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    code, out, err = output(capsys, "reboot", "--yes")
    assert code == 0, out + err
    assert worker.commands == [REBOOT_ARGV]
    (plan,) = worker.plans
    assert [s.id for s in plan.steps] == ["reboot"] and plan.purpose == "reboot"
    # the install's own step, word for word: `install --reboot` ends with the same one
    code, planned, _ = output(capsys, "plan", "--demo", FRESH, "--reboot", "--json")
    assert json.loads(planned)["steps"][-1] == plan.steps[0].to_json()
    lines = out.splitlines()
    module = "nvidia 550.163.01 (proprietary, Canonical-signed) for 5.15.0-163-generic"
    assert f"  new module      {module}" in lines
    assert "  loaded now      nvidia 550.127.05 (proprietary): nvidia_uvm nvidia" in lines
    assert "      if it fails: Reboot by hand: `sudo reboot`." in lines
    assert lines[-4:-1] == [
        "Done: every step succeeded.",
        "The reboot is scheduled in one minute (cancel it: sudo shutdown -c).",
        "After it, run: sudo nvwizard verify",
    ]
    state = json.loads((places[0] / "state.json").read_text())
    assert (state["reboot_scheduled"], state["verify_pending"]) == (True, True)
    assert (state["purpose"], state["driver"], state["flavour"]) == (
        "reboot",
        "nvidia-driver-550-server",
        "550-server",
    )
    assert status_next(capsys) == "reboot: a reboot is scheduled; then run `sudo nvwizard verify`"
    code, text, _ = output(capsys, "status")
    assert text.startswith("Last apply: nvidia-driver-550-server (the reboot to load it), done")


def test_this_machine_under_secure_boot_says_the_enrolment_before_asking(
    capsys, places, worker, monkeypatch
):
    """A module DKMS built under Secure Boot: the key's import comes before the reboot."""
    from nvwizard.simulator import select
    from nvwizard.simulator.select import demo_host

    assert (
        output(capsys, "install", "--demo", SB, "--yes", "--accept", "secure-boot-dkms-only")[0]
        == 0
    )
    installed = demo_host(SB)
    here = BundleHost(
        installed.path, kind="local", label="this machine", simulator=installed.simulator
    )
    monkeypatch.setattr(select, "host_from_args", lambda machine, demo: here)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    code, out, _ = output(capsys, "reboot", "--yes")
    assert code == 0
    lines = out.splitlines()
    before = lines.index(
        "Secure Boot is on and DKMS built the module: Secure Boot rejects it until its key is "
        f"enrolled, so before this reboot: run `sudo mokutil --import {MOK_DER}` in a terminal "
        "(it asks twice for a one-time password), then at the next boot, on the console or BMC: "
        "MOK Manager (press a key within 10 seconds) -> Enroll MOK -> Continue -> Yes -> the "
        "password."
    )
    assert before < lines.index("Steps:")
    # and once it is scheduled, as the end of `install --reboot` says it
    scheduled = after_the_install(MOK_DER, scheduled=True)
    assert lines.index(scheduled) > lines.index("Done: every step succeeded.")
    assert worker.plans[0].mok_certificate == MOK_DER


def test_this_machine_dry_run_needs_no_root_and_runs_nothing(
    this_machine, worker, capsys, monkeypatch
):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    code, out, _ = output(capsys, "reboot", "--dry-run")
    assert code == 0
    assert f"      {SHUTDOWN}" in out.splitlines()
    assert out.rstrip().splitlines()[-1] == "Dry run: nothing was run."
    assert worker.plans == []


def test_this_machine_without_root_is_refused(this_machine, worker, capsys, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    code, out, err = output(capsys, "reboot", "--yes")
    assert (code, out) == (3, "")
    assert err == (
        "nvwizard: applying to this machine needs root: run it with sudo (or add --dry-run, or "
        "try --demo)\n"
    )
    assert worker.plans == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_this_machine_asks_and_a_no_changes_nothing(this_machine, worker, capsys, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out, err = output(capsys, "reboot")
    assert code == 3
    assert out.rstrip().endswith("Reboot this machine in one minute? [y/N]")
    assert err == "nvwizard: not confirmed: nothing was changed\n"
    assert worker.plans == []


def test_this_machine_during_another_apply_is_refused(
    this_machine, worker, capsys, places, monkeypatch
):
    from nvwizard.engine.lock import ApplyLock

    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with ApplyLock(places[0]) as lock:
        lock.update(driver="nvidia-driver-580-server-open")
        code, out, err = output(capsys, "reboot", "--yes")
    assert (code, out) == (3, "")
    assert err.startswith(
        "nvwizard: another nvwizard apply is running: an apply of nvidia-driver-580-server-open"
    )
    assert worker.plans == []


def test_this_machine_a_failed_shutdown_exits_1_and_status_says_reboot(
    this_machine, capsys, places, monkeypatch
):
    failing = Worker(exit_code=1)
    monkeypatch.setattr(reboot_cmd, "run_detached", failing)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    code, out, _ = output(capsys, "reboot", "--yes")
    assert code == 1
    assert "FAILED: Schedule the reboot in one minute failed" in out
    state = json.loads((places[0] / "state.json").read_text())
    assert (state["reboot_scheduled"], state["verify_pending"]) == (False, False)
    # no package was touched: nothing to repair, the reboot is still to do
    assert status_next(capsys) == "reboot: reboot; then run `sudo nvwizard verify`"
