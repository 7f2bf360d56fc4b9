"""Bad input gets one clear line and the documented exit code; nothing echoes a flood."""

from __future__ import annotations

import os

import pytest

from nvwizard.cli.main import main
from nvwizard.host.demo import find_demo

LONG = "a" * 5000


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """main() as the shell runs it: (exit code, stdout, stderr)."""
    try:
        code = main(argv)
    except SystemExit as leaving:
        code = leaving.code if isinstance(leaving.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def last_line(err: str) -> str:
    lines = err.strip().splitlines()
    return lines[-1] if lines else ""


# -- empty and padded names (an unset shell variable) -----------------------------------------


@pytest.mark.parametrize("command", [["plan"], ["install", "--yes"], ["install", "--dry-run"]])
@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_an_empty_driver_is_a_usage_error_not_the_recommended_one(command, value, capsys, places):
    code, out, err = run([*command, "--demo", "--driver", value], capsys)
    assert code == 2 and out == ""
    assert "--driver: an empty package name" in last_line(err)


@pytest.mark.parametrize("option", ["--keep", "--also-purge"])
def test_an_empty_package_to_keep_or_purge_is_a_usage_error(option, capsys):
    code, out, err = run(["plan", "--demo", option, ""], capsys)
    assert (code, out) == (2, "") and "an empty package name" in err


def test_a_padded_driver_is_refused_and_the_message_says_it_is_not_trimmed(capsys):
    code, out, err = run(["plan", "--demo", "--driver", " nvidia-driver-580-server "], capsys)
    assert (code, out) == (2, "")
    assert err == (
        "nvwizard: --driver: ' nvidia-driver-580-server ': spaces around the package name "
        "(it is not trimmed: did you mean 'nvidia-driver-580-server'?) "
        "(see `nvwizard plan --help`)\n"
    )


def test_a_driver_with_a_newline_stays_one_line(capsys):
    code, _out, err = run(["plan", "--demo", "--driver", "nvidia-driver-580\nrm -rf /"], capsys)
    assert code == 2
    assert "\\n" in last_line(err) and err.count("\n") == len(err.strip().splitlines())
    assert "rm -rf /'" in last_line(err)


@pytest.mark.parametrize("argv", [["capture", ""], ["detect", "--machine", ""], ["--machine", ""]])
def test_an_empty_folder_is_a_usage_error(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert "an empty folder name" in last_line(err)
    assert os.listdir(tmp_path) == []


# -- nothing echoes a 5000-character argument --------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--demo", "--driver", LONG],
        ["install", "--demo", "--dry-run", "--driver", f"nvidia-driver-{LONG}"],
        ["detect", "--demo", LONG],
        ["detect", "--machine", f"/{LONG}"],
        [LONG],
        ["detect", "--bogus", LONG],
    ],
)
def test_a_5000_character_argument_is_not_echoed_in_full(argv, capsys, places):
    code, _out, err = run(argv, capsys)
    assert code == 2
    assert len(last_line(err)) < 600, last_line(err)[:200]
    assert "characters)" in last_line(err)


# -- messages that said the wrong thing -------------------------------------------------------


def test_the_hidden_worker_command_is_not_offered(capsys):
    code, _out, err = run(["detcet"], capsys)
    assert code == 2
    assert "invalid choice: 'detcet' (choose from 'detect', 'capture'," in err
    assert "_apply-worker" not in err


@pytest.mark.parametrize("setting", ["NVWIZARD_LOG_DIR", "NVWIZARD_STATE_DIR"])
@pytest.mark.parametrize("value", ["/dev/null", "/dev/null/sub"])
def test_a_place_that_is_a_file_is_called_not_a_directory(
    setting, value, capsys, places, monkeypatch
):
    monkeypatch.setenv(setting, value)
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    code, _out, err = run(["install", "--demo", "rtx3090-fresh", "--yes"], capsys)
    assert code == 2
    assert last_line(err) == (
        f"nvwizard: /dev/null is not a directory "
        f"(from {setting}={value}: it must name a folder nvwizard can write)"
    )
    assert "File exists" not in err


def test_a_bundle_of_unreadable_files_is_not_called_empty(tmp_path, capsys):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "dpkg-l.txt").mkdir()  # unreadable as a file, even by root
    (bundle / "lspci-nn.txt").symlink_to(tmp_path / "gone")
    code, _out, err = run(["detect", "--machine", str(bundle)], capsys)
    assert code == 2
    assert last_line(err) == (
        f"nvwizard: --machine {bundle}: its bundle files cannot be read "
        "(dpkg-l.txt: not a regular file, lspci-nn.txt: not a regular file)"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_bundle_without_read_permission_says_so(tmp_path, capsys):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "dpkg-l.txt").write_text("ii  nvidia-driver-535  535.1  amd64  x\n")
    (bundle / "dpkg-l.txt").chmod(0)
    code, _out, err = run(["detect", "--machine", str(bundle)], capsys)
    assert code == 2 and "dpkg-l.txt: Permission denied" in err


def test_a_bundle_with_one_readable_file_is_read(tmp_path, capsys):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "dpkg-l.txt").mkdir()
    (bundle / "uname-r.txt").write_text((find_demo("hgx-h100").path / "uname-r.txt").read_text())
    code, out, _err = run(["detect", "--machine", str(bundle)], capsys)
    assert code == 0 and out.startswith(f"Machine: bundle {bundle}\n")


# -- argparse's own errors --------------------------------------------------------------------

PUBLIC_COMMANDS = ["detect", "capture", "plan", "install", "activate", "status", "logs"]
PUBLIC_COMMANDS += ["verify", "export"]


@pytest.mark.parametrize("command", PUBLIC_COMMANDS)
def test_an_unknown_option_is_one_nvwizard_line_pointing_at_the_commands_help(
    command, capsys, tmp_path
):
    required = {"capture": [str(tmp_path / "b")], "export": ["ansible", str(tmp_path / "p")]}
    code, out, err = run([command, *required.get(command, []), "--bogus"], capsys)
    assert (code, out) == (2, "")
    assert err == f"nvwizard: unrecognized arguments: --bogus (see `nvwizard {command} --help`)\n"


@pytest.mark.parametrize(
    "argv, said, command",
    [
        (["plan", "--driver"], "--driver: expected one argument", "plan"),
        (
            ["export", "salt", "/tmp/p"],
            "FORMAT: invalid choice: 'salt' (choose from 'ansible')",
            "export",
        ),
        (["--bogus"], "unrecognized arguments: --bogus", None),
        (
            ["plan", "--headless", "--desktop"],
            "--desktop: not allowed with argument --headless",
            "plan",
        ),
    ],
)
def test_argparse_errors_are_one_line_in_nvwizards_form(argv, said, command, capsys):
    code, out, err = run(argv, capsys)
    helped = f"nvwizard {command}" if command else "nvwizard"
    assert (code, out, err) == (2, "", f"nvwizard: {said} (see `{helped} --help`)\n")


def test_the_top_level_help_names_debian_too(capsys):
    """Debian 12 and 13 are handled (README: Debian); the help said "an Ubuntu server"."""
    with pytest.raises(SystemExit) as leaving:
        main(["--help"])
    assert leaving.value.code == 0
    description = " ".join(capsys.readouterr().out.split())
    assert "on an Ubuntu or Debian server" in description
