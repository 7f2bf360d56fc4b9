"""A single-value option given twice with different values is a usage error, for every command:
argparse would keep the last and drop the first without a word (GUIDE: no option is ever
silently ignored). The same value twice is harmless; options meant to repeat still repeat."""

from __future__ import annotations

import argparse

import pytest

from nvwizard.cli.main import build_parser
from nvwizard.cli.single_value import GIVEN
from tests.cli.test_cli_messages import run


def _every_parser() -> list[tuple[str, argparse.ArgumentParser]]:
    top = build_parser()
    commands = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return [("nvwizard", top), *((f"nvwizard {n}", p) for n, p in commands.choices.items())]


REPEATABLE = (argparse._AppendAction, argparse._HelpAction, argparse._VersionAction)


@pytest.mark.parametrize("prog, parser", _every_parser(), ids=lambda v: str(v))
def test_every_option_of_every_command_holds_one_value_or_is_meant_to_repeat(prog, parser):
    for action in parser._actions:
        if not action.option_strings:
            continue
        refuses_a_second = type(action).__module__ == "nvwizard.cli.single_value"
        assert refuses_a_second or isinstance(action, REPEATABLE), (prog, action.option_strings)


@pytest.mark.parametrize(
    "argv, said",
    [
        (
            ["plan", "--demo", "rtx3090-fresh", "--driver", "nvidia-driver-580", "--driver",
             "nvidia-driver-570"],
            "nvwizard: --driver given twice (nvidia-driver-580, then nvidia-driver-570): "
            "give it once (see `nvwizard plan --help`)",
        ),
        (
            ["plan", "--demo", "rtx3090-fresh", "--cuda", "12.8", "--cuda", "13.0"],
            "nvwizard: --cuda given twice (12.8, then 13.0): give it once "
            "(see `nvwizard plan --help`)",
        ),
        (
            ["install", "--demo", "rtx3090-fresh", "--yes", "--lock-timeout", "300",
             "--lock-timeout", "10"],
            "nvwizard: --lock-timeout given twice (300, then 10): give it once "
            "(see `nvwizard install --help`)",
        ),
        (
            ["plan", "--demo", "debian13-l4", "--persistenced", "--no-persistenced"],
            "nvwizard: --persistenced and --no-persistenced both given: give one of them "
            "(see `nvwizard plan --help`)",
        ),
        (
            ["detect", "--demo", "hgx-h100", "--demo", "debian12-t4"],
            "nvwizard: --demo given twice (hgx-h100, then debian12-t4): give it once "
            "(see `nvwizard detect --help`)",
        ),
        (
            ["--demo", "hgx-h100", "--demo", "debian12-t4"],
            "nvwizard: --demo given twice (hgx-h100, then debian12-t4): give it once "
            "(see `nvwizard --help`)",
        ),
        (
            ["verify", "--machine", "/a", "--machine", "/b"],
            "nvwizard: --machine given twice (/a, then /b): give it once "
            "(see `nvwizard verify --help`)",
        ),
        (
            ["export", "ansible", "/nonexistent/p", "--cuda", "12.8", "--cuda", "latest"],
            "nvwizard: --cuda given twice (12.8, then latest): give it once "
            "(see `nvwizard export --help`)",
        ),
    ],
)  # fmt: skip
def test_two_different_values_are_a_usage_error_naming_the_option(argv, said, capsys, places):
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert err == said + "\n"


def test_the_same_value_twice_is_no_conflict(capsys, places):
    twice = ["--demo", "rtx3090-fresh", "--driver", "nvidia-driver-580", "--json"] * 2
    code, out, _err = run(["plan", *twice, "--cuda", "12.8", "--cuda", "12.8"], capsys)
    assert code == 0
    assert '"driver": "nvidia-driver-580"' in out


def test_options_meant_to_repeat_still_collect_every_value():
    args = build_parser().parse_args(
        ["plan", "--keep", "nvidia-utils-580", "--keep", "libnvidia-cfg1-580", "--also-purge",
         "nvidia-container-toolkit", "--also-purge", "nvidia-docker2"]
    )  # fmt: skip
    assert args.keep == ["nvidia-utils-580", "libnvidia-cfg1-580"]
    assert args.also_purge == ["nvidia-container-toolkit", "nvidia-docker2"]


def test_no_command_sees_what_the_parser_remembered():
    for argv in (["plan", "--driver", "nvidia-driver-580"], ["--demo"], []):
        assert not hasattr(build_parser().parse_args(argv), GIVEN)
