"""The wizard, killed mid-install on a real-machine path: the install finishes anyway, its
journal is whole, and a new wizard attaches and shows the outcome with the next step.

The first wizard runs in its own process (tests/tui/wizard_until_killed.py), driven by Pilot on
a `SandboxGpuMachine` (tests/tui/sandbox_machine.py): an RTX 3090's facts from a demo bundle,
this machine's package manager pointed at the apt sandbox, commands run for real. So the wizard
takes its real path: DetachedRun, the detached worker, the real apt-get and dpkg, the journal.
It is SIGKILLed while the postinst of the DKMS package waits at the sandbox's gate.
The second wizard runs in this process on the same machine, after the install ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import pytest
from textual.widgets import Button, Log

from nvwizard.engine.redrawn_lines import final_state
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.tui.app import WizardApp
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.state import WizardState
from tests.cli.survival import (
    REPO_ROOT,
    OutputLines,
    complete_journal,
    make_stage,
)
from tests.tui.sandbox_machine import SandboxGpuMachine, bundle_for_sandbox
from tests.waiting import WAIT_LIMIT_S, pid_alive, wait_for
from tests.waiting import wait_in_app as until

SIZE = (100, 32)


def start_wizard(bundle, stage) -> subprocess.Popen:
    """The Pilot-driven wizard as a terminal's job: its own session and process group."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.tui.wizard_until_killed",
            str(bundle),
            str(stage.sandbox.root),
            stage.gated,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Buffered, as CI runs it: the lines it prints must come through all the same.
        env={k: v for k, v in stage.env.items() if k != "PYTHONUNBUFFERED"},
        cwd=REPO_ROOT,
        start_new_session=True,
    )


def kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=WAIT_LIMIT_S)


def is_subsequence(wanted: list[str], lines: list[str]) -> bool:
    remaining = iter(lines)
    return all(any(line == item for line in remaining) for item in wanted)


def text_of(app, selector: str) -> str:
    widget = app.screen.query_one(selector)
    if hasattr(widget, "plain"):
        return widget.plain
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


@pytest.mark.parametrize("hang_up", [False, True], ids=["SIGKILL", "SIGHUP"])
async def test_killing_the_wizard_mid_install_does_not_stop_it_and_a_new_one_attaches(
    apt_sandbox, tmp_path, monkeypatch, request, hang_up
):
    """SIGKILL: nothing of the wizard runs any more. SIGHUP (the terminal closed): the wizard
    leaves through its own handler, which stops following and must not stop the apply."""
    stage = make_stage(apt_sandbox, tmp_path, request)
    for name, value in stage.env.items():
        monkeypatch.setenv(name, value)  # this process's wizard reads the same machine
    bundle = bundle_for_sandbox(tmp_path / "machine")
    machine = SandboxGpuMachine(bundle, apt_sandbox.root)
    report = build_report(machine)
    expected = build_plan(report, default_choices(report))  # what the wizard's defaults give
    stage.close_gate(next(p for p in expected.install_list if p.startswith("nvidia-dkms-")))

    wizard = start_wizard(bundle, stage)
    try:
        output = OutputLines(wizard)
        seen = output.until(lambda line: line == "INSTALLING" or line.startswith("ERROR"))
        assert seen[-1] == "INSTALLING", "\n".join(seen)
        wait_for(stage.postinst_waiting, "the gated postinst")
        running = stage.status()
        if hang_up:
            os.killpg(wizard.pid, signal.SIGHUP)
            seen = output.until(lambda line: line.startswith(("EXITED", "ERROR")))
            wizard.wait(timeout=WAIT_LIMIT_S)
    finally:
        kill(wizard)  # SIGKILL: no handler runs, nothing is cleaned up
    wizard.stdout.close()
    if hang_up:
        assert (seen[-1], wizard.returncode) == ("EXITED 129", 129), "\n".join(seen)
    else:
        assert wizard.returncode == -signal.SIGKILL

    assert [line.split()[1] for line in seen if line.startswith("SCREEN ")] == [
        "DetectScreen",
        "SelectScreen",
        "StackScreen",
        "InstallScreen",
    ]
    assert f"PLAN {expected.driver}" in seen
    assert running["state"] == "running" and running["driver"] == expected.driver
    worker = running["pid"]
    assert worker != wizard.pid and pid_alive(worker)
    assert stage.postinst_waiting()  # dpkg goes on with the wizard gone

    stage.open_gate()
    wait_for(lambda: not pid_alive(worker), "the worker to finish the apply")

    journal = complete_journal(running["events_path"])
    assert journal.outcome == "done"
    assert journal.plan.install_list == expected.install_list
    packages = stage.sandbox.status()
    assert {p: packages.get(p) for p in expected.install_list} == dict.fromkeys(
        expected.install_list, "ii"
    )
    assert any("Building initial module" in line for line in journal.output)  # after the kill
    finished = stage.status()
    assert (finished["state"], finished["outcome"], finished["next_step"]) == (
        "finished",
        "done",
        "reboot",
    )

    # A new wizard on the same machine: Detect finds the ended apply and attaches to it.
    again = WizardApp(
        WizardState(host=SandboxGpuMachine(bundle, apt_sandbox.root)),
        LayersBackend(),
        spinners=False,
    )
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: type(again.screen).__name__ == "InstallScreen", "Install")
        screen = again.screen
        assert screen.following
        # phase is set when the screen mounts
        await until(
            pilot, lambda: getattr(screen, "phase", None) == "finished", "the replayed outcome"
        )

        replayed = again.controllers.install.progress.lines  # the full log behind `l`
        # the whole log, in order; dpkg's "(Reading database ... 5%\r" counter in its final
        # state, as the terminal leaves it (the journal keeps every redraw)
        assert any("\r(Reading database" in line for line in journal.output)
        assert is_subsequence([final_state(line) for line in journal.output], replayed)
        assert any(line.endswith("currently installed.)") for line in replayed)
        assert replayed[0] == f"==> {journal.plan.steps[0].title}"
        # On screen: the same lines as Textual's Log.write_lines cuts them (str.splitlines:
        # blank lines vanish).
        shown = screen.query_one("#log", Log).lines
        assert shown == [row for line in replayed for row in line.splitlines()]
        assert any(f"Setting up {stage.gated}" in line for line in shown)
        assert any("Building initial module" in line for line in shown)
        steps = text_of(again, "#steps").splitlines()
        assert len(steps) == len(journal.plan.steps)
        assert all(line.startswith("✓") for line in steps), steps
        assert again.state.outcome.status == "done"
        assert (
            "✓ Installed. Press n to load it: now where that is safe, or by a reboot."
            in text_of(again, "#outcome")
        )
        assert (
            text_of(again, "#hint")
            == "Done. Press n to load it: without a reboot where that is safe."
        )
        assert screen.query_one("#to-reboot", Button).display

        await pilot.press("n")
        await until(pilot, lambda: type(again.screen).__name__ == "RebootScreen", "Reboot")
    assert not [call for call in stage.sandbox.calls() if call[0] in ("shutdown", "reboot")]
