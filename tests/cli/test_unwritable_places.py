"""A log or state folder nvwizard cannot write: every command says so in one line, exit 2, before
anything runs (no plan printed, no simulation, no folder created, no demo machine changed).

The places: /dev/null (a device), a path under it or under a regular file, and a read-only
mount (in a mount namespace of its own, where this machine allows one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ("NVWIZARD_LOG_DIR", "NVWIZARD_STATE_DIR")
DEMO = "rtx3090-fresh"

COMMANDS = [
    ["detect"],
    ["detect", "--demo", DEMO],
    ["plan", "--demo", DEMO],
    ["install", "--demo", DEMO, "--dry-run"],
    ["install", "--demo", DEMO, "--yes"],
    ["verify", "--demo", DEMO],
    ["status"],
    ["status", "--json"],
    ["logs"],
    ["logs", "-f"],
    ["capture", "CAPTURE"],
]


def nvwizard(args: list[str], env: dict[str, str], prefix: list[str] | None = None):
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "nvwizard", *args],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def environment(tmp_path: Path, setting: str, value: str) -> dict[str, str]:
    """The places in `tmp_path`, one of them replaced by `value`; demos at speed 0."""
    return {
        "NVWIZARD_LOG_DIR": str(tmp_path / "log"),
        "NVWIZARD_STATE_DIR": str(tmp_path / "state"),
        "NVWIZARD_DEMO_SPEED": "0",
        setting: value,
    }


def run_main(args: list[str], capsys) -> tuple[int, str, str]:
    """main() as the shell runs it: (exit code, stdout, stderr)."""
    from nvwizard.cli.main import main

    try:
        code = main(args)
    except SystemExit as leaving:
        code = leaving.code if isinstance(leaving.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("place", ["/dev/null", "/dev/null/sub", "a-file/sub"])
def test_a_place_that_is_no_folder_stops_every_command_in_one_line(
    command, setting, place, tmp_path, monkeypatch, capsys
):
    (tmp_path / "a-file").write_text("a regular file\n")
    value = place if place.startswith("/") else str(tmp_path / place)
    blocking = "/dev/null" if place.startswith("/") else str(tmp_path / "a-file")
    args = [str(tmp_path / "capture") if a == "CAPTURE" else a for a in command]
    for name, folder in environment(tmp_path, setting, value).items():
        monkeypatch.setenv(name, folder)
    before = sorted(p.name for p in tmp_path.iterdir())

    code, out, err = run_main(args, capsys)

    assert code == 2, out[-2000:] + err
    assert out == ""
    assert err == (
        f"nvwizard: {blocking} is not a directory "
        f"(from {setting}={value}: it must name a folder nvwizard can write)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created


def _read_only_mount_prefix(folder: Path) -> list[str] | None:
    """A command prefix that runs the rest in a mount namespace where `folder` is a read-only
    tmpfs; None where this machine allows no such thing."""
    if shutil.which("unshare") is None:
        return None
    script = 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"'
    prefix = ["unshare", "--mount", "--map-root-user", "sh", "-c", script, str(folder)]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, check=False)
    return prefix if probe.returncode == 0 else None


@pytest.mark.parametrize(
    "command",
    [["install", "--demo", DEMO, "--yes"], ["status"], ["detect", "--demo", DEMO]],
    ids=" ".join,
)
@pytest.mark.parametrize("setting", SETTINGS)
def test_a_read_only_mount_stops_every_command_in_one_line(command, setting, tmp_path):
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    prefix = _read_only_mount_prefix(read_only)
    if prefix is None:
        pytest.skip("no mount namespace with a read-only tmpfs here")
    value = str(read_only / "nvwizard")

    done = nvwizard(command, environment(tmp_path, setting, value), prefix)

    assert done.returncode == 2, done.stdout[-2000:] + done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        f"nvwizard: {value} cannot be written: read-only file system "
        f"(from {setting}={value}: it must name a folder nvwizard can write)\n"
    )


def test_a_place_that_can_be_created_is_fine_and_is_not_created_by_a_read_only_command(
    tmp_path,
):
    env = environment(tmp_path, "NVWIZARD_LOG_DIR", str(tmp_path / "deep" / "er" / "log"))
    done = nvwizard(["status"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("No apply has run on this machine yet.")
    assert not (tmp_path / "deep").exists()


def test_a_state_file_that_is_a_directory_is_named_as_that(tmp_path):
    """`install` said "STATE/.state.json.abc123: Is a directory (from NVWIZARD_STATE_DIR=...:
    it must name a folder nvwizard can write)": a temporary file's name, and the folder blamed.
    The folder is fine: state.json in it is a directory."""
    state = tmp_path / "state"
    (state / "state.json").mkdir(parents=True)
    env = {"NVWIZARD_STATE_DIR": str(state), "NVWIZARD_LOG_DIR": str(tmp_path / "log")}
    done = nvwizard(["install", "--demo", DEMO, "--yes"], env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"nvwizard: {state / 'state.json'} is a directory, not a file: move it away, then run "
        "the command again"
    ]
    assert sorted(p.name for p in state.iterdir() if p.name.startswith(".state.json")) == []
