"""Screen 5, Reboot: load it now without a reboot (when that is safe), reboot now, in one
minute, or later. Before a reboot is taken, the kernel that boots next is checked for an
nvidia module (a worker): where it has none, the blocking condition no-next-boot-module is
named above the choice, Later gets the focus, and Reboot now or In one minute accepts it."""

from __future__ import annotations

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Button

from nvwizard.tui import flow
from nvwizard.tui.controllers.activate import BUTTON, ActivateController
from nvwizard.tui.controllers.lines import WARN, Line
from nvwizard.tui.controllers.reboot import RebootController
from nvwizard.tui.messages import StartOver
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.types import ApplyRun
from nvwizard.tui.widgets.lines_view import LinesView
from nvwizard.tui.widgets.live_log import LiveLog
from nvwizard.tui.widgets.plain_text import PlainText

REBOOT_BUTTONS = ("now", "soon", "later")
DRAIN_INTERVAL_S = 0.2
LOG_MAX_LINES = 2000


class RebootScreen(WizardScreen):
    """Built with two controllers: the reboot's and the activation's ("Load it now")."""

    STEP = flow.REBOOT
    controller: RebootController

    # A reboot choice was made and its result is shown: the buttons are disabled, so the
    # footer's Next goes (check_action reads the focused button).
    answered = reactive(False, bindings=True)
    # The activation: "" (not started) -> "loading" -> "loaded" or "failed", or straight to
    # "loaded" when the installed driver runs already; Next opens Verify once it is loaded.
    activation = reactive("", bindings=True)

    class Decided(Message):
        """Whether it can be loaded without a reboot is known (the activation controller
        holds the decision), or `error` says why not."""

        def __init__(self, error: Exception | None = None) -> None:
            super().__init__()
            self.error = error

    class ActivationStopped(Message):
        """The activation's worker died with `error` (a normal end comes as the outcome)."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    class NextBootChecked(Message):
        """The kernel that boots next was checked (the controller holds the blocking
        condition, if any), or `error` says why it could not be."""

        def __init__(self, error: Exception | None = None) -> None:
            super().__init__()
            self.error = error

    class Rebooted(Message):
        """The reboot was done or scheduled (`result` says how), or `error` says why not."""

        def __init__(self, result: str = "", error: Exception | None = None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    class CameUp(Message):
        """A demo or bundle machine is up again (`booted`), or `error` says why not."""

        def __init__(self, booted: bool = False, error: Exception | None = None) -> None:
            super().__init__()
            self.booted = booted
            self.error = error

    def __init__(self, controller: RebootController, activate: ActivateController) -> None:
        super().__init__(controller)
        self.activate = activate
        self._drainer: Timer | None = None

    def body(self) -> ComposeResult:
        with VerticalScroll(id="reboot-scroll"):
            yield LinesView(id="blocker")
            yield LinesView(id="explain")
            yield LinesView(id="decision")
            yield PlainText("", id="result")
        yield LinesView(id="steps")
        yield LiveLog(id="log", max_lines=LOG_MAX_LINES)
        yield LinesView(id="outcome")
        with Horizontal(id="actions"):
            yield Button(BUTTON, id="activate", variant="success", compact=True, disabled=True)
            yield Button("Reboot now", id="now", variant="error", compact=True)
            yield Button("In one minute", id="soon", variant="warning", compact=True)
            yield Button("Later", id="later", compact=True)

    def on_mount(self) -> None:
        for widget_id in ("blocker", "steps", "log", "outcome"):
            self.query_one(f"#{widget_id}").display = False
        self.query_one("#explain", LinesView).show(self.controller.explanation())
        self.query_one("#decision", LinesView).show(self.activate.decision_lines())
        self.query_one("#soon", Button).focus()
        self.hint("←/→ or Tab pick; Enter confirms.")
        self._decide()
        self._check_next_boot()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "activate":
            self._start_activation()
            return
        if event.button.id in ("now", "soon") and not self.controller.checked:
            self.hint("Checking the kernel that boots next for an nvidia module…")
            return  # its blocking condition, if any, is named before a reboot is taken
        for button in self.query(Button):
            button.disabled = True
        if event.button.id == "later":
            self._show(self.controller.later(offer_activate=not self.activate.ruled_out))
            return
        delay = None if event.button.id == "now" else 1
        self.hint("Rebooting…" if delay is None else "Scheduling the reboot…")
        self._reboot(delay)

    # -- the decision and the activation --

    @work(thread=True, exit_on_error=False, group="decide")
    def _decide(self) -> None:
        try:
            self.activate.decide()
        except Exception as error:  # said on the screen; the reboot stays offered
            self.post_message(self.Decided(error))
        else:
            self.post_message(self.Decided())

    def on_reboot_screen_decided(self, message: Decided) -> None:
        if message.error is not None:
            self.query_one("#decision", LinesView).show([])
            self._show(f"✗ Could not tell whether it loads without a reboot: {message.error}")
            return
        self.query_one("#decision", LinesView).show(self.activate.decision_lines())
        if self.activate.already_loaded and not self.controller.rebooted:
            self._nothing_to_load()
            return
        button = self.query_one("#activate", Button)
        button.disabled = not self.activate.possible or self.controller.rebooted
        if self.activate.is_default and not self.controller.rebooted:
            button.focus()
            self.hint("Nothing holds the GPU: Enter loads the new driver now, without a reboot.")

    @work(thread=True, exit_on_error=False, group="next-boot")
    def _check_next_boot(self) -> None:
        try:
            self.controller.check_next_boot()
        except Exception as error:  # said on the screen; the reboot stays offered
            self.post_message(self.NextBootChecked(error))
        else:
            self.post_message(self.NextBootChecked())

    def on_reboot_screen_next_boot_checked(self, message: NextBootChecked) -> None:
        blocker = self.query_one("#blocker", LinesView)
        if message.error is not None:
            self.controller.checked = True  # not known: the reboot stays offered, as said
            blocker.show(
                [Line(f"! Could not check the kernel that boots next: {message.error}", WARN)]
            )
            blocker.display = True
            return
        lines = self.controller.blocker_lines()
        if not lines:
            return
        blocker.show(lines)
        blocker.display = True
        if self.focused is None or self.focused.id != "activate":  # loading it now is safe
            self.query_one("#later", Button).focus()
        self.hint("Blocking condition above: Later keeps the machine up; a reboot accepts it.")

    def _nothing_to_load(self) -> None:
        """The installed driver runs already: no load to offer, no reboot to choose or explain."""
        for button in self.query(Button):
            button.disabled = True
        self.query_one("#actions").display = False
        self.query_one("#explain").display = False
        self.set_focus(None)
        self.hint("The installed driver runs already. n opens Verify; q quits.")
        self.activation = "loaded"

    def _start_activation(self) -> None:
        for button in self.query(Button):
            button.disabled = True
        self.query_one("#reboot-scroll").display = False
        for widget_id in ("steps", "log"):
            self.query_one(f"#{widget_id}").display = True
        self._activate(self.activate.start())
        self._drainer = self.set_interval(DRAIN_INTERVAL_S, self._drain)
        self.query_one("#log", LiveLog).anchor()
        self.hint("Loading the new driver without a reboot…")
        self.activation = "loading"

    @work(thread=True, exit_on_error=False, group="activate")
    def _activate(self, run: ApplyRun) -> None:
        try:
            run.run()
        except Exception as error:  # said on the screen; the reboot is offered
            self.post_message(self.ActivationStopped(error))

    def on_reboot_screen_activation_stopped(self, message: ActivationStopped) -> None:
        self._finish_activation(f"✗ The engine stopped: {message.error}")

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
            self.activation = "loaded"
            return
        self.query_one("#decision", LinesView).show([])
        self.query_one("#reboot-scroll").display = True
        self._enable_reboot()
        self.query_one("#soon", Button).focus()
        self.hint("Not loaded: reboot to load it (←/→ pick, Enter confirms).")
        self.activation = "failed"

    # -- rebooting --

    @work(thread=True, exit_on_error=False, group="reboot")
    def _reboot(self, delay_minutes: int | None) -> None:
        try:
            result = self.controller.reboot(delay_minutes)
        except Exception as error:  # said on the screen; the buttons come back
            self.post_message(self.Rebooted(error=error))
        else:
            self.post_message(self.Rebooted(result))

    def on_reboot_screen_rebooted(self, message: Rebooted) -> None:
        if message.error is not None:
            self._show(f"✗ Could not reboot: {message.error}")
            self._enable_reboot()
            return
        self._show(message.result)
        if self.state.is_demo:
            # Demo and bundle machines come up again at once: Detect, then Verify, follow.
            self.hint("Rebooting the simulated machine; Verify follows. q quits.")
            self._await_boot()

    @work(thread=True, exit_on_error=False, group="boot")
    def _await_boot(self) -> None:
        try:
            booted = self.controller.await_boot()
        except Exception as error:  # said on the screen
            self.post_message(self.CameUp(error=error))
        else:
            self.post_message(self.CameUp(booted))

    def on_reboot_screen_came_up(self, message: CameUp) -> None:
        if message.error is not None:
            self._show(f"✗ The simulated machine did not come up: {message.error}")
        elif message.booted:
            self.controller.start_over_after_boot()
            self.post_message(StartOver())

    def _enable_reboot(self) -> None:
        for button_id in REBOOT_BUTTONS:
            self.query_one(f"#{button_id}", Button).disabled = False

    def _show(self, text: str) -> None:
        result = self.query_one("#result", PlainText)
        result.update(f"\n{text}")
        self.query_one("#reboot-scroll").display = True
        # It comes below the explanation, which may fill the screen (80x24): into view, its
        # first line at the top, once laid out.
        self.call_after_refresh(result.scroll_visible, top=True, animate=False)
        self.hint("Press q to quit.")
        self.answered = True

    def on_key(self, event: events.Key) -> None:
        if event.key in ("left", "right") and isinstance(self.focused, Button):
            event.stop()
            (self.focus_next if event.key == "right" else self.focus_previous)(Button)

    def can_go_back(self) -> bool:
        return False

    def can_go_next(self) -> bool:
        return self.activation == "loaded"  # loaded here, or it ran already

    def next(self) -> None:
        if self.can_go_next():
            self.go(flow.VERIFY)
