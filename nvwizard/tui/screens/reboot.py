"""Screen 5, Reboot: load it now without a reboot (when that is safe), reboot now, in one
minute, or later."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from nvwizard.tui import flow
from nvwizard.tui.controllers.activate import BUTTON
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.widgets.lines_view import LinesView
from nvwizard.tui.widgets.live_log import LiveLog

REBOOT_BUTTONS = ("now", "soon", "later")
DRAIN_INTERVAL_S = 0.2
LOG_MAX_LINES = 2000


class RebootScreen(WizardScreen):
    STEP = flow.REBOOT

    def body(self) -> ComposeResult:
        with VerticalScroll(id="reboot-scroll"):
            yield LinesView(id="explain")
            yield LinesView(id="decision")
            yield Static("", id="result", markup=False)
        yield LinesView(id="steps")
        yield LiveLog(id="log", max_lines=LOG_MAX_LINES)
        yield LinesView(id="outcome")
        with Horizontal(id="actions"):
            yield Button(BUTTON, id="activate", variant="success", compact=True, disabled=True)
            yield Button("Reboot now", id="now", variant="error", compact=True)
            yield Button("In one minute", id="soon", variant="warning", compact=True)
            yield Button("Later", id="later", compact=True)

    def on_mount(self) -> None:
        self.controller = self.wizard.controllers.reboot
        self.activate = self.wizard.controllers.activate
        self._drainer: Timer | None = None
        for widget_id in ("steps", "log", "outcome"):
            self.query_one(f"#{widget_id}").display = False
        self.query_one("#explain", LinesView).show(self.controller.explanation())
        self.query_one("#decision", LinesView).show(self.activate.decision_lines())
        self.query_one("#soon", Button).focus()
        self.hint("←/→ or Tab pick; Enter confirms.")
        self.run_worker(self.activate.decide, thread=True, exit_on_error=False, group="decide")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "activate":
            self._start_activation()
            return
        for button in self.query(Button):
            button.disabled = True
        if event.button.id == "later":
            self._show(self.controller.later())
            return
        delay = None if event.button.id == "now" else 1
        self.hint("Rebooting…" if delay is None else "Scheduling the reboot…")
        self.run_worker(
            lambda: self.controller.reboot(delay), thread=True, exit_on_error=False, group="reboot"
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if group == "decide":
            self._decided(event)
        elif group == "activate" and event.state == WorkerState.ERROR:
            self._finish_activation(f"✗ The engine stopped: {event.worker.error}")
        elif group == "boot":
            if event.state == WorkerState.SUCCESS and event.worker.result:
                self.controller.start_over_after_boot()
                self.app.call_later(self.wizard.restart_after_reboot)
            elif event.state == WorkerState.ERROR:
                self._show(f"✗ The simulated machine did not come up: {event.worker.error}")
        elif group == "reboot":
            if event.state == WorkerState.SUCCESS:
                self._show(str(event.worker.result))
                if self.wizard.state.is_demo:
                    self._wait_for_boot()
            elif event.state == WorkerState.ERROR:
                self._show(f"✗ Could not reboot: {event.worker.error}")
                self._enable_reboot()

    # -- the decision and the activation --

    def _decided(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.query_one("#decision", LinesView).show([])
            self._show(f"✗ Could not tell whether it loads without a reboot: {event.worker.error}")
            return
        if event.state != WorkerState.SUCCESS:
            return
        self.query_one("#decision", LinesView).show(self.activate.decision_lines())
        button = self.query_one("#activate", Button)
        button.disabled = not self.activate.possible or self.controller.rebooted
        if self.activate.is_default and not self.controller.rebooted:
            button.focus()
            self.hint("Nothing holds the GPU: Enter loads the new driver now, without a reboot.")

    def _start_activation(self) -> None:
        for button in self.query(Button):
            button.disabled = True
        self.query_one("#reboot-scroll").display = False
        for widget_id in ("steps", "log"):
            self.query_one(f"#{widget_id}").display = True
        run = self.activate.start()
        self.run_worker(run.run, thread=True, exit_on_error=False, group="activate")
        self._drainer = self.set_interval(DRAIN_INTERVAL_S, self._drain)
        self.query_one("#log", LiveLog).anchor()
        self.hint("Loading the new driver without a reboot…")
        self.refresh_bindings()

    def _drain(self) -> None:
        lines = self.activate.drain()
        if lines:
            self.query_one("#log", LiveLog).write_lines(lines)
        progress = self.activate.progress
        if progress is not None:
            self.query_one("#steps", LinesView).show(progress.step_lines())
        if self.activate.outcome is not None:
            self._finish_activation(None)

    def _finish_activation(self, error: str | None) -> None:
        if self._drainer is not None:
            self._drainer.stop()
            self._drainer = None
        self.query_one("#log").display = False  # the whole log is in the journal
        outcome = self.query_one("#outcome", LinesView)
        outcome.show(self.activate.outcome_lines() if error is None else [])
        outcome.display = True
        if error is not None:
            self._show(error)
        if self.activate.activated:
            outcome.add_class("last")  # fills the screen: nothing is left to choose below it
            self.query_one("#actions").display = False
            self.hint("Loaded without a reboot. n opens Verify; q quits.")
        else:
            self.query_one("#decision", LinesView).show([])
            self.query_one("#reboot-scroll").display = True
            self._enable_reboot()
            self.query_one("#soon", Button).focus()
            self.hint("Not loaded: reboot to load it (←/→ pick, Enter confirms).")
        self.refresh_bindings()

    # -- rebooting --

    def _enable_reboot(self) -> None:
        for button_id in REBOOT_BUTTONS:
            self.query_one(f"#{button_id}", Button).disabled = False

    def _wait_for_boot(self) -> None:
        """Demo and bundle machines come up again at once: Detect, then Verify, follow."""
        self.hint("Rebooting the simulated machine; Verify follows. q quits.")
        self.run_worker(self.controller.await_boot, thread=True, exit_on_error=False, group="boot")

    def _show(self, text: str) -> None:
        self.query_one("#result", Static).update(f"\n{text}")
        self.query_one("#reboot-scroll").display = True
        self.hint("Press q to quit.")
        self.refresh_bindings()

    def on_key(self, event) -> None:
        if event.key in ("left", "right") and isinstance(self.focused, Button):
            event.stop()
            (self.focus_next if event.key == "right" else self.focus_previous)(Button)

    def can_go_back(self) -> bool:
        return False

    def can_go_next(self) -> bool:
        return self.activate.activated

    def next(self) -> None:
        if self.activate.activated:
            self.wizard.show_verify()
