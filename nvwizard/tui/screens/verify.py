"""After the reboot: the checks that say whether the new driver really works."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive

from nvwizard.tui import flow
from nvwizard.tui.controllers.verify import VerifyController
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.widgets.lines_view import LinesView
from nvwizard.tui.widgets.plain_text import PlainText


class VerifyScreen(WizardScreen):
    STEP = flow.VERIFY
    controller: VerifyController

    done = reactive(False, bindings=True)

    class Verified(Message):
        """The checks ran (the state holds their result), or `error` says why not."""

        def __init__(self, error: Exception | None = None) -> None:
            super().__init__()
            self.error = error

    def body(self) -> ComposeResult:
        yield PlainText("Verifying the installed driver…", id="intro")
        with VerticalScroll(id="verify-scroll"):
            yield LinesView(id="checks")

    def on_mount(self) -> None:
        self._verify()

    @work(thread=True, exclusive=True, exit_on_error=False, group="verify")
    def _verify(self) -> None:
        try:
            self.controller.verify()
        except Exception as error:  # shown on the screen
            self.post_from_worker(self.Verified(error))
        else:
            self.post_from_worker(self.Verified())

    def on_verify_screen_verified(self, message: Verified) -> None:
        if message.error is not None:
            self.query_one("#intro", PlainText).update(f"✗ Could not verify: {message.error}")
        else:
            self.query_one("#intro", PlainText).update(self.controller.intro())
            self.query_one("#checks", LinesView).show(self.controller.lines())
            self.hint(f"n or b: back to {self._screen_below()}; q quits.")
        self.done = True

    def _screen_below(self) -> str:
        """Where n and b go back to: Verify opens over Detect (at start, or by `v`), over
        Install after a stack-only apply, or over Reboot after a load without a reboot."""
        stack = self.app.screen_stack
        below = stack[stack.index(self) - 1] if self in stack[1:] else None
        step = getattr(below, "STEP", flow.DETECT)
        if step == flow.DETECT:
            return "the Detect summary"
        return f"the {flow.TITLES.get(step, step)} screen"

    def can_go_back(self) -> bool:
        return self.done

    def can_go_next(self) -> bool:
        """n goes back to the screen below (`_screen_below`)."""
        return self.done

    def next(self) -> None:
        self.app.pop_screen()
