"""A machine option means the same wherever it is written, and never falls back to this machine.

`nvwizard --demo NAME COMMAND` once dropped the option and acted on the real machine. Every
command is driven here with the option before it, after it, and in both places; commands that
take a machine must get exactly that machine, the others must refuse in one line (exit 2).
The command list comes from the parser, so a new command is covered without editing this file.
"""

from __future__ import annotations

import argparse
import json

import pytest

from nvwizard.cli import commands
from nvwizard.cli.main import build_parser, main
from nvwizard.host import local
from nvwizard.simulator import select
from tests.cli.run import nvwizard


class HostChosen(Exception):
    """Raised instead of building a host: the (machine, demo) the command asked for."""

    def __init__(self, machine: str | None, demo: str | None):
        super().__init__(machine, demo)
        self.machine, self.demo = machine, demo


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if a.dest == "command")
    return dict(action.choices)


def _takes_a_machine(name: str) -> bool:
    return any("--machine" in a.option_strings for a in _subparsers()[name]._actions)


def _required_arguments(name: str, value: str) -> list[str]:
    """Values for the command's required arguments, so that it parses (the first of an
    argument's choices where it has them, e.g. `export ansible`)."""
    argv: list[str] = []
    for action in _subparsers()[name]._actions:
        given = str(next(iter(action.choices))) if action.choices else value
        if not action.option_strings:
            argv.append(given)
        elif action.required:
            argv += [action.option_strings[0], given]
    return argv


COMMAND_NAMES = [name for name, _module in commands.COMMANDS]
WITH_MACHINE = [name for name in COMMAND_NAMES if _takes_a_machine(name)]
WITHOUT_MACHINE = [name for name in COMMAND_NAMES if not _takes_a_machine(name)]


@pytest.fixture
def chosen(monkeypatch, places):
    """Record the host a command asks for; building the real machine's host fails the test."""

    def record(machine, demo):
        raise HostChosen(machine, demo)

    def real_machine(*_args, **_kwargs):
        raise AssertionError("a command built this machine's host")

    monkeypatch.setattr(select, "host_from_args", record)  # the wizard's too (wizard_cmd)
    monkeypatch.setattr(local.LocalHost, "__init__", real_machine)


def _host_asked_for(argv: list[str]) -> tuple[str | None, str | None]:
    with pytest.raises(HostChosen) as asked:
        main(argv)
    return asked.value.machine, asked.value.demo


def test_the_split_is_what_we_expect():
    assert {"detect", "plan", "install", "verify"} <= set(WITH_MACHINE)
    assert {"capture", "status", "logs", "export", "_apply-worker"} <= set(WITHOUT_MACHINE)


@pytest.mark.parametrize("name", WITH_MACHINE)
@pytest.mark.parametrize(
    "before, after, expected",
    [
        (["--demo", "gtx1080-secureboot"], [], (None, "gtx1080-secureboot")),
        (["--demo=gtx1080-secureboot"], [], (None, "gtx1080-secureboot")),
        (["--demo"], [], (None, "")),
        (["--machine", "BUNDLE"], [], ("BUNDLE", None)),
        ([], ["--demo", "gtx1080-secureboot"], (None, "gtx1080-secureboot")),
        ([], ["--machine", "BUNDLE"], ("BUNDLE", None)),
        (["--demo", "vm-no-gpu"], ["--demo", "vm-no-gpu"], (None, "vm-no-gpu")),
        (["--demo"], ["--demo", "hgx-h100"], (None, "hgx-h100")),
        (["--machine", "BUNDLE"], ["--machine", "BUNDLE/"], ("BUNDLE", None)),
    ],
)
def test_a_command_with_a_machine_gets_it_wherever_written(
    name, before, after, expected, chosen, tmp_path
):
    bundle = str(tmp_path / "bundle")

    def place(words: list[str]) -> list[str]:
        return [w.replace("BUNDLE", bundle) for w in words]

    argv = [*place(before), name, *_required_arguments(name, "x"), *place(after)]
    machine, demo = _host_asked_for(argv)
    expected_machine = expected[0] and bundle
    assert (machine and machine.rstrip("/"), demo) == (expected_machine, expected[1])


@pytest.mark.parametrize("name", WITH_MACHINE)
@pytest.mark.parametrize(
    "before, after",
    [
        (["--demo", "hgx-h100"], ["--demo", "vm-no-gpu"]),
        (["--demo"], ["--demo", "vm-no-gpu"]),
        (["--machine", "/a"], ["--demo", "hgx-h100"]),
        (["--demo", "hgx-h100"], ["--machine", "/a"]),
        (["--machine", "/a"], ["--machine", "/b"]),
    ],
)
def test_conflicting_machines_are_a_usage_error(name, before, after, chosen, capsys):
    with pytest.raises(SystemExit) as leaving:
        main([*before, name, *_required_arguments(name, "x"), *after])
    assert leaving.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("nvwizard: ") and "conflict" in err


