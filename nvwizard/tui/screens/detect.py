"""Screen 1, Detect: a live progress line while reading the machine, then the summary."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive

from nvwizard.tui import flow
from nvwizard.tui.controllers.detect import DetectController, DetectView
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.widgets.lines_view import LinesView
from nvwizard.tui.widgets.plain_text import PlainText

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class DetectScreen(WizardScreen):
    """`controller` None: the wizard's state is not built yet and the screen shows `shown`,
    what a child process detected (cli/detect_ahead.py), until `adopt` hands it the
    controller; the app holds every key until then (tui/detected_ahead.py)."""

    STEP = flow.DETECT
    BINDINGS = [Binding("d", "demo", "Demo"), Binding("v", "verify", "Verify")]

    detecting = reactive(True, bindings=True)
    controller: DetectController

    class Detected(Message):
        """The detection worker ended: what the screen shows of it."""

        def __init__(self, view: DetectView) -> None:
            super().__init__()
            self.view = view

    def __init__(
        self,
        controller: DetectController | None,
        spinners: bool = True,
        shown: DetectView | None = None,
    ) -> None:
        super().__init__(controller)
        self.spinners = spinners  # False: a still "…" instead (snapshots)
        self.shown = shown  # what detection found, once it has ended
        self.ahead = controller is None  # showing what was detected ahead; no state yet
        if self.ahead and shown is None:
            raise ValueError("a Detect screen without its controller shows what was detected")
        self._message = "Starting"
        self._tick = 0
        if self.ahead:
            self.set_reactive(DetectScreen.detecting, False)

    def banner(self) -> str | None:
        return self.shown.banner if self.ahead and self.shown else super().banner()

    def first_hint(self) -> str:
        return self.shown.hint if self.ahead and self.shown else ""

    def body(self) -> ComposeResult:
        # detected ahead: composed with the result, so that the first frame shows it (one
        # is painted before the screen's on_mount)
        shown = self.shown if self.ahead else None
        yield PlainText(shown.progress if shown else "", id="progress")
        summary = LinesView(id="summary")
        summary.lines = list(shown.summary) if shown else []
        with VerticalScroll(id="summary-scroll"):
            yield summary

    def on_mount(self) -> None:
        self.set_interval(0.1, self._show_progress)
        if self.ahead:  # detected ahead: composed with the result (body)
            self.query_one("#summary-scroll").focus()
        else:
            self._start()

    def adopt(self, controller: DetectController) -> None:
        """The wizard's state is built: detect in this process as the screen does on its own
        (a demo or bundle, read at once), so the screen goes on from the real state."""
        self.controller, self.ahead = controller, False
        self.on_detect_screen_detected(self.Detected(controller.detect_view(self._set_message)))

    def _start(self) -> None:
        self.detecting = True
        self.shown = None
        self.query_one("#summary", LinesView).show([])
        self.hint("Reading the machine; nothing is changed.")
        if self.state.host.is_real:
            self._detect()  # seconds of commands (apt, nvidia-smi): a worker, with progress
            return
        # A bundle or demo machine is files only, read in a few tens of milliseconds: read it
        # now, before the first frame, which then shows the result (one frame, not two).
        self.on_detect_screen_detected(
            self.Detected(self.controller.detect_view(self._set_message))
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="detect")
    def _detect(self) -> None:
        self.post_from_worker(self.Detected(self.controller.detect_view(self._set_message)))

    def _set_message(self, message: str) -> None:
        self._message = message  # read by the UI timer; a plain assignment is thread-safe

    def _show_progress(self) -> None:
        if not self.detecting:
            return
        spin = SPINNER[self._tick % len(SPINNER)] if self.spinners else "…"
        self._tick += 1
        self.query_one("#progress", PlainText).update(f"{spin} {self._message}")

    def on_detect_screen_detected(self, message: Detected) -> None:
        view = self.shown = message.view
        self.detecting = False
        self.query_one("#progress", PlainText).update(view.progress)
        self.hint(view.hint)
        if view.failed:
            return
        self.query_one("#summary", LinesView).show(list(view.summary))
        self.query_one("#summary-scroll").focus()
        if self.state.follow:
            self.go(flow.INSTALL, follow=True)
        elif self.state.verify_pending:
            self.go(flow.VERIFY)

    def can_go_next(self) -> bool:
        return self.shown is not None and self.shown.next_step is not None

    def can_go_back(self) -> bool:
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demo":
            return self.shown is not None and self.shown.offers_demo
        if action == "verify":
            return self.shown is not None and self.shown.offers_verify
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
        banner.update(self.banner() or "")
        banner.display = True
        self._start()
