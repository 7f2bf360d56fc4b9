"""Screen 1, Detect: a live progress line while reading the machine, then the summary."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive

from nvwizard.tui import flow
from nvwizard.tui.controllers.detect import DetectController
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.widgets.banner import banner_text
from nvwizard.tui.widgets.lines_view import LinesView
from nvwizard.tui.widgets.plain_text import PlainText

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class DetectScreen(WizardScreen):
    STEP = flow.DETECT
    BINDINGS = [Binding("d", "demo", "Demo"), Binding("v", "verify", "Verify")]

    detecting = reactive(True, bindings=True)
    controller: DetectController

    class Detected(Message):
        """The detection worker ended: the state holds the report, or `error` says why not."""

        def __init__(self, error: Exception | None = None) -> None:
            super().__init__()
            self.error = error

    def __init__(self, controller: DetectController, spinners: bool = True) -> None:
        super().__init__(controller)
        self.spinners = spinners  # False: a still "…" instead (snapshots)
        self._message = "Starting"
        self._tick = 0

    def body(self) -> ComposeResult:
        yield PlainText("", id="progress")
        with VerticalScroll(id="summary-scroll"):
            yield LinesView(id="summary")

    def on_mount(self) -> None:
        self.set_interval(0.1, self._show_progress)
        self._start()

    def _start(self) -> None:
        self.detecting = True
        self.query_one("#summary", LinesView).show([])
        self.hint("Reading the machine; nothing is changed.")
        if self.state.host.is_real:
            self._detect()  # seconds of commands (apt, nvidia-smi): a worker, with progress
            return
        # A bundle or demo machine is files only, read in a few tens of milliseconds: read it
        # now, before the first frame, which then shows the result (one frame, not two).
        self.on_detect_screen_detected(self._detection())

    @work(thread=True, exclusive=True, exit_on_error=False, group="detect")
    def _detect(self) -> None:
        self.post_from_worker(self._detection())

    def _detection(self) -> DetectScreen.Detected:
        """Detect, and say how it went (an error is shown on the screen; the wizard stays
        usable)."""
        try:
            self.controller.detect(self._set_message)
        except Exception as error:
            return self.Detected(error)
        return self.Detected()

    def _set_message(self, message: str) -> None:
        self._message = message  # read by the UI timer; a plain assignment is thread-safe

    def _show_progress(self) -> None:
        if not self.detecting:
            return
        spin = SPINNER[self._tick % len(SPINNER)] if self.spinners else "…"
        self._tick += 1
        self.query_one("#progress", PlainText).update(f"{spin} {self._message}")

    def on_detect_screen_detected(self, message: Detected) -> None:
        self.detecting = False
        if message.error is not None:
            self.query_one("#progress", PlainText).update(f"✗ Detection failed: {message.error}")
            self.hint("Press q to quit.")
            return
        state = self.state
        self.query_one("#progress", PlainText).update(f"✓ Detected {state.host.label}")
        self.query_one("#summary", LinesView).show(self.controller.summary())
        self.query_one("#summary-scroll").focus()
        following = flow.after_detect(state)
        if following is None and self.check_action("demo", ()):
            self.hint("No NVIDIA GPU here. Press d to try the demo machine, q to quit.")
        elif following is None:
            self.hint("Nothing to install here. Press q to quit.")
        else:
            self.hint(f"Press n or Enter for {flow.TITLES[following]}.")
        if state.follow:
            self.go(flow.INSTALL, follow=True)
        elif state.verify_pending:
            self.go(flow.VERIFY)

    def can_go_next(self) -> bool:
        return not self.detecting and flow.after_detect(self.state) is not None

    def can_go_back(self) -> bool:
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demo":
            return not self.detecting and self.state.host.is_real and not self.controller.has_gpu
        if action == "verify":
            return not self.detecting and self.controller.has_driver
        return super().check_action(action, parameters)

    def action_verify(self) -> None:
        self.go(flow.VERIFY)

    def next(self) -> None:
        following = flow.after_detect(self.state)
        if following is not None:
            self.go(following)

    def action_demo(self) -> None:
        self.controller.use_demo()
        banner = self.query_one("#banner", PlainText)
        banner.update(banner_text(self.state.host) or "")
        banner.display = True
        self._start()
