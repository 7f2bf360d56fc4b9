"""Screen 1, Detect: a live progress line while reading the machine, then the summary."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from nvwizard.tui import flow
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.widgets.lines_view import LinesView

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class DetectScreen(WizardScreen):
    STEP = flow.DETECT
    BINDINGS = [Binding("d", "demo", "Demo"), Binding("v", "verify", "Verify")]

    def body(self) -> ComposeResult:
        yield Static("", id="progress", markup=False)
        with VerticalScroll(id="summary-scroll"):
            yield LinesView(id="summary")

    def on_mount(self) -> None:
        self.controller = self.wizard.controllers.detect
        self._message = "Starting"
        self._tick = 0
        self._spinner = self.set_interval(0.1, self._show_progress)
        self._start()

    def _start(self) -> None:
        self.detecting = True
        self.query_one("#summary", LinesView).show([])
        self.hint("Reading the machine; nothing is changed.")
        self.refresh_bindings()
        # After the next frame: a detection thread started now competes with the first paint.
        self.call_after_refresh(self._run_detection)

    def _run_detection(self) -> None:
        self.run_worker(
            self._detect, thread=True, exit_on_error=False, exclusive=True, group="detect"
        )

    def _detect(self) -> None:
        self.controller.detect(self._set_message)

    def _set_message(self, message: str) -> None:
        self._message = message  # read by the UI timer; a plain assignment is thread-safe

    def _show_progress(self) -> None:
        if not self.detecting:
            return
        spin = SPINNER[self._tick % len(SPINNER)] if self.wizard.animate else "…"
        self._tick += 1
        self.query_one("#progress", Static).update(f"{spin} {self._message}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "detect":
            return
        if event.state == WorkerState.SUCCESS:
            self.detecting = False
            self._show_summary()
        elif event.state == WorkerState.ERROR:
            self.detecting = False
            error = event.worker.error
            self.query_one("#progress", Static).update(f"✗ Detection failed: {error}")
            self.hint("Press q to quit.")
            self.refresh_bindings()

    def _show_summary(self) -> None:
        state = self.wizard.state
        self.query_one("#progress", Static).update(f"✓ Detected {state.host.label}")
        self.query_one("#summary", LinesView).show(self.controller.summary())
        self.query_one("#summary-scroll").focus()
        following = flow.after_detect(state)
        if following is None and self.check_action("demo", ()):
            self.hint("No NVIDIA GPU here. Press d to try the demo machine, q to quit.")
        elif following is None:
            self.hint("Nothing to install here. Press q to quit.")
        else:
            self.hint(f"Press n or Enter for {flow.TITLES[following]}.")
        self.refresh_bindings()
        if state.follow:
            self.wizard.follow_apply()
        elif state.verify_pending:
            self.wizard.show_verify()

    def can_go_next(self) -> bool:
        return not self.detecting and flow.after_detect(self.wizard.state) is not None

    def can_go_back(self) -> bool:
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demo":
            state = self.wizard.state
            return not self.detecting and state.host.is_real and not self.controller.has_gpu
        if action == "verify":
            return not self.detecting and self.controller.has_driver
        return super().check_action(action, parameters)

    def action_verify(self) -> None:
        self.wizard.show_verify()

    def next(self) -> None:
        following = flow.after_detect(self.wizard.state)
        if following is not None:
            self.wizard.go(following)

    def action_demo(self) -> None:
        self.controller.use_demo()
        self.query_one("#banner").update(
            f"DEMO: nothing on this machine is changed ({self.wizard.state.host.label})"
        )
        self.query_one("#banner").display = True
        self._start()
