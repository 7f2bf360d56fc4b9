"""A demo machine kept in the state directory lives on between nvwizard commands: install with
a reboot, then detect and verify in new processes see the new driver, as on a real machine."""

from __future__ import annotations

import json

from tests.cli.test_install_cli import run_with_trapped_path

DEMO = "rtx3090-fresh"


def detect_json(tmp_path) -> dict:
    done, calls = run_with_trapped_path(tmp_path, "detect", "--demo", DEMO, "--json")
    assert done.returncode == 0 and calls == [], done.stderr
    return json.loads(done.stdout)


def test_install_reboot_then_verify_in_new_processes_sees_the_new_driver(tmp_path):
    pristine = detect_json(tmp_path)
    assert pristine["source"] == f"demo {DEMO}" and pristine["loaded_module"] is None
    driver = pristine["recommended_driver"]

    installed, calls = run_with_trapped_path(
        tmp_path, "install", "--demo", DEMO, "--yes", "--reboot"
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr
    assert (
        f"After the demo's reboot (seconds at its pace), run: nvwizard verify --demo {DEMO}"
        in installed.stdout
    )
    saved = tmp_path / "state" / "demo-machines" / f"{DEMO}.json"
    assert saved.is_file()

    # the scheduled reboot came due (NVWIZARD_DEMO_SPEED=0) while no nvwizard ran
    after = detect_json(tmp_path)
    assert after["source"].startswith(f"demo {DEMO} (after your changes: ")
    assert "rebooted" in after["source"]
    flavour = "open" if driver.endswith("-open") else "proprietary"
    assert after["loaded_module"]["flavor"] == flavour
    assert after["nvidia_smi"]["status"] == "ok"
    assert not after["reboot_required"]

    verified, more_calls = run_with_trapped_path(tmp_path, "verify", "--demo", DEMO)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "All checks passed." in verified.stdout
    assert calls == more_calls == []  # nothing ran on this computer

    saved.unlink()  # the documented reset: the demo is its bundle again
    assert detect_json(tmp_path) == pristine


def test_without_the_variables_a_demo_install_leaves_nothing_behind(tmp_path):
    """No NVWIZARD_STATE_DIR / NVWIZARD_LOG_DIR: the journal goes to a temporary folder that is
    removed when the command ends (it used to stay, one /tmp/nvwizard-demo-* per run), the
    user's own state directory is not touched, and no log path is promised."""
    import os
    import subprocess
    import sys

    temporary, home = tmp_path / "tmp", tmp_path / "home"
    temporary.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NVWIZARD_", "XDG_"))} | {
        "TMPDIR": str(temporary),
        "HOME": str(home),
        "NVWIZARD_DEMO_SPEED": "0",
    }
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    argv = [sys.executable, "-m", "nvwizard", "install", "--demo", DEMO, "--yes", "--reboot"]

    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, cwd=root)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "Done: every step succeeded." in done.stdout
    assert "Log: " not in done.stdout
    assert "or set NVWIZARD_STATE_DIR to keep the demo machine between commands" in done.stdout
    assert [p.name for p in temporary.iterdir() if p.name.startswith("nvwizard")] == []
    assert not home.exists()


def test_a_log_dir_alone_keeps_the_demo_s_state_file_out_of_the_user_s_state_dir(
    tmp_path, monkeypatch
):
    from nvwizard.engine import paths
    from nvwizard.engine.journal import journal_dirs_for, keeps_its_log
    from nvwizard.simulator import demo_host

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(tmp_path / "log"))
    monkeypatch.delenv("NVWIZARD_STATE_DIR", raising=False)
    host = demo_host(DEMO)

    log_dir, state_dir = journal_dirs_for(host)

    assert log_dir == tmp_path / "log" and keeps_its_log(host)
    assert state_dir != paths.state_dir() and not str(state_dir).startswith(str(tmp_path))


def status_next(tmp_path) -> str:
    done, calls = run_with_trapped_path(tmp_path, "status", "--json")
    assert done.returncode == 0 and calls == [], done.stderr
    status = json.loads(done.stdout)
    return f"{status['next_step']}: {status['next_hint']}"


