"""The wizard's own arguments are parsed without importing any subcommand module."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from nvwizard.cli import commands
from nvwizard.cli.main import build_parser, parse_args

LOADED_COMMANDS = (
    "import sys; from nvwizard.cli.main import parse_args; args = parse_args({argv!r}); "
    "print(args.command, sorted(m for m in sys.modules if m.endswith('_cmd')))"
)


def parsed_in_a_fresh_interpreter(argv: list[str]) -> str:
    code = LOADED_COMMANDS.format(argv=argv)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.parametrize("argv", [[], ["--demo"], ["--demo", "hgx-h100"], ["--machine", "/x"]])
def test_wizard_arguments_import_no_subcommand(argv):
    assert parsed_in_a_fresh_interpreter(argv) == "None []"


def test_a_command_imports_the_subcommands():
    command, loaded = parsed_in_a_fresh_interpreter(["detect", "--json"]).split(" ", 1)
    assert command == "detect" and "nvwizard.cli.detect_cmd" in loaded


def test_wizard_arguments_mean_the_same_as_with_every_command():
    for argv in ([], ["--demo"], ["--demo", "gtx1080-secureboot"], ["--machine", "/x"]):
        assert vars(parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_a_mistyped_command_is_reported_by_the_full_parser(capsys):
    with pytest.raises(SystemExit) as leaving:
        parse_args(["detcet"])
    assert leaving.value.code == 2
    assert "invalid choice: 'detcet'" in capsys.readouterr().err


def test_a_missing_option_value_is_reported_by_the_full_parser_in_one_line(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--machine"])
    assert capsys.readouterr().err == (
        "nvwizard: --machine: expected one argument (see `nvwizard --help`)\n"
    )


def test_the_command_list_names_what_the_modules_register():
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(subparsers.choices) == commands.COMMAND_NAMES


DETECT_LOADS = (
    "import contextlib, io, sys; from nvwizard.cli.main import main\n"
    "with contextlib.redirect_stdout(io.StringIO()): code = main({argv!r})\n"
    "print(code, sorted(m for m in sys.modules if m.startswith(('nvwizard.', 'textual'))))"
)


@pytest.mark.parametrize(
    "argv", [["detect", "--demo", "--json"], ["--demo", "gtx1080-secureboot", "detect"]]
)
def test_detect_imports_neither_the_plan_nor_the_engine(argv):
    """Detection is read-only: the plan, the engine (but its folder settings, checked before
    every command), the exporter and the other commands stay unloaded (~30 ms of start-up)."""
    code = DETECT_LOADS.format(argv=argv)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    exit_code, loaded = out.split(" ", 1)
    assert exit_code == "0"
    modules = ast.literal_eval(loaded)
    assert "nvwizard.report.build" in modules
    heavy = [
        m
        for m in modules
        if m.startswith(("nvwizard.plan", "nvwizard.export", "nvwizard.tui", "textual"))
        or (m.startswith("nvwizard.engine.") and m != "nvwizard.engine.paths")
        or (m.endswith("_cmd") and m != "nvwizard.cli.detect_cmd")
    ]
    assert heavy == []


def test_the_wizard_s_start_up_loads_no_command_running_host_code():
    """The wizard builds a demo's state in wizard_cmd: the simulator it imports answers
    detection's apt query with the query's pure text (host/apt_show_query.py), not with the
    code that runs commands on this machine (~3.5 ms, loaded only for this machine's host)."""
    code = (
        "import sys, nvwizard.cli.wizard_cmd as w; w.wizard_state(None, 'hgx-h100'); "
        "print(sorted(sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    modules = ast.literal_eval(out)
    assert "nvwizard.simulator.machine" in modules and "nvwizard.host.apt_show_query" in modules
    running = {
        "nvwizard.host.package_queries",
        "nvwizard.host.reading",
        "nvwizard.host.system_files",
        "nvwizard.host.local",
        "nvwizard.host.local_command",
    }
    assert running & set(modules) == set()
