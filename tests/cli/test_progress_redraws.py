"""dpkg and apt redraw a progress line with carriage returns. The live output shows each line
as the terminal would leave it (the text after the last carriage return); the journal, the
human log and `nvwizard logs` keep what the command printed."""

from __future__ import annotations

import io

from nvwizard.cli.apply_console import ProgressPrinter, print_outcome
from nvwizard.cli.terminal_text import EscapingStream
from nvwizard.engine import events as ev
from nvwizard.engine.journal import Journal, human_text, read_events
from nvwizard.engine.runner import Engine
from nvwizard.plan import models as pm
from nvwizard.plan.models import Choices, Plan, Step
from tests.engine.fakehost import FakeHost, Script

PACKAGE = "nvidia-utils-580-server"
VERSION = "580.95.05-0ubuntu0.24.04.2"
# dpkg writes its database counter on one line, each state after a carriage return
READING_DATABASE = (
    "(Reading database ... \r"
    + "".join(f"(Reading database ... {p}%\r" for p in range(5, 101, 5))
    + "(Reading database ... 218472 files and directories currently installed.)"
)
# `apt-get install` as the engine reads it (stdout a pipe; the CRLF the host takes off)
APT_INSTALL = [
    "Reading package lists...",
    "Building dependency tree...",
    "Reading state information...",
    "The following NEW packages will be installed:",
    f"  {PACKAGE}",
    "0 upgraded, 1 newly installed, 0 to remove and 12 not upgraded.",
    "Need to get 483 kB of archives.",
    f"Get:1 http://archive.ubuntu.com/ubuntu noble-updates/restricted amd64 {PACKAGE} amd64 "
    f"{VERSION} [483 kB]",
    "Fetched 483 kB in 1s (612 kB/s)",
    f"Selecting previously unselected package {PACKAGE}.",
    READING_DATABASE,
    f"Preparing to unpack .../{PACKAGE}_{VERSION}_amd64.deb ...",
    f"Unpacking {PACKAGE} ({VERSION}) ...",
    f"Setting up {PACKAGE} ({VERSION}) ...",
    # a redraw that ends with a carriage return: the terminal still shows the text before it
    "Processing triggers for man-db (2.12.0-4build2) ...\r",
]
FINAL_DATABASE = "(Reading database ... 218472 files and directories currently installed.)"


def one_step_plan() -> Plan:
    install = Step(
        id="install",
        title="Install the driver",
        why="why",
        commands=[["apt-get", "install", "-y", PACKAGE]],
        changes_system=True,
        on_failure="read",
        kind=pm.INSTALL,
    )
    return Plan(
        steps=[install],
        choices=Choices(driver=PACKAGE),
        host_label="fake host",
        driver=PACKAGE,
        flavour="580-server",
        branch=580,
        modules="dkms",
    )


def run_apply(tmp_path, exit_code: int = 0) -> tuple[str, ev.Outcome, Journal]:
    """The apply as `install --yes` shows it: the printer behind main's escaping stream."""
    host = FakeHost(
        {("apt-get", "install"): Script([("stdout", line) for line in APT_INSTALL], exit_code)}
    )
    out = io.StringIO()
    printer = ProgressPrinter(EscapingStream(out))
    with Journal(tmp_path / "log", tmp_path / "state") as journal:
        outcome = Engine(host, one_step_plan(), journal, [printer]).run()
    return out.getvalue(), outcome, journal


def test_the_live_output_shows_where_the_progress_line_ended(tmp_path):
    shown, outcome, _journal = run_apply(tmp_path)
    assert outcome.status == ev.DONE
    lines = shown.splitlines()
    assert "\\r" not in shown and "\r" not in shown
    assert "    " + FINAL_DATABASE in lines
    assert not any("5%" in line for line in lines)
    assert "    Processing triggers for man-db (2.12.0-4build2) ..." in lines
    assert f"    Preparing to unpack .../{PACKAGE}_{VERSION}_amd64.deb ..." in lines


def test_the_journal_and_the_human_log_keep_the_raw_line(tmp_path):
    _shown, _outcome, journal = run_apply(tmp_path)
    output = [
        line
        for event in read_events(journal.events_path)
        if isinstance(event, ev.StepOutput)
        for line in event.lines
    ]
    assert output == APT_INSTALL
    logged = "\n".join(text for e in read_events(journal.events_path) if (text := human_text(e)))
    assert READING_DATABASE in logged  # what `nvwizard logs` prints
    assert READING_DATABASE in journal.log_path.read_bytes().decode()


def test_a_failure_s_last_lines_show_the_final_state(tmp_path):
    _shown, outcome, _journal = run_apply(tmp_path, exit_code=100)
    assert outcome.status == ev.FAILED
    assert FINAL_DATABASE in outcome.last_lines
    assert not any("\r" in line for line in outcome.last_lines)
    said = io.StringIO()
    print_outcome(outcome, is_real=True, out=EscapingStream(said))
    assert f"  | {FINAL_DATABASE}\n" in said.getvalue()
    assert "\\r" not in said.getvalue()