def test_status_after_a_demo_apply_follows_the_demos_reboot_and_verify(tmp_path):
    """The next step after an apply on a demo kept in the state directory is the demo's: its
    reboot (not this computer's), its verify command, and nothing once it verified."""
    installed, _ = run_with_trapped_path(tmp_path, "install", "--demo", DEMO, "--yes")
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr
    # how a demo reboots (no `reboot` on this computer reaches it), then its verify; the
    # install said "A reboot is needed to load the new driver: reboot"
    assert (
        f"The new driver loads at the demo's next reboot: `nvwizard reboot --demo {DEMO}` "
        "reboots it"
    ) in installed.stdout
    assert ": reboot\n" not in installed.stdout
    assert status_next(tmp_path) == (
        f"reboot: reboot the demo: `nvwizard reboot --demo {DEMO}` reboots it, or `nvwizard "
        f"activate --demo {DEMO}` loads it without a reboot where that is safe; then run "
        f"`nvwizard verify --demo {DEMO}`"
    )

    again, _ = run_with_trapped_path(tmp_path, "install", "--demo", DEMO, "--yes", "--reboot")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    # the reboot came due (NVWIZARD_DEMO_SPEED=0): the demo booted after the apply finished
    assert status_next(tmp_path) == f"verify: run `nvwizard verify --demo {DEMO}`"

    verified, _ = run_with_trapped_path(tmp_path, "verify", "--demo", DEMO)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert status_next(tmp_path) == "nothing: the driver was verified"
    text, _ = run_with_trapped_path(tmp_path, "status")
    assert "verified: ok" in text.stdout and "sudo nvwizard verify" not in text.stdout


def test_verifying_another_demo_leaves_the_last_applys_verify_alone(tmp_path):
    installed, _ = run_with_trapped_path(tmp_path, "install", "--demo", DEMO, "--yes")
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr
    run_with_trapped_path(tmp_path, "verify", "--demo", "hgx-h100")
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    assert state["verify"] is None


def test_a_second_apply_on_a_demo_that_runs_the_new_driver_asks_for_no_reboot(tmp_path):
    """Install, reboot and verify the demo, then install again adding CUDA (the same driver):
    the demo runs the installed driver already, so the next step is its verify, not a reboot
    (status said "next: reboot" though the demo had booted the new driver)."""
    for argv in (["--reboot"], ["--cuda", "12.8"]):
        done, _ = run_with_trapped_path(tmp_path, "install", "--demo", DEMO, "--yes", *argv)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
        if argv == ["--reboot"]:
            verified, _ = run_with_trapped_path(tmp_path, "verify", "--demo", DEMO)
            assert verified.returncode == 0, verified.stdout
            assert status_next(tmp_path) == "nothing: the driver was verified"
    assert status_next(tmp_path) == f"verify: run `nvwizard verify --demo {DEMO}`"
    text, _ = run_with_trapped_path(tmp_path, "status")
    assert "reboot" not in text.stdout.split("next: ", 1)[1].splitlines()[0]
    verified, _ = run_with_trapped_path(tmp_path, "verify", "--demo", DEMO)
    assert verified.returncode == 0, verified.stdout
    assert status_next(tmp_path) == "nothing: the driver was verified"


def said_for_this_computer(fix: str) -> str:
    """What a fix tells the reader to do here: all of it but what it says a real machine
    would need ("On a real machine: ..." ends a demo's fix)."""
    return fix.split("On a real machine: ", 1)[0]


def test_verify_after_an_install_without_its_reboot_gives_the_demos_own_fixes(tmp_path):
    """install --demo hgx-h100 --yes without --reboot: the old module runs on, verify fails.
    Its fixes said "Reboot (`sudo reboot`), then run `sudo nvwizard verify` again", which act
    on this computer, never on the demo. Now: the demo's reboot, in status's words, and the
    demo's own verify."""
    from nvwizard.host.demo_advice import demo_reboot

    demo = "hgx-h100"
    jobs = ("--accept", "gpu-processes")  # its training jobs; they outlive the install
    installed, _ = run_with_trapped_path(tmp_path, "install", "--demo", demo, "--yes", *jobs)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr

    done, calls = run_with_trapped_path(tmp_path, "verify", "--demo", demo, "--json")
    assert done.returncode == 1 and calls == [], done.stdout + done.stderr
    failed = {c["name"]: c["fix"] for c in json.loads(done.stdout)["checks"] if not c["ok"]}
    assert "module-version" in failed, failed
    # the demo's reboot is its own `nvwizard reboot --demo NAME`
    reboot = (
        f"Reboot the demo: {demo_reboot(demo)}; then run `nvwizard verify --demo {demo}` again."
    )
    assert reboot.startswith(f"Reboot the demo: `nvwizard reboot --demo {demo}` reboots it, or")
    assert failed["module-version"].startswith(reboot), failed
    assert reboot[len("Reboot the demo: ") : -len(" again.")] in status_next(tmp_path)
    for name, fix in failed.items():
        here = said_for_this_computer(fix)
        assert "sudo" not in here and "dpkg" not in here, (name, fix)

    text, _ = run_with_trapped_path(tmp_path, "verify", "--demo", demo)
    assert "fix: Reboot the demo: " in text.stdout
    assert "sudo reboot" not in text.stdout and "sudo nvwizard verify" not in text.stdout
