"""Loading the driver without a reboot on this machine's path: the detached worker runs the
activation plan with the engine's checks, the journal and the state file record it, and
`nvwizard status` says what follows. `modprobe` is a stand-in on PATH that fails as the kernel
does when nouveau still holds the GPU; nothing touches the real kernel."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from nvwizard.engine.journal import read_events
from nvwizard.plan.activate import build_activation_plan
from nvwizard.report.activation import ActivationFacts, decide_activation
from tests.detach.helpers import REPO_ROOT, nvwizard, read_until, start_front_end

FRESH = ActivationFacts(
    kernel="6.8.0-94-generic",
    driver="nvidia-driver-580-server-open",
    module_version="580.95.05",
    module_flavor="open",
    module_source="signed",
    branch=580,
    secure_boot="disabled",
)
MODPROBE = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/modprobe.calls"
echo "modprobe: ERROR: could not insert '$1': No such device" >&2
exit 1
"""


def test_a_load_that_fails_in_the_worker_says_reboot(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    modprobe = bin_dir / "modprobe"
    modprobe.write_text(MODPROBE)
    modprobe.chmod(modprobe.stat().st_mode | stat.S_IEXEC)

    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        "NVWIZARD_LOG_DIR": str(tmp_path / "log"),
        "PYTHONPATH": str(REPO_ROOT),
    }
    plan = build_activation_plan(FRESH, decide_activation(FRESH), "this machine")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan.to_json()))

    front_end = start_front_end(plan_file, env)
    lines = read_until(front_end, lambda line: line.startswith("Next:"))
    assert front_end.wait(timeout=60) == 1
    error = "modprobe: ERROR: could not insert 'nvidia': No such device"
    assert f"FAILED: Load the new driver failed: {error}" in lines
    assert (bin_dir / "modprobe.calls").read_text() == "nvidia\n"  # stopped at the first

    status = json.loads(nvwizard("status", "--json", env=env).stdout)
    assert (status["purpose"], status["outcome"], status["next_step"]) == (
        "activate",
        "failed",
        "reboot",
    )
    assert status["reboot_pending"] is True
    events = read_events(Path(status["events_path"]))
    started = [e.step for e in events if type(e).__name__ == "StepStarted"]
    assert started == ["load-nvidia"]  # the verify step never ran
