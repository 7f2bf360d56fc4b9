"""A step the engine adds after an apply stopped ("Put the administrator's holds back",
engine/restore_holds.py; "Start the GPU services again" after a failed unload) is not one of
the plan's: the live output counts the plan's steps as "[n/N]" and shows an added step as
"[+]", `status` says "added step", and the plan's percent counts the plan's steps only.

Once, a cancelled hgx-h100 apply printed eleven "[n/12]" steps and then "[13/13] Put the
administrator's holds back", as if the plan had had thirteen steps all along.
"""

from __future__ import annotations

import io
import re

import pytest

from nvwizard.cli.apply_console import ProgressPrinter
from nvwizard.cli.status_cmd import format_status
from nvwizard.engine import events as ev
from nvwizard.engine.attach import ApplyStatus
from nvwizard.engine.progress import progress_of
from nvwizard.engine.restore_holds import STEP_ID
from nvwizard.engine.runner import CANCELLED, Engine
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from nvwizard.tui.controllers.apply_progress import ApplyProgress


@pytest.fixture(autouse=True)
def instant_demo(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def cancelled_at_update() -> tuple[int, list[ev.Event]]:
    """hgx-h100's recommended apply, cancelled as `apt-get update` starts (after the repair
    step released the administrator's holds): its plan's step count and every event."""
    host = demo_host("hgx-h100")
    report = build_report(host)
    plan = build_plan(report, default_choices(report))
    seen: list[ev.Event] = []
    engine = Engine(host, plan, listeners=[seen.append])

    def cancel_at(event: ev.Event) -> None:
        if isinstance(event, ev.StepStarted) and event.step == "update":
            engine.cancel()

    engine._listeners.append(cancel_at)
    assert engine.run().status == CANCELLED
    assert any(isinstance(e, ev.StepStarted) and e.step == STEP_ID for e in seen)
    return len(plan.steps), seen


def test_the_cli_counts_the_plans_steps_and_shows_the_added_one_as_plus():
    count, events = cancelled_at_update()
    out = io.StringIO()
    printer = ProgressPrinter(out)
    for event in events:
        printer(event)
    started = [line for line in out.getvalue().splitlines() if line.startswith("==> [")]
    counters = [re.match(r"==> \[([^\]]+)\]", line).group(1) for line in started]
    update = next(i for i, line in enumerate(started) if "Refresh the package lists" in line)
    assert counters[: update + 1] == [f"{n}/{count}" for n in range(1, update + 2)], started
    assert started[update + 1 :] == ["==> [+] Put the administrator's holds back"], started


def test_status_and_the_percent_count_the_plans_steps_only():
    count, events = cancelled_at_update()
    progress = progress_of(events)
    assert progress.step_count == count
    assert progress.step_id == STEP_ID and progress.step_added
    # the three steps before the update, and the update itself: 4 of the plan's steps done
    assert progress.percent == round(100.0 * 4 / count, 1)
    assert progress.to_json()["step_added"] is True
    status = ApplyStatus(state="finished", outcome=CANCELLED, progress=progress)
    text = format_status(status)
    assert f"added step: Put the administrator's holds back (after step 4/{count}); " in text
    assert f"/{count + 1}" not in text


def test_the_wizard_lists_the_added_step_after_the_plans_marked_as_added():
    count, events = cancelled_at_update()
    progress = ApplyProgress(None)
    for event in events:
        progress.apply(event)
    rows = [line.text for line in progress.step_lines()]
    assert len(rows) == count + 1
    assert rows[-1] == "✓ [+] Put the administrator's holds back"
    assert round(progress.percent, 1) == round(100.0 * 4 / count, 1)


def test_the_wizards_farewell_says_the_plans_step_it_stopped_after_not_the_added_one():
    from nvwizard.tui.backend import LayersBackend
    from nvwizard.tui.controllers.install import InstallController
    from nvwizard.tui.state import WizardState

    _count, events = cancelled_at_update()
    finished = events[-1]
    assert isinstance(finished, ev.PlanFinished)
    controller = InstallController(WizardState(host=demo_host("hgx-h100")), LayersBackend())
    for event in events:
        controller.progress.apply(event)
    controller.state.outcome = finished.outcome
    said = controller.farewell()
    assert "stopped as asked, after: Refresh the package lists; " in said, said
