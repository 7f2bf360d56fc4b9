"""The wizard application: opens each screen with its controller, routes the screens' requests
(tui/messages.py), owns the global keys (q, Ctrl+C, ?) and leaves cleanly on SIGTERM/SIGHUP.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from rich.console import RenderableType
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from nvwizard.errors import EXIT_INTERRUPTED, EXIT_OK
from nvwizard.tui import flow
from nvwizard.tui.controllers.detect import DetectController
from nvwizard.tui.messages import GoTo, StartOver
from nvwizard.tui.screens.detect import DetectScreen
from nvwizard.tui.shown_text import inert, inert_text
from nvwizard.tui.types import WizardBackend

if TYPE_CHECKING:
    from nvwizard.tui.controllers.activate import ActivateController
    from nvwizard.tui.controllers.install import InstallController
    from nvwizard.tui.controllers.reboot import RebootController
    from nvwizard.tui.screens.reboot import RebootScreen
    from nvwizard.tui.state import WizardState


@dataclass
class Running:
    """The controllers of the latest Install and Reboot screens: the quit keys and the signal
    handlers ask them whether an apply or an activation runs, and cut a simulated reboot's
    wait short."""

    install: InstallController | None = None
    reboot: RebootController | None = None
    activate: ActivateController | None = None


def resume_collector() -> None:
    """Resume the cyclic garbage collector that `nvwizard` paused for the wizard's start-up
    (cli/main.py), once the first frame is drawn. What start-up built lives as long as the
    wizard: it is frozen, so later collections (a log flood makes many) never walk it again.
    Where nothing paused the collector (tests, other callers) this does nothing."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


HELP_SCREEN = "help"
DETACHED_FAREWELL = (
    "nvwizard: the install goes on in the background; `sudo nvwizard` reattaches to it, "
    "`nvwizard logs -f` follows it."
)


