"""`nvwizard install --activate` and `nvwizard activate` on demo and bundle machines: the last
line scripts rely on, the exit codes, and what the state file says afterwards."""

from __future__ import annotations

import io
import json
import os
import shutil

import pytest

from nvwizard.cli.main import main
from nvwizard.host.demo import find_demo

DAEMONS_ONLY = (
    "2981\tnvidia-persiste\tnvidia-persistenced\t/dev/nvidia0,/dev/nvidia1\n"
    "3107\tnv-fabricmanage\troot\t/dev/nvidia-nvswitchctl\n"
)


@pytest.fixture(autouse=True)
def _quick(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def last_line(capsys) -> str:
    return capsys.readouterr().out.rstrip("\n").splitlines()[-1]


def state(places) -> dict:
    return json.loads((places[0] / "state.json").read_text())


def test_install_activate_loads_the_fresh_rtx3090_in_place(capsys, places):
    assert main(["install", "--demo", "rtx3090-fresh", "--yes", "--activate"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == (
        "Activated: nvidia-driver-595-server-open 595.58.03 is loaded without a reboot"
    )
    assert "Next: loading the new driver without a reboot, if that is safe." in out
    assert "A reboot is needed to load the new driver" not in out
    assert "==> [2/4] Load the new driver" in out
    recorded = state(places)  # the activation's own record: no reboot pending
    assert (recorded["purpose"], recorded["outcome"], recorded["reboot_pending"]) == (
        "activate",
        "done",
        False,
    )
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        "Last apply on demo rtx3090-fresh: nvidia-driver-595-server-open (loading it without a "
        "reboot), done"
    )
    assert "next: nothing: the driver was loaded without a reboot and passed verify's checks" in (
        lines
    )
    # the demo's kernel, not this computer's: the apply was on the demo
    assert lines[-1].startswith("loaded now on demo rtx3090-fresh")
    assert ": nvidia 595." in lines[-1]


def test_install_activate_on_the_hgx_explains_the_jobs_must_stop(capsys, places):
    assert (
        main(["install", "--demo", "hgx-h100", "--yes", "--accept", "gpu-processes", "--activate"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == (
        "Not activated: the jobs using the GPU must stop first: 8 processes, python3 of mlops "
        "(pid 1843117 and 7 more); reboot to load it"
    )
    # the install stopped NVIDIA's services before its purge (fabric manager and
    # persistenced): only the jobs are left, and the new branch's fabric manager does not run
    # beside the old driver: said, with what it means until the reboot
    assert "==> [5/12] Stop the GPU services" in out
    assert "GPU services    none running" in out
    assert "GPU users       8 processes\n" in out
    assert (
        "The old driver (nvidia 535.247.01) keeps running until the reboot, without fabric "
        "manager: the installed nvidia-fabricmanager-595 (595.58.03) runs only beside the "
        "595.58.03 driver, so multi-GPU jobs over NVLink cannot start until the reboot."
    ) in out.splitlines()
    recorded = state(places)  # the install's record: the reboot is still needed
    assert (recorded["purpose"], recorded["reboot_pending"]) == ("install", True)


def test_install_activate_on_the_secure_boot_gtx1080_explains_the_mok_reboot(capsys):
    assert (
        main(
            [
                "install",
                "--demo",
                "gtx1080-secureboot",
                "--yes",
                "--accept",
                "secure-boot-dkms-only",
                "--activate",
            ]
        )
        == 0
    )
    # the demo's simulator enrols no key: no reboot loads it there, and the line says so
    assert last_line(capsys) == (
        "Not activated: Secure Boot is on and the nvidia module was built by DKMS: on this demo "
        "the simulated boot rejects the module, as a real machine's does until its key is "
        "enrolled, and the simulator cannot enrol a key; a reboot does not load it on this demo"
    )


def test_a_load_that_fails_after_the_install_still_exits_0_and_says_reboot(
    capsys, places, monkeypatch
):
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "load:nvidia")
    assert main(["install", "--demo", "rtx3090-fresh", "--yes", "--activate"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == (
        "Not activated: the new driver did not load (modprobe: ERROR: could not insert "
        "'nvidia': No such device); reboot to load it"
    )
    # the demo's reboot, kept in the state directory: `sudo reboot` never reaches it
    assert (
        "Next: Reboot the demo: `nvwizard reboot --demo rtx3090-fresh` reboots it; then run "
        "`nvwizard verify --demo rtx3090-fresh`."
    ) in out.splitlines()
    assert "sudo" not in out[out.index("FAILED: ") :]
    recorded = state(places)
    assert (recorded["purpose"], recorded["outcome"], recorded["reboot_pending"]) == (
        "activate",
        "failed",
        True,
    )
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["purpose"], status["next_step"]) == ("activate", "reboot")
    # the demo's reboot, not this computer's; not the activation that just failed
    assert status["next_hint"] == (
        "loading the installed driver without a reboot did not work: reboot the demo: "
        "`nvwizard reboot --demo rtx3090-fresh` reboots it, then run "
        "`nvwizard verify --demo rtx3090-fresh`"
    )


def test_an_unload_that_fails_midway_says_the_old_driver_keeps_running(
    capsys, tmp_path, monkeypatch
):
    folder = tmp_path / "hgx"
    shutil.copytree(find_demo("hgx-h100").path, folder)
    (folder / "gpu-processes.txt").write_text(DAEMONS_ONLY)  # the jobs have stopped
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "unload:nvidia")
    assert main(["install", "--machine", str(folder), "--yes", "--activate"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == (
        "Not activated: the old driver's modules could not be unloaded (modprobe: FATAL: "
        "Module nvidia is in use); reboot to load it"
    )
    # the install stopped the GPU services before its purge: the activation stops none, so
    # it has none to start again after the failed unload (the reboot starts them)
    assert "Start the GPU services again" not in out
    assert "nvwizard: loaded now: nvidia 535.247.01 (proprietary): nvidia" in out


def test_activate_and_reboot_exclude_each_other(capsys):
    assert main(["install", "--demo", "--yes", "--activate", "--reboot"]) == 2
    assert "--activate and --reboot exclude each other" in capsys.readouterr().err


# -- the standalone command -------------------------------------------------------------------


def test_activate_after_an_install_in_another_process(capsys):
    """The demo lives on in NVWIZARD_STATE_DIR: install, then activate, then detect."""
    assert main(["install", "--demo", "rtx3090-fresh", "--yes"]) == 0
    capsys.readouterr()
    assert main(["activate", "--demo", "rtx3090-fresh", "--yes"]) == 0
    assert last_line(capsys) == (
        "Activated: nvidia-driver-595-server-open 595.58.03 is loaded without a reboot"
    )
    assert main(["activate", "--demo", "rtx3090-fresh", "--yes"]) == 0  # again: nothing to do
    out = capsys.readouterr().out
    # one thing said, once, as the last line; nothing claimed as activated (it once said
    # "Nothing to do: ..." and then "Activated: ...")
    assert out.rstrip("\n").splitlines()[-1] == (
        "Nothing to do: nvidia-driver-595-server-open 595.58.03, the installed version, is "
        "loaded already"
    )
    assert out.count("Nothing to do") == 1 and "Activated" not in out
    assert main(["detect", "--demo", "rtx3090-fresh", "--json"]) == 0
    loaded = json.loads(capsys.readouterr().out)["loaded_module"]
    assert loaded == {"version": "595.58.03", "flavor": "open"}


def test_activate_when_only_a_reboot_will_do_exits_4_and_changes_nothing(capsys):
    assert (
        main(
            [
                "install",
                "--demo",
                "gtx1080-secureboot",
                "--yes",
                "--accept",
                "secure-boot-dkms-only",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["activate", "--demo", "gtx1080-secureboot", "--yes"]) == 4
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1].startswith("Not activated: Secure Boot is on")
    assert (
        "  - nouveau drives the GPU and the console's framebuffer (nouveaudrmfb) sits on it" in out
    )
    assert "==>" not in out  # no step ran


def test_activate_with_nothing_installed_is_refused(capsys):
    assert main(["activate", "--demo", "rtx3090-fresh", "--yes"]) == 3
    # the demo's install, not this computer's `sudo nvwizard`
    assert capsys.readouterr().err == (
        "nvwizard: nothing to activate: no NVIDIA driver is installed (install one: "
        "nvwizard install --demo rtx3090-fresh)\n"
    )


def test_activate_on_a_machine_without_an_nvidia_gpu_says_so(capsys):
    """Not `nvwizard install --demo vm-no-gpu`: that refuses too (no driver to recommend)."""
    assert main(["activate", "--demo", "vm-no-gpu", "--yes"]) == 3
    assert capsys.readouterr().err == (
        "nvwizard: nothing to activate: demo vm-no-gpu has no NVIDIA GPU, so there is no "
        "driver to load\n"
    )


def test_activate_dry_run_runs_nothing(capsys):
    assert main(["install", "--demo", "rtx3090-fresh", "--yes"]) == 0
    capsys.readouterr()
    assert main(["activate", "--demo", "rtx3090-fresh", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "$ modprobe -r nouveau" in out and "$ modprobe nvidia" in out
    assert out.rstrip().splitlines()[-1] == (
        "Dry run: it is safe to load it without a reboot; nothing was run"
    )
    assert "==>" not in out


def test_activate_asks_and_refuses_without_a_terminal(capsys, monkeypatch):
    assert main(["install", "--demo", "rtx3090-fresh", "--yes"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert main(["activate", "--demo", "rtx3090-fresh"]) == 3
    assert "not confirmed" in capsys.readouterr().err


def test_activate_on_this_machine_needs_root(capsys, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["activate", "--yes"]) == 3
    assert capsys.readouterr().err.startswith("nvwizard: applying to this machine needs root")


def test_activate_help_lists_its_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["activate", "--help"])
    out = capsys.readouterr().out
    assert "  4   not activated: only a reboot loads it (nothing was changed)" in out


def test_install_activate_json_says_whether_a_reboot_is_still_needed(capsys):
    assert main(["install", "--demo", "rtx3090-fresh", "--yes", "--activate", "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert (result["outcome"], result["activated"], result["reboot_required"]) == (
        "done",
        True,
        False,
    )
    assert result["activation"].startswith("Activated: nvidia-driver-595-server-open")
    assert result["activation"] in captured.err  # the words went to stderr with the progress
    assert (
        main(
            [
                "install",
                "--demo",
                "hgx-h100",
                "--yes",
                "--accept",
                "gpu-processes",
                "--activate",
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert (result["activated"], result["reboot_required"]) == (False, True)
    assert result["activation"].startswith("Not activated: the jobs using the GPU must stop")


def test_the_facts_table_counts_users_and_processes_in_words(capsys):
    """'1 user', not '1 users': the table a person reads before deciding."""
    assert (
        main(
            [
                "install",
                "--demo",
                "gtx1080-secureboot",
                "--yes",
                "--accept",
                "secure-boot-dkms-only",
            ]
        )
        == 0
    )
    capsys.readouterr()
    main(["activate", "--demo", "gtx1080-secureboot", "--yes"])
    out = capsys.readouterr().out
    assert "drives the GPU, 1 user;" in out
    assert "1 users" not in out and "1 processes" not in out
