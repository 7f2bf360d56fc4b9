"""Screen 5, Reboot: now, in one minute, or later."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from nvwizard.tui import flow
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.widgets.lines_view import LinesView


class RebootScreen(WizardScreen):
    STEP = flow.REBOOT

    def body(self) -> ComposeResult:
        with VerticalScroll(id="reboot-scroll"):
            yield LinesView(id="explain")
            yield Static("", id="result", markup=False)
        with Horizontal(id="actions"):
            yield Button("Reboot now", id="now", variant="error", compact=True)
            yield Button("In one minute", id="soon", variant="warning", compact=True)
            yield Button("Later", id="later", compact=True)

    def on_mount(self) -> None:
        self.controller = self.wizard.controllers.reboot
        self.query_one("#explain", LinesView).show(self.controller.explanation())
        self.query_one("#soon", Button).focus()
        self.hint("←/→ or Tab pick; Enter confirms.")

    def on_button_pressed(self, event: Button.Pressed) -> None:
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
        if event.worker.group == "boot":
            if event.state == WorkerState.SUCCESS and event.worker.result:
                self.controller.start_over_after_boot()
                self.app.call_later(self.wizard.restart_after_reboot)
            elif event.state == WorkerState.ERROR:
                self._show(f"✗ The simulated machine did not come up: {event.worker.error}")
            return
        if event.worker.group != "reboot":
            return
        if event.state == WorkerState.SUCCESS:
            self._show(event.worker.result)
            if self.wizard.state.is_demo:
                self._wait_for_boot()
        elif event.state == WorkerState.ERROR:
            self._show(f"✗ Could not reboot: {event.worker.error}")
            for button in self.query(Button):
                button.disabled = False

    def _wait_for_boot(self) -> None:
        """Demo and bundle machines come up again at once: Detect, then Verify, follow."""
        self.hint("Rebooting the simulated machine; Verify follows. q quits.")
        self.run_worker(self.controller.await_boot, thread=True, exit_on_error=False, group="boot")

    def _show(self, text: str) -> None:
        self.query_one("#result", Static).update(f"\n{text}")
        self.hint("Press q to quit.")
        self.refresh_bindings()

    def on_key(self, event) -> None:
        if event.key in ("left", "right") and isinstance(self.focused, Button):
            event.stop()
            (self.focus_next if event.key == "right" else self.focus_previous)(Button)

    def can_go_back(self) -> bool:
        return False

    def can_go_next(self) -> bool:
        return False
