"""inventory.demo.ini runs the nvwizard that wrote it, by its absolute path, so the demo run
works however that nvwizard was started: the README's `.venv/bin/nvwizard` with the virtual
environment not on PATH, or `python -m nvwizard`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.run import REPO_ROOT
from tests.export.playbook import BIN, NVWIZARD, report, run_playbook


def _export(command: list[str], folder: Path) -> None:
    subprocess.run(
        [*command, "export", "ansible", str(folder)],
        check=True,
        capture_output=True,
        cwd=REPO_ROOT,
        env=_without_this_venv_on_path(),
        timeout=120,
    )


def _without_this_venv_on_path() -> dict[str, str]:
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != BIN]
    return {**os.environ, "PATH": os.pathsep.join(path)}


def _host_variables(inventory: Path, host: str) -> dict:
    """The variables the real ansible-inventory gives `host`."""
    shown = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(inventory), "--host", host],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(shown.stdout)


def _run_the_demo_vm(folder: Path, tmp_path: Path) -> dict:
    """The demo inventory's VM (planning it runs nvwizard's detect), with its state in
    tmp_path rather than the inventory's /tmp/nvwizard-demo, and the venv not on PATH."""
    environment = {
        "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        "NVWIZARD_LOG_DIR": str(tmp_path / "log"),
        "NVWIZARD_DEMO_SPEED": "0",
    }
    run = run_playbook(
        folder,
        folder / "inventory.demo.ini",
        "--limit",
        "demo-vm",
        "-e",
        json.dumps({"nvwizard_environment": environment}),
        env={"PATH": _without_this_venv_on_path()["PATH"]},
    )
    assert run.returncode == 0, run.stdout[-3000:]
    return report(folder)["demo-vm"]


def test_exported_by_the_venvs_script_the_demo_hosts_run_that_script(tmp_path):
    folder = tmp_path / "rollout"
    script = os.path.relpath(NVWIZARD, REPO_ROOT)  # .venv/bin/nvwizard, as the README runs it
    _export([script], folder)

    inventory = folder / "inventory.demo.ini"
    assert _host_variables(inventory, "demo-hgx")["nvwizard_command"] == str(NVWIZARD)
    assert f"{NVWIZARD}" in inventory.read_text().split("[demo]")[0]  # the comment says which
    vm = _run_the_demo_vm(folder, tmp_path)
    assert vm["outcome"] == "skipped", vm


def test_exported_by_python_m_the_demo_hosts_run_python_m(tmp_path):
    folder = tmp_path / "rollout"
    _export([sys.executable, "-m", "nvwizard"], folder)

    inventory = folder / "inventory.demo.ini"
    command = [sys.executable, "-m", "nvwizard"]
    assert _host_variables(inventory, "demo-vm")["nvwizard_command"] == command
    assert " ".join(command) in inventory.read_text().split("[demo]")[0]
    vm = _run_the_demo_vm(folder, tmp_path)
    assert vm["outcome"] == "skipped", vm


def test_run_in_process_by_another_program_it_names_the_script_beside_this_python():
    from nvwizard.export.ansible import exporting_command

    assert exporting_command(str(BIN / "pytest")) == [str(NVWIZARD)]
    assert exporting_command("/somewhere/pytest/__main__.py") == [str(NVWIZARD)]
    python_m = str(Path(__file__).parents[2] / "nvwizard" / "__main__.py")
    assert exporting_command(python_m) == [sys.executable, "-m", "nvwizard"]