class WizardApp(App):
    CSS_PATH = "styles/wizard.tcss"
    TITLE = "nvwizard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "request_quit", "Quit"),
        Binding("ctrl+c", "request_quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    state: WizardState
    backend: WizardBackend

    def __init__(
        self, state: WizardState | None, backend: WizardBackend | None, spinners: bool = True
    ):
        """`state` and `backend` None: built after the first frame (tui/detected_ahead.py)."""
        super().__init__()
        if state is not None:
            self.state = state
        if backend is not None:
            self.backend = backend
        self.spinners = spinners  # False freezes the spinners, for snapshots
        self.controllers = Running()

    @property
    def ready(self) -> bool:
        """Whether the wizard's state is built and keys act on it (tui/detected_ahead.py)."""
        return True

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification: plain text (a refusal names packages), machine data inert."""
        super().notify(
            inert(message), title=inert(title), severity=severity, timeout=timeout, markup=markup
        )

    def exit(
        self,
        result: object = None,
        return_code: int | None = None,
        message: RenderableType | None = None,
    ) -> None:
        """Leave; a text `message` (the farewell, naming steps) printed plain and inert. With no
        `return_code`, the exit code says how the install ended (`install`'s codes: 0 done or
        none ran, 1 failed or cancelled)."""
        if isinstance(message, str):
            message = inert_text(message)
        if return_code is None:
            install = self.controllers.install
            return_code = install.exit_code if install is not None else EXIT_OK
        super().exit(result, return_code, message)

    def on_mount(self) -> None:
        self._install_signal_handlers()
        self.push_screen(self.first_screen())
        self.call_after_refresh(resume_collector)

    def first_screen(self) -> Screen:
        return self.open_screen(flow.DETECT)

    # -- routing --------------------------------------------------------------------------

    def go(self, step: str, follow: bool = False) -> None:
        """Open the screen of `step` on top of the current one."""
        self.push_screen(self.open_screen(step, follow))

    def open_screen(self, step: str, follow: bool = False) -> Screen:
        """The screen of `step`, built with a controller of its own (subiquity's way: the
        controller is handed to its view; both live as long as the screen)."""
        state, backend = self.state, self.backend
        if step == flow.DETECT:
            return DetectScreen(DetectController(state, backend), spinners=self.spinners)
        # lazy: the screens after Detect, and the layers they use, load when the first of them
        # opens, not before the first frame (~15 ms of CPU, ~60 ms with their layers)
        from nvwizard.tui.screens import after_detect

        screen = after_detect.open_screen(step, state, backend, follow)
        if step == flow.INSTALL:
            self.controllers.install = cast("InstallController", screen.controller)
        elif step == flow.REBOOT:
            reboot_screen = cast("RebootScreen", screen)
            self.controllers.reboot = reboot_screen.controller
            self.controllers.activate = reboot_screen.activate
        return screen

    def on_go_to(self, message: GoTo) -> None:
        self.go(message.step, message.follow)

    async def on_start_over(self, message: StartOver) -> None:
        """A demo or bundle machine rebooted: start over as the next login would, with a
        fresh Detect that opens Verify (the state says a verification is pending)."""
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        # the applies before the reboot are history (the reboot's controller keeps its result)
        self.controllers.install = self.controllers.activate = None
        self.go(flow.DETECT)

    # -- global keys and signals ----------------------------------------------------------

    def action_help(self) -> None:
        from nvwizard.tui.screens.help import HelpScreen  # lazy: not before the first frame

        if isinstance(self.screen, HelpScreen):
            return
        if not self.is_screen_installed(HELP_SCREEN):
            # Installed once and reused: composing it anew for every `?` costs a frame or two
            # of the UI's time, which a log flood makes users feel.
            self.install_screen(HelpScreen(), HELP_SCREEN)
        self.push_screen(HELP_SCREEN)

    def action_request_quit(self) -> None:
        # lazy: not before the first frame
        from nvwizard.tui.screens.quit import QuitDuringInstallScreen

        if isinstance(self.screen, QuitDuringInstallScreen):
            return
        install, activate = self.controllers.install, self.controllers.activate
        installing = install is not None and install.running
        activating = activate is not None and activate.running
        if not (installing or activating):
            self._cancel_reboot_wait()
            # after a failed install on a demo: how to repair it from the command line
            self.exit(message=install.parting() if install is not None else None)
            return

        if install is not None and installing and install.stopping:
            self._leave_runs()  # asked again while stopping: leave now, and say so
            self.exit(message=install.farewell())
            return

        def answered(quit_now: bool | None) -> None:
            if not quit_now:
                return
            if install is not None and installing and not activating and not install.detached:
                # In this process: stay on screen until the running step ends, saying so
                # (a blank terminal for the length of a step says nothing).
                install.stop_then_quit()
                self.screen.refresh()
                return
            self._leave_runs()
            if detached:  # it goes on: as `install` interrupted with Ctrl+C says
                self.exit(return_code=EXIT_INTERRUPTED, message=DETACHED_FAREWELL)
            else:
                self.exit()

        detached = install.detached if install is not None and installing else False
        if activate is not None and activating:
            detached = activate.detached
        self.push_screen(QuitDuringInstallScreen(detached, activating=activating), answered)

    def _leave_runs(self) -> None:
        if self.controllers.install is not None:
            self.controllers.install.leave()  # stops after the running step, never inside dpkg
        if self.controllers.activate is not None:
            # honoured only before the old module leaves the kernel, or once the new one is in
            self.controllers.activate.cancel()

    def _cancel_reboot_wait(self) -> None:
        if self.controllers.reboot is not None:
            self.controllers.reboot.cancel()

    def _install_signal_handlers(self) -> None:
        """SIGTERM/SIGHUP: leave like `q` does, so the terminal is restored."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(signum, self._exit_on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread (tests) or not supported: nothing to restore then

    def _exit_on_signal(self, signum: int) -> None:
        self._leave_runs()
        self._cancel_reboot_wait()
        self.exit(return_code=128 + signum)
