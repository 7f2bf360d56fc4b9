"""`nvwizard install --json`: one JSON object on stdout saying how the install ended (what a
playbook reads: a reboot needed, the log and journal); the progress goes to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from nvwizard.cli.main import main
from tests.cli.run import REPO_ROOT
from tests.cli.test_install_cli import this_machine_is_the_sandbox  # noqa: F401 (a fixture)

KEYS = {
    "nothing_to_do",
    "host",
    "driver",
    "outcome",
    "message",
    "reboot_required",
    "reboot_scheduled",
    "reboot_due_at",
    "log_path",
    "events_path",
    "next_action",
    "repair",
    "last_lines",
    "activated",  # with --activate (null without)
    "activation",
}


def _nvwizard(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    settings = {
        **os.environ,
        "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        "NVWIZARD_LOG_DIR": str(tmp_path / "log"),
        "NVWIZARD_DEMO_SPEED": "0",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "nvwizard", *args],
        capture_output=True,
        text=True,
        env=settings,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_a_demo_install_says_the_reboot_is_scheduled_and_verify_sees_it(tmp_path):
    started = time.time()
    done = _nvwizard(tmp_path, "install", "--demo", "rtx3090-fresh", "--yes", "--reboot", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout is the object alone
    assert set(result) == KEYS
    assert result["outcome"] == "done" and result["message"] is None
    assert result["driver"].startswith("nvidia-driver-")
    assert result["reboot_required"] is True and result["reboot_scheduled"] is True
    assert result["nothing_to_do"] is False
    assert started <= result["reboot_due_at"] <= time.time()  # at demo speed 0: due at once
    assert result["log_path"].startswith(str(tmp_path / "log"))
    assert os.path.exists(result["log_path"]) and os.path.exists(result["events_path"])
    assert "==> [1/" in done.stderr and "Done: every step succeeded." in done.stderr

    verified = _nvwizard(tmp_path, "verify", "--demo", "rtx3090-fresh", "--json")
    assert verified.returncode == 0, verified.stdout
    assert json.loads(verified.stdout)["ok"] is True


def test_a_failed_install_says_what_failed_and_the_repair(tmp_path):
    done = _nvwizard(
        tmp_path,
        *(
            "install",
            "--demo",
            "gtx1080-secureboot",
            "--yes",
            "--accept",
            "secure-boot-dkms-only",
            "--json",
        ),
        NVWIZARD_DEMO_FAIL="nvidia-dkms-580-server",
    )
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["outcome"] == "failed"
    assert "nvidia-dkms-580-server (half-configured)" in result["message"]
    # a demo's repair is its own install again (or its reset), no argv for this computer
    assert result["repair"] is None
    assert result["next_action"].startswith("run `nvwizard install --demo gtx1080-secureboot ")
    assert result["reboot_scheduled"] is False and result["reboot_due_at"] is None
    assert any("post-installation script" in line for line in result["last_lines"])
    assert os.path.exists(result["log_path"])


def test_a_refusal_prints_no_json_and_one_line(tmp_path):
    done = _nvwizard(
        tmp_path,
        *(
            "install",
            "--demo",
            "gtx1080-secureboot",
            "--yes",
            "--accept",
            "secure-boot-dkms-only",
            "--json",
        ),
        *("--driver", "nvidia-driver-580-server-open"),
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("nvwizard: nvidia-driver-580-server-open cannot run on this machine")
    )


def test_a_dry_run_says_so(capsys):
    assert main(["install", "--demo", "hgx-h100", "--dry-run", "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["outcome"] == "dry-run" and result["log_path"] is None
    assert "Dry run: nothing was run." in captured.err


def test_a_dry_run_says_whether_the_plan_would_need_a_reboot(capsys):
    """535 -> 595 on hgx-h100 needs a reboot; the dry run said reboot_required false."""
    assert main(["install", "--demo", "hgx-h100", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reboot_required"] is True
    # with --activate, whether it loads without one is only known once it is installed
    assert main(["install", "--demo", "hgx-h100", "--dry-run", "--activate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reboot_required"] is None


def test_on_this_machine_the_summary_comes_from_the_worker(
    this_machine_is_the_sandbox,  # noqa: F811
    capsys,
    places,
):
    code = main(
        ["install", "--driver", "nvidia-driver-580-server-open", "--headless", "--yes", "--json"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert result["outcome"] == "done"
    assert result["reboot_required"] is True and result["reboot_scheduled"] is False
    _state, log = places
    assert result["log_path"].startswith(str(log))
    assert result["events_path"].startswith(str(log))
    assert "nvwizard: applying in the background" in captured.err


def test_json_is_in_installs_help(capsys):
    with pytest.raises(SystemExit):
        main(["install", "--help"])
    assert "--json" in capsys.readouterr().out


def test_a_bundle_whose_folder_name_is_not_utf8_installs_and_is_recorded(tmp_path):
    """A folder name is bytes: one that is not UTF-8 (Python holds it as surrogates) goes into
    the journal's host and the log's lines escaped, never as a UnicodeEncodeError traceback."""
    demo = REPO_ROOT / "nvwizard" / "demo_machines" / "rtx3090-fresh"
    bundle = os.fsencode(tmp_path) + b"/bundle-\xff"
    os.mkdir(bundle)
    for source in demo.iterdir():
        with open(bundle + b"/" + os.fsencode(source.name), "wb") as copy:
            copy.write(source.read_bytes())
    name = os.fsdecode(bundle)
    logs = tmp_path / "log-\udcfe"  # a log folder named so, too

    done = _nvwizard(
        tmp_path,
        "install",
        "--machine",
        name,
        "--yes",
        "--json",
        NVWIZARD_LOG_DIR=os.fsdecode(logs),
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["outcome"] == "done"
    assert result["host"] == f"bundle {name}"
    log = open(os.fsencode(result["log_path"]), "rb").read()
    assert b"bundle-\\udcff" in log  # the name, escaped, in a log that stays UTF-8
    log.decode("utf-8")
    status = _nvwizard(tmp_path, "status", "--json", NVWIZARD_LOG_DIR=os.fsdecode(logs))
    assert status.returncode == 0, status.stderr[-2000:]
    assert json.loads(status.stdout)["outcome"] == "done"
    shown = subprocess.run(
        [sys.executable, "-m", "nvwizard", "logs"],
        capture_output=True,
        env={
            **os.environ,
            "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
            "NVWIZARD_LOG_DIR": os.fsdecode(logs),
        },
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert b"apply started on bundle " + bundle in shown.stdout  # the name as it is
    assert b"apply done" in shown.stdout


def test_a_failed_driver_install_needs_the_repair_not_a_reboot(tmp_path):
    """The purge ran, the driver's install step failed (a half-configured package): nothing new
    loads at a reboot, so a script that reboots when told must not; the text says no reboot."""
    done = _nvwizard(
        tmp_path,
        *("install", "--demo", "rtx3090-fresh", "--yes", "--json"),
        NVWIZARD_DEMO_FAIL="nvidia-utils-595-server",
    )
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["outcome"] == "failed" and "nvidia-utils-595-server" in result["message"]
    assert result["reboot_required"] is False
    assert "a reboot loads it" not in done.stderr and "reboot" not in result["next_action"]


def test_a_failure_after_the_driver_was_installed_says_the_reboot_loads_it():
    """The text says what `reboot_required` says: here true (a step after the install)."""
    import io

    from nvwizard.cli.apply_console import print_outcome
    from nvwizard.engine import events as ev

    for required in (True, False):
        out = io.StringIO()
        failed = ev.Outcome(status=ev.FAILED, message="x failed", reboot_required=required)
        assert print_outcome(failed, is_real=True, out=out) == 1
        said = "The new driver's packages are installed: a reboot loads it." in out.getvalue()
        assert said is required
