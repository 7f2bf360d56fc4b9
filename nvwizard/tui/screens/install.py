"""Screen 4, Install: the plan and the simulation, confirmed once; then the live apply."""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Button, Log, ProgressBar

from nvwizard.tui import flow
from nvwizard.tui.controllers.install import ApplyRefused, InstallController
from nvwizard.tui.controllers.lines import DANGER, Line
from nvwizard.tui.controllers.plan_view import REINSTALL_KEY
from nvwizard.tui.controllers.secure_boot import NEXT_LABEL, done_hint, next_label
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.screens.log import LogScreen
from nvwizard.tui.types import ApplyRun
from nvwizard.tui.widgets.lines_view import LinesView
from nvwizard.tui.widgets.live_log import LiveLog

if TYPE_CHECKING:
    from nvwizard.engine.events import Outcome
    from nvwizard.plan.models import Plan

LOG_MAX_LINES = 10_000  # the full log stays in the controller; `l` shows it all
DRAIN_INTERVAL_S = 0.2  # batch the engine's lines: one Log write and one repaint per tick


class InstallScreen(WizardScreen):
    STEP = flow.INSTALL
    BINDINGS = [
        Binding("l", "full_log", "Full log"),
        # one key, two meanings: shown (and run) only the one that applies (check_action)
        Binding(REINSTALL_KEY, "reinstall", "Reinstall driver"),
        Binding(REINSTALL_KEY, "keep_driver", "Keep driver"),
    ]
    controller: InstallController

    phase = reactive("preparing", bindings=True)  # preparing -> confirm -> running -> finished

    class Prepared(Message):
        """The `plan` is built and simulated (the state holds both), or `error` says why not."""

        def __init__(self, plan: Plan | None = None, error: Exception | None = None) -> None:
            super().__init__()
            self.plan = plan
            self.error = error

    class EngineStopped(Message):
        """The apply's worker died with `error` (a normal end comes as the outcome)."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def body(self) -> ComposeResult:
        with VerticalScroll(id="plan-scroll"):
            yield LinesView("Building the plan and simulating it…", id="plan")
        yield LinesView(id="steps")
        yield ProgressBar(id="progress", total=100, show_eta=False)
        yield LiveLog(id="log", max_lines=LOG_MAX_LINES)
        yield LinesView(id="outcome")
        with Horizontal(id="actions"):
            yield Button("Install", id="apply", variant="warning", compact=True, disabled=True)
            yield Button("Run the repair", id="repair", variant="warning", compact=True)
            yield Button(NEXT_LABEL, id="to-reboot", variant="success", compact=True)

    def __init__(self, controller: InstallController, follow: bool = False) -> None:
        super().__init__(controller)
        self.following = follow  # reattach to a background apply instead of planning one
        self._drainer: Timer | None = None
        # Lines drained but not yet in the Log; past the Log's bound they would be pruned.
        self._unshown: deque[str] = deque(maxlen=LOG_MAX_LINES)
        self._shown_steps: list[Line] | None = None  # what the step list and bar show now
        self._shown_percent: float | None = None

    def on_mount(self) -> None:
        for widget_id in ("steps", "progress", "log", "outcome", "repair", "to-reboot"):
            self.query_one(f"#{widget_id}").display = False
        if self.following:
            self._start(self.controller.follow)
            self.hint("Reattached to the install running in the background.")
            return
        self.hint("Simulating; nothing is changed yet.")
        self._prepare()

    # Preparing and confirming
    @work(thread=True, exclusive=True, exit_on_error=False, group="prepare")
    def _prepare(self) -> None:
        try:
            plan, _simulation = self.controller.prepare()
        except Exception as error:  # shown on the screen; b goes back to choose again
            self.post_from_worker(self.Prepared(error=error))
        else:
            self.post_from_worker(self.Prepared(plan))

    def on_install_screen_prepared(self, message: Prepared) -> None:
        if message.plan is not None:
            self._show_plan(message.plan)
            return
        self.phase = "confirm"
        self.query_one("#plan", LinesView).show(
            [Line(f"✗ Could not build the plan: {message.error}", DANGER)]
        )
        self.hint("Press b to go back and choose again.")

    def _show_plan(self, plan: Plan) -> None:
        state = self.state
        self.query_one("#plan", LinesView).show(self.controller.plan_lines())
        apply = self.query_one("#apply", Button)
        problem = self.controller.simulation_problem
        if not state.can_apply:
            apply.label = _blocked_label(state.apply_refusal)
            self.hint(state.apply_refusal or "Applying is not possible here.")
        elif plan.nothing_to_do:
            apply.label = "Nothing to install"
            self.hint(f"Nothing to do. {REINSTALL_KEY}: reinstall the driver anyway; b: back.")
        elif problem:
            apply.label = "Install (blocked)"
            self.hint(
                "The simulation refuses this plan: the first line, marked !, says what to do."
            )
        else:
            apply.disabled = False
            apply.label = f"Install: run these {len(plan.steps)} steps"
            self.hint(_review_hint(self.state.runs_planned_driver, plan.keeps_driver))
        apply.refresh(layout=True)  # a compact button sized for its first label otherwise
        self.query_one("#plan-scroll").focus()
        self.phase = "confirm"

    def next(self) -> None:
        if self.phase == "confirm":
            apply = self.query_one("#apply", Button)
            if not apply.disabled:
                apply.focus()
        elif self.phase == "finished":
            after = flow.after_install(self.state)
            if after is not None:
                self.go(after)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            try:
                self._start(self.controller.start)
            except ApplyRefused:  # a folder changed since the plan was shown: say so, stay
                self._refused()
        elif event.button.id == "repair":
            self._start(self.controller.start_repair)
        elif event.button.id == "to-reboot":
            self.go(flow.after_install(self.state) or flow.REBOOT)

    def _refused(self) -> None:
        self.query_one("#plan", LinesView).show(self.controller.plan_lines())
        self.query_one("#plan-scroll").scroll_home(animate=False)
        apply = self.query_one("#apply", Button)
        apply.label = _blocked_label(self.state.apply_refusal)
        apply.disabled = True
        apply.refresh(layout=True)
        self.query_one("#plan-scroll").focus()
        self.hint(self.state.apply_refusal or "Applying is not possible here.")

    # Applying
    def _start(self, start: Callable[[], ApplyRun]) -> None:
        run = start()  # raises ApplyRefused before anything changes on the screen
        self.phase = "running"
        self.query_one("#plan-scroll").display = False
        self.query_one("#apply").display = False
        self.query_one("#repair").display = False
        self.query_one("#outcome").display = False
        for widget_id in ("steps", "progress", "log"):
            self.query_one(f"#{widget_id}").display = True
        # A full garbage collection walks every object the UI holds (tens of ms, a stalled
        # key press during a flood): what exists now lives as long as the wizard, set it aside.
        gc.freeze()
        self._unshown.clear()
        self._shown_steps = None
        self._shown_percent = None
        self._apply(run)
        self._drainer = self.set_interval(DRAIN_INTERVAL_S, self._drain)
        log = self.query_one("#log", Log)
        log.focus()
        log.anchor()  # stays at the newest line, also when the outcome shrinks it, until scrolled
        self.hint("Installing. l: full log. q asks first and never interrupts dpkg.")

    @work(thread=True, exclusive=True, exit_on_error=False, group="apply")
    def _apply(self, run: ApplyRun) -> None:
        try:
            run.run()
        except Exception as error:  # the events say how a plan ends; this is the engine dying
            self.post_message(self.EngineStopped(error))

    def on_install_screen_engine_stopped(self, message: EngineStopped) -> None:
        self.controller.engine_stopped(message.error)
        if self._drainer is not None:
            self._drainer.stop()
        self._drain()
        self.query_one("#outcome", LinesView).show(
            [Line(f"✗ The engine stopped: {message.error}", DANGER)]
        )
        self.query_one("#outcome").display = True
        self.hint("l shows the full log; q quits.")
        self.phase = "finished"

    def _drain(self) -> None:
        self._unshown.extend(self.controller.drain())
        outcome = self.state.outcome
        if self.controller.stopping and outcome is None:
            self.hint(self.controller.stopping_text())
        if self.app.screen is not self and outcome is None:
            # Covered by the help, the full log or the quit question: the lines wait (the
            # Log's bound at most), or the screen on top is redrawn for every batch.
            return
        if self._unshown:
            self.query_one("#log", Log).write_lines(list(self._unshown))
            self._unshown.clear()
        progress = self.controller.progress
        step_lines = progress.step_lines()
        if step_lines != self._shown_steps:  # a reflow of the screen: only when it changed
            self._shown_steps = step_lines
            self.query_one("#steps", LinesView).show(step_lines)
        percent = round(progress.percent, 1)
        if percent != self._shown_percent:
            self._shown_percent = percent
            self.query_one("#progress", ProgressBar).update(progress=percent)
        if outcome is not None:
            if self._drainer is not None:
                self._drainer.stop()
            self._finished(outcome)

    def on_screen_resume(self) -> None:
        if self.phase == "running" and self._drainer is not None:
            # What arrived while covered, right after this screen is back on the terminal:
            # thousands of lines in a flood, which the key that closed the help must not wait for.
            self.call_after_refresh(self._drain)

    def _finished(self, outcome: Outcome) -> None:
        if self.controller.stopping:  # the user quit: it has stopped, say where, and leave
            self.app.exit(message=self.controller.farewell())
            return
        self.query_one("#outcome", LinesView).show(self.controller.outcome_lines())
        self.query_one("#outcome").display = True
        if outcome.ok:
            self.query_one("#progress", ProgressBar).update(progress=100)
            button = self.query_one("#to-reboot", Button)
            button.label = next_label(self.state)
            self.hint(done_hint(self.state))
        else:
            button = self.query_one("#repair", Button)
            if outcome.repair:
                self.hint("Enter runs the repair; l shows the full log.")
            else:
                button = None
                self.hint("l shows the full log; q quits.")
        if button is not None:
            button.display = True
            button.focus()
        self.phase = "finished"

    def can_go_back(self) -> bool:
        return self.phase in ("preparing", "confirm") or (
            self.following and self.phase == "finished"
        )

    def can_go_next(self) -> bool:
        if self.phase == "confirm":
            return not self.query_one("#apply", Button).disabled
        return self.phase == "finished" and flow.after_install(self.state) is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "full_log":
            return self.phase in ("running", "finished")
        if action in ("reinstall", "keep_driver"):
            offered = self.phase == "confirm" and self.controller.offers_reinstall
            return offered and self.state.reinstall == (action == "keep_driver")
        return super().check_action(action, parameters)

    def action_reinstall(self) -> None:
        self._switch_plan()

    def action_keep_driver(self) -> None:
        self._switch_plan()

    def _switch_plan(self) -> None:
        """Between keeping the running driver and reinstalling it: the plan built and
        simulated again, shown for review as before (nothing runs until Install)."""
        self.controller.toggle_reinstall()
        apply = self.query_one("#apply", Button)
        apply.disabled = True
        apply.label = "Install"
        self.query_one("#plan", LinesView).show([Line("Building the plan and simulating it…")])
        self.query_one("#plan-scroll").scroll_home(animate=False)
        self.hint("Simulating; nothing is changed yet.")
        self.phase = "preparing"
        self._prepare()

    def action_full_log(self) -> None:
        self.app.push_screen(LogScreen(self.state.host, lambda: self.controller.progress.lines))

    @property
    def installing(self) -> bool:
        return self.phase == "running"


def _review_hint(runs_planned_driver: bool, keeps_driver: bool) -> str:
    if not runs_planned_driver:
        return "Review the plan; n moves to Install, Enter on it starts."
    other = "reinstall the driver" if keeps_driver else "keep the running driver"
    return f"Review the plan; n: to Install, Enter starts. {REINSTALL_KEY}: {other}."


def _blocked_label(refusal: str | None) -> str:
    return "Install (needs sudo)" if refusal and "sudo" in refusal else "Install (not possible)"
