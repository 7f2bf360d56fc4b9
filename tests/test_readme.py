"""The README stays in step with the code: Quick start, commands, bundle files, JSON keys."""

import re
from pathlib import Path

from nvwizard.cli.main import build_parser
from nvwizard.host.demo import DEMOS
from nvwizard.host.sources import SOURCES

README = (Path(__file__).parent.parent / "README.md").read_text()


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def test_quick_start_is_exactly_two_commands_demo_then_tests():
    block = re.search(r"```sh\n(.*?)```", _section("Quick start"), re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("nvwizard --demo")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    block = re.search(r"```sh\n(.*?)```", _section("Quick start"), re.S).group(1)
    test_command = block.strip().splitlines()[1].strip()
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert test_command in ci


def test_every_subcommand_is_documented():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    public = [name for name in subparsers.choices if not name.startswith("_")]
    assert len(public) >= 7
    for name in public:
        assert f"`nvwizard {name}" in README, name


def test_every_bundle_file_and_demo_is_documented():
    for source in SOURCES:
        assert f"`{source.name}`" in README, source.name
    for demo in DEMOS:
        assert f"`{demo.name}`" in README, demo.name


def test_every_detect_json_key_is_documented():
    from nvwizard.host.demo import demo_host
    from nvwizard.report.build import build_report

    keys = build_report(demo_host("hgx-h100")).to_json().keys()
    table = _section("Commands")
    for key in keys:
        assert f"`{key}`" in table, key
