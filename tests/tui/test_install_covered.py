"""The Install screen under the help (or the full log): lines wait, then all show at once."""

from __future__ import annotations

import threading

from textual.widgets import Log

from nvwizard.engine import events as ev
from tests.tui.fakes import FakeBackend
from tests.tui.test_keys_fake import to_select
from tests.tui.test_walk_fake import make_app, screen_name, settle
from tests.waiting import wait_in_app


class GatedRun:
    """An apply that prints a line, waits, prints three more while the test covers the
    screen, waits again, then finishes."""

    detached = False

    def __init__(self, plan, sink):
        self.plan, self.sink = plan, sink
        self.covered = threading.Event()
        self.finish = threading.Event()

    def output(self, line: str) -> None:
        self.sink(ev.StepOutput("install", "stdout", (line,)))

    def run(self) -> None:
        self.sink(ev.PlanStarted(self.plan, 4242, "demo fake-hgx"))
        self.sink(ev.StepStarted("install", "Install", (), "install"))
        self.output("before the help")
        self.covered.wait(30)
        for number in range(3):
            self.output(f"under the help {number}")
        self.finish.wait(30)
        self.sink(ev.StepFinished("install", 0, 1.0, True))
        self.sink(ev.PlanFinished(ev.Outcome(ev.DONE, reboot_required=True)))

    def cancel(self) -> None:
        self.finish.set()


class GatedBackend(FakeBackend):
    def start_apply(self, host, plan, sink):
        self.run = GatedRun(plan, sink)
        return self.run


class CountedDrains:
    """Counts the Install screen's drain ticks: each asks its controller for the new lines."""

    def __init__(self, controller) -> None:
        self.count = 0
        self._drain = controller.drain
        controller.drain = self

    def __call__(self) -> list[str]:
        self.count += 1
        return self._drain()


async def test_lines_that_arrive_under_the_help_show_when_it_closes():
    backend = GatedBackend()
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_select(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
        await pilot.press("n", "enter")
        install = app.screen
        log = install.query_one("#log", Log)
        await wait_in_app(pilot, lambda: "before the help" in log.lines, "the first line")

        await pilot.press("question_mark")
        await wait_in_app(pilot, lambda: screen_name(app) == "HelpScreen", "the help")
        drains = CountedDrains(app.controllers.install)
        backend.run.covered.set()
        progress = app.controllers.install.progress
        await wait_in_app(pilot, lambda: "under the help 2" in progress.lines, "the drain")
        drained_at = drains.count
        await wait_in_app(pilot, lambda: drains.count >= drained_at + 3, "three more drains")
        assert not any(line.startswith("under the help") for line in log.lines)

        await pilot.press("question_mark")
        await wait_in_app(pilot, lambda: app.screen is install, "the Install screen")
        await pilot.pause()
        assert log.lines[-3:] == ["under the help 0", "under the help 1", "under the help 2"]
        backend.run.finish.set()
        await settle(pilot)
        assert app.state.outcome.status == "done"


def test_a_leaving_wizard_queues_no_more_output_and_cancels_the_apply():
    from nvwizard.tui.controllers.install import InstallController
    from nvwizard.tui.state import WizardState
    from tests.tui.fakes import FakeHost

    class Run:
        cancelled = False

        def cancel(self) -> None:
            self.cancelled = True

    controller = InstallController(WizardState(host=FakeHost()), FakeBackend())
    controller.run = Run()
    controller._receive(ev.StepOutput("install", "stdout", ("kept",)))
    controller.leave()
    for number in range(1000):
        controller._receive(ev.StepOutput("install", "stdout", (str(number),)))
    assert controller.run.cancelled
    assert not controller._events  # nothing piles up for a screen that is gone