@pytest.mark.parametrize("name", WITHOUT_MACHINE)
@pytest.mark.parametrize(
    "option", [["--demo", "hgx-h100"], ["--demo"], ["--machine", "/a"], ["--demo=hgx-h100"]]
)
def test_a_command_without_a_machine_refuses_one(name, option, chosen, capsys, tmp_path):
    argv = [*option, name, *_required_arguments(name, str(tmp_path / "arg"))]
    with pytest.raises(SystemExit) as leaving:
        main(argv)
    assert leaving.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"nvwizard: {option[0].split('=')[0]}")
    assert f"cannot be used with `nvwizard {name}`: " in err
    assert not (tmp_path / "arg").exists()


@pytest.mark.parametrize("value", ["", "  "])
@pytest.mark.parametrize("form", ["before", "after", "before=", "after="])
@pytest.mark.parametrize("name", [*WITH_MACHINE, None])
def test_an_empty_demo_name_is_a_usage_error_not_the_default_demo(
    name, form, value, chosen, capsys, tmp_path
):
    """`--demo "$NAME"` with the variable unset must not quietly mean the default demo."""
    if name is None and form.startswith("after"):
        pytest.skip("the wizard has no command to write it after")
    option = [f"--demo={value}"] if form.endswith("=") else ["--demo", value]
    command = [name, *_required_arguments(name, str(tmp_path / "arg"))] if name else []
    argv = [*option, *command] if form.startswith("before") else [*command, *option]
    with pytest.raises(SystemExit) as leaving:
        main(argv)
    assert leaving.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("nvwizard: --demo: an empty demo name (is a shell variable unset?) (see")
    assert err.count("\n") == 1, err


@pytest.mark.parametrize("argv", [["--demo", "gtx1080-secureboot"], ["--demo"], ["--machine", "B"]])
def test_the_wizard_gets_the_machine_too(argv, chosen):
    assert _host_asked_for(argv) == (
        ("B", None) if argv[0] == "--machine" else (None, argv[1] if len(argv) > 1 else "")
    )


# -- end to end, as a user types it -----------------------------------------------------------


def test_detect_after_a_demo_option_reads_the_demo(places):
    result = nvwizard("--demo", "gtx1080-secureboot", "detect", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["source"] == "demo gtx1080-secureboot"


def test_a_bare_demo_before_the_command_is_the_default_demo(places):
    result = nvwizard("--demo", "detect")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Machine: demo hgx-h100\n")


def test_plan_and_install_dry_run_after_a_demo_option_plan_for_the_demo(places):
    for argv in (["plan"], ["install", "--dry-run"]):
        result = nvwizard("--demo", "rtx3090-fresh", *argv)
        assert result.returncode == 0, result.stderr
        assert "Plan for demo rtx3090-fresh" in result.stdout
        assert "this machine" not in result.stdout


def test_verify_after_a_machine_option_verifies_the_bundle(places, tmp_path):
    from nvwizard.host.demo import find_demo

    bundle = find_demo("hgx-h100").path
    result = nvwizard("--machine", str(bundle), "verify", "--json")
    assert json.loads(result.stdout)["host"] == f"bundle {bundle}"


def test_status_after_a_demo_option_refuses(places):
    result = nvwizard("--demo", "hgx-h100", "status")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "nvwizard: --demo hgx-h100 cannot be used with `nvwizard status`"
    )


def test_list_demos_refuses_a_machine_it_would_ignore(capsys):
    assert main(["--demo", "hgx-h100", "detect", "--list-demos"]) == 2
    assert "--list-demos" in capsys.readouterr().err


def test_export_says_why_it_takes_no_machine(places, tmp_path):
    """A playbook is planned on each host when it runs: a demo is chosen per host there."""
    folder = tmp_path / "playbook"
    result = nvwizard("--demo", "hgx-h100", "export", "ansible", str(folder))
    assert result.returncode == 2
    assert result.stderr.startswith(
        "nvwizard: --demo hgx-h100 cannot be used with `nvwizard export`: "
    )
    assert "nvwizard_demo" in result.stderr
    assert not folder.exists()


@pytest.mark.parametrize("name", WITHOUT_MACHINE)
@pytest.mark.parametrize(
    "option", [["--demo", "hgx-h100"], ["--machine", "/a"], ["--demo=hgx-h100"]]
)
def test_a_command_without_a_machine_refuses_one_written_after_it_the_same_way(
    name, option, chosen, capsys, tmp_path
):
    """`nvwizard status --demo X` said "unrecognized arguments", `nvwizard --demo X status`
    why the command takes no machine: both say the latter."""
    argv = [name, *_required_arguments(name, str(tmp_path / "arg")), *option]
    with pytest.raises(SystemExit) as leaving:
        main(argv)
    assert leaving.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"nvwizard: {' '.join(option)} cannot be used with `nvwizard {name}`: ")
    assert "unrecognized" not in err
    assert not (tmp_path / "arg").exists()
