"""Control characters from machine data (a stranger's bundle) reach the terminal escaped:
shown as `\\x1b`, never obeyed (cli/terminal_text.py, wrapped around every command)."""

from __future__ import annotations

import io
import json
import shutil

import pytest

from nvwizard.cli.terminal_text import EscapingStream
from nvwizard.errors import escape_controls
from nvwizard.host.demo import DEMO_ROOT
from tests.cli.run import nvwizard

CONTROL_BYTES = {chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}


def test_every_c0_and_c1_control_but_newline_and_tab_is_escaped():
    for char in CONTROL_BYTES:
        escaped = escape_controls(f"a{char}b")
        assert not set(escaped) & CONTROL_BYTES
        assert escaped == f"a{repr(char)[1:-1]}b"
    assert escape_controls("\x1b[2J") == "\\x1b[2J"
    assert escape_controls("one\ttwo\nthree") == "one\ttwo\nthree"
    assert escape_controls("ok \u202eevil") == "ok \\u202eevil"  # reorders what follows
    assert (
        escape_controls("Ubuntu 24.04 — Grüße, 日本, \ufffd")
        == "Ubuntu 24.04 — Grüße, 日本, \ufffd"
    )


def test_the_stream_escapes_and_hands_the_rest_to_the_stream_it_wraps():
    out = io.StringIO()
    stream = EscapingStream(out)
    print("\x1b[31mred\x1b[0m", file=stream, flush=True)
    assert out.getvalue() == "\\x1b[31mred\\x1b[0m\n"
    assert stream.isatty() is False


@pytest.fixture
def hostile_bundle(tmp_path):
    bundle = shutil.copytree(DEMO_ROOT / "nvml-mismatch", tmp_path / "bundle")
    (bundle / "nvidia-smi.txt").write_bytes(  # \xc2\x9b: the 8-bit CSI (C1), in UTF-8
        b"Failed to initialize NVML: \x1b[2J\x1b[31mALL GOOD\x1b[0m\x07\xc2\x9b31m\n"
    )
    release = (bundle / "os-release.txt").read_text()
    (bundle / "os-release.txt").write_text(
        "\n".join(
            'PRETTY_NAME="Ubuntu \x1b]0;owned\x07 \u202eLTS"' if line.startswith("PRETTY_NAME=")
            else line
            for line in release.splitlines()
        ) + "\n"
    )  # fmt: skip
    (bundle / "dpkg-l.txt").write_bytes(
        (bundle / "dpkg-l.txt").read_bytes()
        + b"ii  junk\x1b[1A\x1b[2K\r\x08\xff\xfe  1.0  amd64  x\n"
    )
    return bundle


@pytest.mark.parametrize("command", ["detect", "verify"])
def test_control_sequences_in_a_bundle_are_shown_not_sent(command, hostile_bundle):
    done = nvwizard(command, "--machine", str(hostile_bundle))
    assert done.returncode in (0, 1), done.stderr
    assert not set(done.stdout + done.stderr) & CONTROL_BYTES
    assert "\u202e" not in done.stdout
    if command == "detect":
        assert "Failed to initialize NVML: \\x1b[2J\\x1b[31mALL GOOD\\x1b[0m\\x07\\x9b31m" in (
            done.stdout
        )
        assert "OS: Ubuntu \\x1b]0;owned\\x07 \\u202eLTS" in done.stdout


def test_json_output_carries_them_escaped_by_json(hostile_bundle):
    done = nvwizard("detect", "--json", "--machine", str(hostile_bundle))
    assert done.returncode == 0, done.stderr
    assert not set(done.stdout) & CONTROL_BYTES - {"\n"}
    report = json.loads(done.stdout)
    assert report["os"] == "Ubuntu \x1b]0;owned\x07 \u202eLTS"  # the data itself, unchanged


def test_logs_keeps_the_carriage_returns_of_dpkgs_progress_and_escapes_the_rest():
    from nvwizard.cli.main import parse_args

    keep = parse_args(["logs"]).output_keeps
    out = io.StringIO()
    print(
        "(Reading database ... 50%\r(Reading database ... 100%\x1b[2J",
        file=EscapingStream(out, keep),
    )
    assert out.getvalue() == "(Reading database ... 50%\r(Reading database ... 100%\\x1b[2J\n"
    assert not hasattr(parse_args(["detect"]), "output_keeps")  # detect shows \r as \\r
