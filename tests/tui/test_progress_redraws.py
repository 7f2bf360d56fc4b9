"""The wizard's install log shows dpkg's redrawn progress line as a terminal leaves it: one
row, the text after the last carriage return (not a row per redraw)."""

from __future__ import annotations

from textual.widgets import Log

from nvwizard.engine import events as ev
from tests.cli.test_progress_redraws import APT_INSTALL, FINAL_DATABASE
from tests.tui.fakes import FakeBackend
from tests.tui.test_keys_fake import to_select
from tests.tui.test_walk_fake import make_app, settle
from tests.waiting import wait_in_app


class AptRun:
    """An apply whose one step prints what `apt-get install` prints."""

    detached = False

    def __init__(self, plan, sink):
        self.plan, self.sink = plan, sink

    def run(self) -> None:
        self.sink(ev.PlanStarted(self.plan, 4242, "demo fake-hgx"))
        self.sink(ev.StepStarted("install", "Install", (), "install"))
        self.sink(ev.StepOutput("install", "stdout", tuple(APT_INSTALL)))
        self.sink(ev.StepFinished("install", 0, 1.0, True))
        self.sink(ev.PlanFinished(ev.Outcome(ev.DONE, reboot_required=True)))

    def cancel(self) -> None:
        pass


class AptBackend(FakeBackend):
    def start_apply(self, host, plan, sink):
        return AptRun(plan, sink)


async def test_the_install_log_shows_one_row_per_line_in_its_final_state():
    app = make_app(AptBackend())
    async with app.run_test(size=(100, 30)) as pilot:
        await to_select(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
        await pilot.press("n", "enter")
        log = app.screen.query_one("#log", Log)
        last = "Processing triggers for man-db (2.12.0-4build2) ..."
        await wait_in_app(pilot, lambda: last in log.lines, "the apt output")
        assert FINAL_DATABASE in log.lines
        assert not any("%" in line for line in log.lines)  # no row per redraw
        assert not any("\r" in line or "\ufffd" in line for line in log.lines)
        rows = [line for line in log.lines if line != "==> Install"]
        assert rows == [line.rpartition("\r")[2] or last for line in APT_INSTALL]
        assert app.controllers.install.progress.lines[1:] == rows  # the full log behind `l`
