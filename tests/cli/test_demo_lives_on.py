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
    assert f"After it (seconds on the demo), run: nvwizard verify --demo {DEMO}" in installed.stdout
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
