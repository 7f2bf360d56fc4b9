"""Small plans for the sandbox, and a front end that can be killed like a terminal."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from nvwizard.plan import models as pm
from nvwizard.plan.models import Choices, Plan, Step
from tests.waiting import WAIT_LIMIT_S

REPO_ROOT = Path(__file__).resolve().parents[2]

# The "CLI process": `nvwizard install`'s apply path for this machine (start the worker
# detached, follow its journal, print progress), on a ready plan. The setsid method is forced:
# a CI machine may run systemd, and tests must not create system units.
FRONT_END = """
import sys
import nvwizard.host.spawn as spawn
from nvwizard.cli.install_cmd import _apply_detached
from nvwizard.engine.detach import load_plan
from nvwizard.errors import NvwizardError
spawn.detach_method = lambda: spawn.SETSID
try:
    sys.exit(_apply_detached(load_plan(sys.argv[1])))
except NvwizardError as error:
    print(f"nvwizard: {error}", flush=True)
    sys.exit(error.exit_code)
"""


def install_plan(*packages: str, driver: str = "nvidia-driver-580-server") -> Plan:
    steps = [
        Step(
            id="install",
            title="Install the driver",
            why="test",
            commands=[["apt-get", "-y", "-o", "APT::Status-Fd=3", "install", *packages]],
            changes_system=True,
            on_failure="repair",
            kind=pm.INSTALL,
        ),
        Step(
            id="verify-packages",
            title="Check the package states",
            why="test",
            commands=[["dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\n", *packages]],
            changes_system=False,
            on_failure="repair",
            kind=pm.VERIFY,
        ),
    ]
    return Plan(
        steps=steps,
        choices=Choices(driver=driver, purge=False),
        host_label="this machine",
        driver=driver,
        flavour=driver.removeprefix("nvidia-driver-"),
        branch=580,
        modules="dkms",
        install_list=list(packages),
    )


def environment(sandbox_env: dict[str, str], state: Path, log: Path) -> dict[str, str]:
    return {
        **sandbox_env,
        "NVWIZARD_STATE_DIR": str(state),
        "NVWIZARD_LOG_DIR": str(log),
        "PYTHONPATH": str(REPO_ROOT),
    }


def start_front_end(plan_file: Path, env: dict[str, str]) -> subprocess.Popen:
    """The front end in its own session, like a shell's job on a terminal."""
    return subprocess.Popen(
        [sys.executable, "-c", FRONT_END, str(plan_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        start_new_session=True,
    )


def nvwizard(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nvwizard", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=WAIT_LIMIT_S,
    )


def start_nvwizard(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nvwizard", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )


def read_until(process: subprocess.Popen, wanted: Callable[[str], bool]) -> list[str]:
    """Lines of the process's output up to and including the first wanted one."""
    seen = []
    for line in process.stdout:
        seen.append(line.rstrip("\n"))
        if wanted(seen[-1]):
            return seen
    raise AssertionError("the output ended before the expected line:\n" + "\n".join(seen))
