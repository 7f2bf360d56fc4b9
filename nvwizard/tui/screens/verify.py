"""After the reboot: the checks that say whether the new driver really works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from nvwizard.tui import flow
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.widgets.lines_view import LinesView


class VerifyScreen(WizardScreen):
    STEP = flow.VERIFY

    def body(self) -> ComposeResult:
        yield Static("Verifying the installed driver…", id="intro", markup=False)
        with VerticalScroll(id="verify-scroll"):
            yield LinesView(id="checks")

    def on_mount(self) -> None:
        self.controller = self.wizard.controllers.verify
        self.done = False
        self.run_worker(
            self.controller.verify, thread=True, exit_on_error=False, exclusive=True, group="verify"
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "verify":
            return
        if event.state == WorkerState.SUCCESS:
            self.done = True
            self.query_one("#intro", Static).update(self.controller.intro())
            self.query_one("#checks", LinesView).show(self.controller.lines())
            self.hint("n or b: back to the Detect summary; q quits.")
        elif event.state == WorkerState.ERROR:
            self.done = True
            self.query_one("#intro", Static).update(f"✗ Could not verify: {event.worker.error}")
        self.refresh_bindings()

    def can_go_back(self) -> bool:
        return self.done

    def can_go_next(self) -> bool:
        """Verify opens over Detect (at start when pending, or by `v`): n goes back to it."""
        return self.done

    def next(self) -> None:
        self.app.pop_screen()
