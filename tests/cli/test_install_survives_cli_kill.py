"""`nvwizard install` on this machine, killed mid-step like a dropped SSH session: the install
finishes anyway, its journal is whole, and `nvwizard status` / `nvwizard logs` show the outcome.

The real command runs (`python -m nvwizard install --driver nvidia-driver-580-server --yes`),
as root, against the apt sandbox standing in for this machine's package database: it detects
this machine (no GPU here: the plan warns and goes on), plans DKMS modules and
`linux-headers-$(uname -r)` (the sandbox offers a dummy for the running kernel), simulates,
and hands the apply to a detached worker. See tests/cli/survival.py for the stage.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.survival import (
    DRIVER,
    GATED,
    REPO_ROOT,
    OutputLines,
    complete_journal,
    hang_up_and_kill,
    make_stage,
)
from tests.sandbox.catalogue import running_kernel_headers_name
from tests.waiting import pid_alive, wait_for


def start_install(env: dict[str, str]) -> subprocess.Popen:
    """`nvwizard install` as a terminal's job: its own session and process group."""
    return subprocess.Popen(
        [sys.executable, "-m", "nvwizard", "install", "--driver", DRIVER, "--yes"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Buffered, as CI runs it: each progress line must be flushed as it comes.
        env={k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"},
        cwd=REPO_ROOT,
        start_new_session=True,
    )


def test_killing_nvwizard_install_mid_step_does_not_stop_the_install(
    apt_sandbox, tmp_path, request
):
    stage = make_stage(apt_sandbox, tmp_path, request)
    stage.close_gate(GATED)
    front = start_install(stage.env)
    try:
        output = OutputLines(front)
        seen = output.until(lambda line: f"Setting up {GATED}" in line)
        wait_for(stage.postinst_waiting, "the gated postinst")
    finally:
        hang_up_and_kill(front)  # mid-step: dpkg waits in the postinst of GATED
    front.stdout.close()

    assert any("No NVIDIA GPU was found" in line for line in seen)  # the real local plan
    assert any(line.startswith("nvwizard: applying in the background (setsid)") for line in seen)
    running = stage.status()
    assert running["state"] == "running"
    assert running["driver"] == DRIVER
    assert running["next_step"] == "wait"
    worker = running["pid"]
    assert worker != front.pid and pid_alive(worker)
    assert stage.postinst_waiting()  # dpkg was not killed with the front end either

    stage.open_gate()
    wait_for(lambda: not pid_alive(worker), "the worker to finish the apply")

    journal = complete_journal(running["events_path"])
    assert journal.outcome == "done"
    assert journal.events[0].pid == worker
    install_list = journal.plan.install_list
    assert running_kernel_headers_name() in install_list
    packages = stage.sandbox.status()
    assert {name: packages.get(name) for name in install_list} == dict.fromkeys(install_list, "ii")
    # Written by the worker after the front end was gone: the rest of the DKMS build.
    assert any("Building initial module" in line for line in journal.output)
    assert any(line.startswith("depmod") for line in journal.output)

    finished = stage.status()
    assert finished["state"] == "finished"
    assert finished["outcome"] == "done"
    assert finished["events_path"] == running["events_path"]
    assert finished["progress"]["step_index"] == finished["progress"]["step_count"]
    assert finished["progress"]["percent"] == 100.0
    assert finished["next_step"] == "reboot"
    assert finished["reboot_pending"] and finished["verify_pending"]
    text = stage.nvwizard("status").stdout
    assert f"Last apply: {DRIVER}, done" in text
    assert "next: reboot" in text

    logs = stage.nvwizard("logs")
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout == Path(finished["log_path"]).read_text(encoding="utf-8")
    first_step, last_step = journal.plan.steps[0], journal.plan.steps[-1]
    assert f"== {first_step.title} [{first_step.id}]" in logs.stdout
    assert f"-- {last_step.id}: ok" in logs.stdout
    assert "Building initial module" in logs.stdout
    assert logs.stdout.rstrip().endswith("apply done")
