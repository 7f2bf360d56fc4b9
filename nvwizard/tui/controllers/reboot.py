"""Reboot: now, in one minute, or later; what an SSH user must know; what to run after. Where
the kernel that boots next has no nvidia module (`reboot`'s blocking condition
no-next-boot-module), the screen names it before the choice: pressing Reboot now or In one
minute accepts it, as Install accepts an install's."""

from __future__ import annotations

import threading

from nvwizard.host.demo import demo_name
from nvwizard.host.demo_advice import demo_reboot_after_install, verify_command
from nvwizard.knowledge.secure_boot import import_certificate
from nvwizard.plan.blockers import what_accepting_means
from nvwizard.plan.models import Blocker
from nvwizard.tui.controllers.lines import COMMAND, DANGER, DIM, WARN, Line
from nvwizard.tui.controllers.secure_boot import loads_nowhere, mok_certificate, reboot_lines
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend


class RebootController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend
        self.result: str | None = None
        self.rebooted = False
        self._hurry = threading.Event()
        self.checked = False  # whether the kernel that boots next was checked for its module
        self.blocker: Blocker | None = None  # no-next-boot-module, once checked

    def check_next_boot(self) -> None:
        """Runs in a worker (it reads the machine): is there an nvidia module for the kernel
        that boots next?"""
        self.blocker = self.backend.next_boot_blocker(self.state.host)
        self.checked = True

    def blocker_lines(self) -> list[Line]:
        """The blocking condition by name, as the Install screen names its own."""
        if self.blocker is None:
            return []
        heading = "Blocking condition (pressing Reboot now or In one minute accepts it):"
        return [Line(heading, DANGER), Line(f"  {what_accepting_means(self.blocker)}", DANGER, 4)]

    def explanation(self) -> list[Line]:
        report = self.state.report
        lines = []
        if not loads_nowhere(self.state):  # else the Secure Boot lines below say why not
            lines.append(
                Line("The new driver runs once loaded: now where that is safe, else at a reboot.")
            )
        if report is not None and report.over_ssh:
            lines.append(
                Line("! You are connected over SSH: the session drops at the reboot.", WARN)
            )
        elif self.state.host.is_real:
            lines.append(Line("! Remote sessions drop at the reboot.", WARN))
        lines.append(Line(""))
        lines += reboot_lines(self.state)  # Secure Boot and a module DKMS built: its key first
        if not self.state.host.is_real:
            return lines + self._after_a_simulated_reboot()
        lines.append(Line("After the reboot, log in again and run:", DIM))
        lines.append(Line("  sudo nvwizard            (opens the Verify screen)", COMMAND))
        lines.append(Line("  nvwizard verify          (the same checks, for scripts)", COMMAND))
        return lines

    def _after_a_simulated_reboot(self) -> list[Line]:
        """A demo or bundle machine: the wizard itself goes on after its reboot (this
        computer's `sudo nvwizard` would look at this computer)."""
        after = (
            "After the reboot (the simulated machine's; this computer does not reboot) the "
            "wizard detects it again and opens Verify"
        )
        if loads_nowhere(self.state):
            after += ", which shows the module rejected and names a driver that loads here"
        lines = [Line(f"{after}.", DIM)]
        demo = self._kept_demo()
        if demo is not None:
            lines.append(Line("Later, from the command line:", DIM))
            lines.append(Line(f"  {verify_command(demo)}   (the same checks)", COMMAND))
        return lines

    def _kept_demo(self) -> str | None:
        """The demo's name, when it lives on between commands (NVWIZARD_STATE_DIR)."""
        host = self.state.host
        return demo_name(host.label) if host.saved_in is not None else None

    def reboot(self, delay_minutes: int | None) -> str:
        """delay_minutes None: now; else schedule (cancel with `shutdown -c`)."""
        self.result = self.backend.reboot(self.state.host, delay_minutes)
        if self.blocker is not None:
            self.result = f"Accepted: {self.blocker.id}. {self.result}"
        self.rebooted = True
        self.state.verify_pending = True
        return self.result

    def await_boot(self) -> bool:
        """Runs in a worker: True once a demo or bundle machine has rebooted (after the
        simulated minute of a scheduled reboot); False on a real machine."""
        return self.backend.await_reboot(self.state.host, self._hurry)

    def cancel(self) -> None:
        """Quitting: cut the simulated wait short, so the worker thread ends at once."""
        self._hurry.set()

    def start_over_after_boot(self) -> None:
        """The machine came up again: what was planned and applied is history now."""
        state = self.state
        state.rebooted = True
        state.verify_pending = True
        state.plan = state.simulation = state.outcome = state.verify_result = None
        state.report = None

    def later(self, offer_activate: bool = True) -> str:
        """`offer_activate`: False once loading the driver without a reboot was ruled out."""
        demo = self._kept_demo()
        if demo is not None:
            # not offered once ruled out (a kernel update waits, jobs use the GPU, ...)
            how = demo_reboot_after_install(
                demo, mok_certificate(self.state), activation_ruled_out=not offer_activate
            )
            self.result = (
                f"No reboot now. Reboot the demo when it suits you: {how}; "
                f"then run `{verify_command(demo)}`."
            )
        elif not self.state.host.is_real:
            self.result = (
                "No reboot now. The simulated machine ends with the wizard: its next run starts "
                "from the bundle again (NVWIZARD_STATE_DIR keeps a demo between runs)."
            )
        else:
            certificate = mok_certificate(self.state)
            self.result = "No reboot now. Reboot when it suits you, then run `sudo nvwizard`."
            if certificate is not None:  # Secure Boot rejects the module until then
                self.result += (
                    f" Before that reboot, enrol DKMS's key: `{import_certificate(certificate)}`, "
                    "then MOK Manager on the console at the boot."
                )
        return self.result
