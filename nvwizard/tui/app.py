"""The wizard application: holds the state, routes between screens, owns the global keys."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass

from textual.app import App
from textual.binding import Binding

from nvwizard.tui import flow
from nvwizard.tui.backend import WizardBackend
from nvwizard.tui.controllers.activate import ActivateController
from nvwizard.tui.controllers.detect import DetectController
from nvwizard.tui.controllers.install import InstallController
from nvwizard.tui.controllers.purge import PurgeController
from nvwizard.tui.controllers.reboot import RebootController
from nvwizard.tui.controllers.select import SelectController
from nvwizard.tui.controllers.stack import StackController
from nvwizard.tui.controllers.verify import VerifyController
from nvwizard.tui.state import WizardState


@dataclass
class Controllers:
    detect: DetectController
    purge: PurgeController
    select: SelectController
    stack: StackController
    install: InstallController
    reboot: RebootController
    activate: ActivateController
    verify: VerifyController

    @classmethod
    def for_state(cls, state: WizardState, backend: WizardBackend) -> Controllers:
        return cls(
            DetectController(state, backend),
            PurgeController(state, backend),
            SelectController(state, backend),
            StackController(state, backend),
            InstallController(state, backend),
            RebootController(state, backend),
            ActivateController(state, backend),
            VerifyController(state, backend),
        )


HELP_SCREEN = "help"


class WizardApp(App):
    CSS_PATH = "styles/wizard.tcss"
    TITLE = "nvwizard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "request_quit", "Quit"),
        Binding("ctrl+c", "request_quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def __init__(self, state: WizardState, backend: WizardBackend, animate: bool = True):
        super().__init__()
        self.state = state
        self.backend = backend
        self.controllers = Controllers.for_state(state, backend)
        self.animate = animate  # False freezes spinners, for snapshots

    def on_mount(self) -> None:
        self._install_signal_handlers()
        self.push_screen(self._screen(flow.DETECT))

    def _install_signal_handlers(self) -> None:
        """SIGTERM/SIGHUP: leave like `q` does, so the terminal is restored."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(signum, self._exit_on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread (tests) or not supported: nothing to restore then

    def _exit_on_signal(self, signum: int) -> None:
        self.controllers.install.leave()  # stops after the running step, never inside dpkg
        self.controllers.activate.cancel()  # never between the old module's unload and the load
        self.controllers.reboot.cancel()
        self.exit(return_code=128 + signum)

    def _screen(self, name: str):
        from nvwizard.tui.screens.detect import DetectScreen
        from nvwizard.tui.screens.install import InstallScreen
        from nvwizard.tui.screens.purge import PurgeScreen
        from nvwizard.tui.screens.reboot import RebootScreen
        from nvwizard.tui.screens.select import SelectScreen
        from nvwizard.tui.screens.stack import StackScreen
        from nvwizard.tui.screens.verify import VerifyScreen

        screens = {
            flow.DETECT: DetectScreen,
            flow.PURGE: PurgeScreen,
            flow.SELECT: SelectScreen,
            flow.STACK: StackScreen,
            flow.INSTALL: InstallScreen,
            flow.REBOOT: RebootScreen,
            flow.VERIFY: VerifyScreen,
        }
        return screens[name]()

    def go(self, name: str) -> None:
        self.push_screen(self._screen(name))

    def follow_apply(self) -> None:
        from nvwizard.tui.screens.install import InstallScreen

        self.push_screen(InstallScreen(follow=True))

    def show_verify(self) -> None:
        self.go(flow.VERIFY)

    async def restart_after_reboot(self) -> None:
        """A demo or bundle machine rebooted: start over as the next login would, with a
        fresh Detect that opens Verify (the state says a verification is pending)."""
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        self.push_screen(self._screen(flow.DETECT))

    def action_help(self) -> None:
        from nvwizard.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        if not self.is_screen_installed(HELP_SCREEN):
            # Installed once and reused: composing it anew for every `?` costs a frame or two
            # of the UI's time, which a log flood makes users feel.
            self.install_screen(HelpScreen(), HELP_SCREEN)
        self.push_screen(HELP_SCREEN)

    def action_request_quit(self) -> None:
        from nvwizard.tui.screens.quit import QuitDuringInstallScreen

        if isinstance(self.screen, QuitDuringInstallScreen):
            return
        install, activate = self.controllers.install, self.controllers.activate
        if not (install.running or activate.running):
            self.controllers.reboot.cancel()
            self.exit(return_code=0)
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                install.leave()
                activate.cancel()  # honoured only before the old module leaves the kernel
                self.exit(return_code=0)

        detached = install.detached if install.running else activate.detached
        question = QuitDuringInstallScreen(detached, activating=activate.running)
        self.push_screen(question, answered)
