"""`install --yes` on a machine that runs the planned driver, with options that add what it
lacks (`--cuda`, `--cudnn`, `--container-toolkit`, `--hold`): only those are added. No purge,
no driver install, no reboot asked for; plan, its JSON and install say so."""

from __future__ import annotations

import json

import pytest

from nvwizard.cli.main import main

FRESH = "rtx3090-fresh"
DRIVER = "nvidia-driver-595-server-open"
STACK = ("--cuda", "12.8", "--cudnn", "--container-toolkit", "--hold")
DRIVER_KINDS = {"purge", "autoremove", "install", "stop-services", "reboot", "fabric-manager"}


@pytest.fixture(autouse=True)
def _quick(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def installed_and_rebooted(capsys) -> None:
    assert main(["install", "--demo", FRESH, "--yes"]) == 0
    assert main(["reboot", "--demo", FRESH, "--yes"]) == 0
    capsys.readouterr()


def detected(capsys) -> dict:
    assert main(["detect", "--demo", FRESH, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_plan_adds_only_the_stack_and_holds(capsys):
    installed_and_rebooted(capsys)
    assert main(["plan", "--demo", FRESH, "--json", *STACK]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["keeps_driver"] is True and plan["nothing_to_do"] is False
    assert plan["purge_list"] == [] and plan["install_list"] == []
    assert plan["stack_list"] == ["cuda-toolkit-12-8", "cudnn9-cuda-12", "nvidia-container-toolkit"]
    kinds = {step["kind"] for step in plan["steps"]}
    assert not kinds & DRIVER_KINDS
    assert {"hold", "stack-install", "runtime-configure"} <= kinds
    assert plan["blockers"] == []
    assert main(["plan", "--demo", FRESH, *STACK]) == 0
    text = capsys.readouterr().out
    assert f"Driver: {DRIVER} is installed and loaded: it stays as it is" in text
    assert "Purge" not in text and "Install (" not in text


def test_install_adds_the_stack_without_reboot_and_the_driver_keeps_running(capsys):
    installed_and_rebooted(capsys)
    before = detected(capsys)
    code = main(["install", "--demo", FRESH, "--yes", "--json", *STACK])
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert code == 0 and result["outcome"] == "done"
    assert result["reboot_required"] is False and result["nothing_to_do"] is False
    assert "apt-get -y" in captured.err and " purge " not in captured.err
    after = detected(capsys)
    assert after["loaded_module"] == before["loaded_module"]
    assert [t["version"] for t in after["cuda_toolkits"]] == ["12.8"]
    assert after["cudnn"]["cuda_major"] == 12 and after["container_toolkit"] is not None
    assert "nvidia-utils-595-server" in after["held_packages"]
    driver_before = {p["name"]: p["version"] for p in before["installed_packages"]}
    driver_after = {p["name"]: p["version"] for p in after["installed_packages"]}
    assert all(driver_after.get(name) == v for name, v in driver_before.items())
    # and the same again has nothing to do
    assert main(["install", "--demo", FRESH, "--yes", "--json", *STACK]) == 0
    assert json.loads(capsys.readouterr().out)["nothing_to_do"] is True


def test_reboot_with_a_stack_only_plan_is_said_not_used(capsys):
    installed_and_rebooted(capsys)
    assert main(["plan", "--demo", FRESH, "--json", "--cuda", "12.8", "--reboot"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["keeps_driver"] is True
    assert not any(step["kind"] == "reboot" for step in plan["steps"])
    assert any(w.startswith("Not used: --reboot") for w in plan["warnings"])


def test_reinstall_still_gets_the_whole_plan(capsys):
    installed_and_rebooted(capsys)
    assert main(["plan", "--demo", FRESH, "--json", "--cuda", "12.8", "--reinstall"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["keeps_driver"] is False
    assert {"purge", "install"} <= {step["kind"] for step in plan["steps"]}


def test_another_toolkit_release_than_the_installed_one_is_added_beside_the_driver(capsys):
    """cuda-toolkit-12-6 is installed: --cuda 12.8 is not present, --cuda 12.6 is."""
    assert main(["install", "--demo", FRESH, "--yes", "--cuda", "12.6"]) == 0
    assert main(["reboot", "--demo", FRESH, "--yes"]) == 0
    capsys.readouterr()
    assert main(["plan", "--demo", FRESH, "--json", "--cuda", "12.8"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["keeps_driver"] is True and plan["stack_list"] == ["cuda-toolkit-12-8"]
    assert main(["plan", "--demo", FRESH, "--json", "--cuda", "12.6"]) == 0
    assert json.loads(capsys.readouterr().out)["nothing_to_do"] is True


def test_options_a_plan_with_nothing_to_do_does_not_use_are_said_in_its_text(capsys):
    """Nothing to do, yet --also-purge and --reboot were given: plan and install say they are
    not used (the JSON's warnings did; the text printed none of them)."""
    installed_and_rebooted(capsys)
    unused = ["--also-purge", "nvidia-container-toolkit", "--reboot"]
    assert main(["plan", "--demo", FRESH, *unused]) == 0
    text = capsys.readouterr().out
    assert "Nothing to do:" in text
    assert "Not used: --also-purge nvidia-container-toolkit, --reboot" in text
    assert main(["install", "--demo", FRESH, "--yes", *unused]) == 0
    assert "Not used: --also-purge nvidia-container-toolkit, --reboot" in capsys.readouterr().out


def test_a_kernel_update_waiting_for_its_reboot_keeps_the_driver(capsys, places):
    """The demo after unattended-upgrades installed a kernel: reboot-required names it."""
    installed_and_rebooted(capsys)
    path = places[0] / "demo-machines" / f"{FRESH}.json"
    machine = json.loads(path.read_text())
    machine["files"]["reboot-required.txt"] = "*** System restart required ***\n"
    machine["files"]["reboot-required-pkgs.txt"] = "linux-image-5.15.0-164-generic\nlinux-base\n"
    path.write_text(json.dumps(machine))
    assert main(["plan", "--demo", FRESH, "--json", "--cuda", "12.8"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["keeps_driver"] is True and plan["purge_list"] == []
    assert not {step["kind"] for step in plan["steps"]} & DRIVER_KINDS


def test_install_after_a_stack_only_apply_names_the_demos_verify_and_status_agrees(capsys):
    """The driver stayed loaded, so no reboot comes: the end of `install` said nothing about
    what to run next, and `status` said "nothing to do" though nothing added was verified."""
    installed_and_rebooted(capsys)
    assert main(["verify", "--demo", FRESH]) == 0
    assert main(["install", "--demo", FRESH, "--yes", "--cuda", "12.8"]) == 0
    text = capsys.readouterr().out
    ending = text.split("Done: every step succeeded.\n", 1)[1].splitlines()
    assert ending[:2] == [
        "The running driver stays loaded: no reboot is needed.",
        f"Next, run: nvwizard verify --demo {FRESH}",
    ]
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["verify_pending"] is True and status["reboot_pending"] is False
    assert (status["next_step"], status["next_hint"]) == (
        "verify",
        f"run `nvwizard verify --demo {FRESH}`",
    )
    # --json: no reboot and nothing failed (`next_action` is said on failure only)
    assert main(["install", "--demo", FRESH, "--yes", "--json", "--cudnn"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["outcome"] == "done" and result["nothing_to_do"] is False
    assert result["reboot_required"] is False and result["reboot_scheduled"] is False
    assert result["next_action"] is None and result["reboot_due_at"] is None


def test_the_end_of_a_stack_only_apply_names_each_machines_verify(places):
    """This machine: sudo's verify; a bundle or a demo not kept between commands ends with
    the command: the wizard shows the verification (no reboot to see)."""
    import io
    from pathlib import Path
    from types import SimpleNamespace

    from nvwizard.cli.apply_console import after_the_apply, print_outcome
    from nvwizard.engine import events as ev

    out = io.StringIO()
    done = ev.Outcome(status=ev.DONE)
    assert print_outcome(done, is_real=True, out=out, keeps_driver=True) == 0
    assert out.getvalue().splitlines() == [
        "Done: every step succeeded.",
        "The running driver stays loaded: no reboot is needed.",
        "Next, run: sudo nvwizard verify",
    ]
    bundle = SimpleNamespace(kind="bundle", path=Path("/b/gpu1"), saved_in=None)
    unkept = SimpleNamespace(kind="demo", path=Path("/d") / FRESH, saved_in=None)
    assert after_the_apply(bundle, rebooting=False) == (
        "To see the verification, run the wizard: nvwizard --machine /b/gpu1"
    )
    assert after_the_apply(unkept, rebooting=False).startswith(
        f"To see the verification, run the wizard: nvwizard --demo {FRESH} (or set "
    )
