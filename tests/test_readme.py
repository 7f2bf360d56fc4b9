"""The README stays in step with the code: Quick start, commands, bundle files, JSON keys."""

import re
from pathlib import Path

from nvwizard.cli.main import build_parser
from nvwizard.errors import EXIT_CODE_MEANINGS
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
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    keys = build_report(demo_host("hgx-h100")).to_json().keys()
    table = _section("Commands")
    for key in keys:
        assert f"`{key}`" in table, key


def test_every_key_of_detect_jsons_objects_is_documented_in_its_row():
    """The keys inside `stack_offers`, `nvidia_smi`, ... too: a script reads them."""
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    rows = {
        key: content
        for keys, content in re.findall(r"^\| (`[^|]*) \| (.*) \|$", _section("Commands"), re.M)
        for key in re.findall(r"`([a-z_]+)`", keys)
    }
    for demo in ("hgx-h100", "debian12-t4", "rtx3090-fresh"):
        for key, value in build_report(demo_host(demo)).to_json().items():
            for item in value if isinstance(value, list) else [value]:
                for inner in item if isinstance(item, dict) else {}:
                    assert re.search(rf"\b{inner}\b", rows[key]), (demo, key, inner)


def _public_commands() -> dict:
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    return {name: p for name, p in subparsers.choices.items() if not name.startswith("_")}


def test_every_option_of_every_command_is_documented():
    commands = _section("Commands")
    for name, parser in _public_commands().items():
        for action in parser._actions:
            written = [o.replace("--no-", "--[no-]") for o in action.option_strings]
            written += [o.replace("--", "--[no-]", 1) for o in action.option_strings]
            if action.option_strings and "-h" not in action.option_strings:
                assert any(o in commands for o in written), (name, action.option_strings)


def test_the_exit_code_table_is_what_the_code_returns():
    table = re.search(r"^### Exit codes\n\n(.*?)\n\n", README, re.S | re.M).group(1)
    rows = re.findall(r"^\| (\d+) \| (.*) \|$", table, re.M)
    assert [(int(code), meaning) for code, meaning in rows] == list(EXIT_CODE_MEANINGS)


def test_help_prints_the_same_exit_codes():
    helps = [build_parser().format_help()]
    helps += [_public_commands()[name].format_help() for name in ("plan", "install")]
    for text in helps:
        flat = " ".join(text.split())
        for code, meaning in EXIT_CODE_MEANINGS:
            assert f"{code} {meaning}" in flat


def _finding_ids_in_code() -> set[str]:
    """The ids the findings are made with: `Finding("id", ...)`, and the kernel log's table
    of Xid findings (`("gpu-hardware-errors", "warn", ...)`)."""
    package = Path(__file__).parent.parent / "nvwizard"
    ids: set[str] = set()
    for path in package.rglob("*.py"):
        ids |= set(re.findall(r'Finding\(\s*"([a-z0-9-]+)"', path.read_text()))
    kernel_log = (package / "report" / "findings" / "kernel_log.py").read_text()
    ids |= set(re.findall(r'\(\s*"([a-z0-9-]+)",\s*"(?:info|warn|block)"', kernel_log))
    return ids


def test_the_readme_lists_every_finding_id_and_no_other():
    """A script matches on these ids: each one made must be documented, none invented."""
    listed = README[README.index("**Findings** each have") : README.index("**Driver candidates**")]
    documented = set(re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", listed))
    code = _finding_ids_in_code()
    assert len(code) >= 40
    assert documented == code, (sorted(documented - code), sorted(code - documented))


def test_the_findings_table_in_the_code_lists_every_finding_id():
    """findings/__init__.py's table, the index a developer reads, names each id once."""
    from nvwizard.report import findings

    rows = re.findall(r"^\| ([a-z0-9]+(?:-[a-z0-9]+)+) \|", findings.__doc__ or "", re.M)
    assert sorted(rows) == sorted(_finding_ids_in_code())


def _key_table_after(line: str) -> set[str]:
    """The keys of the README's `| key | content |` table that follows `line`."""
    after = README[README.index(line) :]
    table = re.search(r"^\| key \| content \|\n\| --- \| --- \|\n((?:\|.*\n)+)", after, re.M)
    assert table, line
    return {
        key
        for keys in re.findall(r"^\| ([^|]*) \|", table.group(1), re.M)
        for key in re.findall(r"`([a-z_]+)`", keys)
    }


def test_the_install_json_table_is_every_key_install_json_prints():
    from nvwizard.cli.install_cmd import InstallResult

    printed = InstallResult(exit_code=0, host="demo hgx-h100", driver="d").to_json().keys()
    assert _key_table_after("`install --json` is for scripts") == set(printed)


def test_the_plan_and_install_synopsis_has_every_option_their_help_has():
    synopsis = re.search(r"```\n(nvwizard plan .*?)```", README, re.S).group(1)
    commands = _public_commands()
    for name in ("plan", "install"):
        for action in commands[name]._actions:
            if not action.option_strings or "-h" in action.option_strings:
                continue
            written = {o.replace("--no-", "--[no-]") for o in action.option_strings}
            written |= {o.replace("--", "--[no-]", 1) for o in action.option_strings}
            assert any(o in synopsis for o in written), (name, action.option_strings)


def test_each_commands_row_has_every_option_of_its_command():
    """The Commands table's row of a command shows its options (in either spelling)."""
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r"^\| `nvwizard (\w+).*$", _section("Commands"), re.M)
    }
    for name in ("detect", "activate", "reboot", "verify", "status", "logs", "capture"):
        for action in _public_commands()[name]._actions:
            spelled = [o for o in action.option_strings if o not in ("-h", "--help")]
            if spelled and action.dest not in (
                "machine",
                "demo",
                "command_machine",
                "command_demo",
            ):
                assert any(f"[{o}" in rows[name] for o in spelled), (name, spelled)
