"""Export the playbook and run it with the real ansible-playbook on local demo hosts.

Each host is `ansible_connection=local` with its own demo machine and its own state and log
folders (NVWIZARD_STATE_DIR, NVWIZARD_LOG_DIR through nvwizard_environment), so they are as
separate as real servers while the play runs on this computer; NVWIZARD_DEMO_SPEED=0 makes
the simulated apt and reboots immediate.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
ANSIBLE_PLAYBOOK = BIN / "ansible-playbook"
ANSIBLE_LINT = BIN / "ansible-lint"
NVWIZARD = BIN / "nvwizard"
PLAYBOOK_TIMEOUT_S = 300


@dataclass
class DemoHost:
    name: str
    demo: str
    environment: dict[str, str] = field(default_factory=dict)  # beside the state and log dirs
    variables: dict[str, object] = field(default_factory=dict)  # more host variables


def state_dir(root: Path, host: str) -> Path:
    return root / host / "state"


def log_dir(root: Path, host: str) -> Path:
    return root / host / "log"


def write_inventory(path: Path, hosts: list[DemoHost], root: Path, **common: object) -> Path:
    """An INI inventory of local demo hosts; `common` variables go to every host."""
    settings = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "nvwizard_become": False,
        "nvwizard_install": False,
        "nvwizard_command": str(NVWIZARD),
        **common,
    }
    settings = {k: v for k, v in settings.items() if v is not None}  # None: the role's default
    lines = ["[demo]"]
    for host in hosts:
        environment = {
            "NVWIZARD_STATE_DIR": str(state_dir(root, host.name)),
            "NVWIZARD_LOG_DIR": str(log_dir(root, host.name)),
            "NVWIZARD_DEMO_SPEED": "0",
            **host.environment,
        }
        variables = {
            **settings,
            "nvwizard_demo": host.demo,
            "nvwizard_environment": environment,
            **host.variables,
        }
        lines.append(" ".join([host.name, *(_ini(k, v) for k, v in variables.items())]))
    path.write_text("\n".join(lines) + "\n")
    return path


def _ini(name: str, value: object) -> str:
    """name=value on a host's line: Ansible reads it back as the Python literal it is."""
    return f"{name}={shlex.quote(repr(value))}"


def ansible_environment() -> dict[str, str]:
    return {
        **os.environ,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "PYTHONWARNINGS": "ignore",
    }


def run_playbook(
    playbook: Path, inventory: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(playbook / "site.yml"), *args],
        capture_output=True,
        text=True,
        cwd=playbook,
        env={**ansible_environment(), **(env or {})},
        timeout=PLAYBOOK_TIMEOUT_S,
    )


def report(playbook: Path, check: bool = False) -> dict[str, dict]:
    """The run's report on the control node: {host: its summary}."""
    name = "nvwizard-report-check.json" if check else "nvwizard-report.json"
    data = json.loads((playbook / name).read_text())
    return {summary["host"]: summary for summary in data["hosts"]}


def demo_state(root: Path, host: str, demo: str) -> Path:
    """Where the host's demo machine lives on (nvwizard/simulator/select.py)."""
    return state_dir(root, host) / "demo-machines" / f"{demo}.json"


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its bytes (nothing when the folder is missing)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def detect(root: Path, host: DemoHost) -> dict:
    """`nvwizard detect --json` on the host's demo machine, as the host left it."""
    env = {
        **os.environ,
        "NVWIZARD_STATE_DIR": str(state_dir(root, host.name)),
        "NVWIZARD_DEMO_SPEED": "0",
    }
    env.pop("NVWIZARD_LOG_DIR", None)
    out = subprocess.run(
        [str(NVWIZARD), "detect", "--json", "--demo", host.demo],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def planned(demo: str, *options: str) -> dict:
    """`nvwizard plan --json` for a demo machine as bundled."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NVWIZARD_")}
    out = subprocess.run(
        [str(NVWIZARD), "plan", "--json", "--demo", demo, *options],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP's counts per host: {"hgx": {"ok": 17, "failed": 0, ...}}."""
    counts = {}
    for line in output.split("PLAY RECAP", 1)[-1].splitlines()[1:]:
        host, _, rest = line.partition(" : ")
        if rest:
            counts[host.strip()] = {
                key: int(value) for key, value in (w.split("=") for w in rest.split())
            }
    return counts
