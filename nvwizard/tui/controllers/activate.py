"""The Reboot screen's fourth choice, "Load it now, no reboot": the decision from the machine as
it is after the install, the activation steps as they run, and how they ended."""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

from nvwizard.engine import events as ev
from nvwizard.engine.activate import failure_reason
from nvwizard.report.activation import LOADED
from nvwizard.tui.controllers.apply_progress import ApplyProgress
from nvwizard.tui.controllers.lines import DANGER, DIM, HEADING, OK, WARN, Line
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import ApplyRun, WizardBackend

if TYPE_CHECKING:
    from nvwizard.report.activation import Activation, ActivationFacts

BUTTON = "Load it now, no reboot"
# the steps whose failure leaves the old driver running (a cancel stops before them too)
OLD_DRIVER_STAYS = (None, "stop-gpu-services", "unload-nvidia", "restart-gpu-services")


class ActivateController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend
        self.facts: ActivationFacts | None = None
        self.activation: Activation | None = None
        self.progress: ApplyProgress | None = None
        self.run: ApplyRun | None = None
        self.outcome: ev.Outcome | None = None
        self._events: deque[ev.Event] = deque()
        self._lock = threading.Lock()

    # -- the decision --

    def decide(self) -> Activation:
        """Runs in a worker: read the machine now (after the install) and decide."""
        plan = self.state.plan
        self.facts, self.activation = self.backend.decide_activation(
            self.state.host, plan.driver if plan is not None else None
        )
        return self.activation

    @property
    def possible(self) -> bool:
        return self.activation is not None and self.activation.safe and self.state.can_apply

    @property
    def ruled_out(self) -> bool:
        """Decided: it cannot be loaded without a reboot (not merely undecided yet)."""
        return self.activation is not None and not self.possible

    @property
    def already_loaded(self) -> bool:
        """The installed driver is the one that runs: nothing to load, no reboot to wait for."""
        return self.activation is not None and self.activation.verdict == LOADED

    @property
    def is_default(self) -> bool:
        """The default offer on a fresh machine: safe, and no old nvidia module to unload."""
        return self.possible and self.facts is not None and not self.facts.nvidia_modules

    def why_not(self) -> str | None:
        """Why the choice is disabled (None: it is not)."""
        if self.activation is None:
            return "checking whether it can be loaded without a reboot…"
        if not self.state.can_apply:
            return self.state.apply_refusal or "applying is not possible here"
        if not self.activation.safe:
            return self.activation.reason
        return None

    def decision_lines(self) -> list[Line]:
        activation = self.activation
        if activation is None:
            return [Line("Checking whether it can be loaded without a reboot…", DIM)]
        if self.already_loaded:  # not "not possible": there is nothing to load
            return [
                Line(f"✓ Nothing to load: {activation.reason}; no reboot is needed.", OK, hang=2),
                Line("  n opens Verify, q quits.", DIM),
            ]
        if activation.safe and self.state.can_apply:
            lines = [Line(f"✓ {BUTTON}: {activation.reason}.", OK, hang=2)]
            return lines + [Line(f"  {note}", DIM, hang=2) for note in activation.notes]
        lines = [Line(f"{BUTTON}: not possible, {self.why_not()}.", WARN, hang=2)]
        others = activation.reasons[1:] if not activation.safe else ()
        lines += [Line(f"  also: {reason}.", DIM, hang=6) for reason in others]  # under the text
        if activation.until_reboot:  # what the old driver lacks meanwhile (fabric manager)
            lines.append(Line(f"! {activation.until_reboot}", WARN, hang=2))
        return lines

    # -- loading it --

    def start(self) -> ApplyRun:
        assert self.facts is not None and self.activation is not None
        plan = self.backend.activation_plan(self.state.host, self.facts, self.activation)
        self.progress = ApplyProgress(plan)
        self.outcome = None
        self.run = self.backend.start_apply(self.state.host, plan, self._receive)
        return self.run

    def _receive(self, event: ev.Event) -> None:
        with self._lock:
            self._events.append(event)

    def drain(self) -> list[str]:
        """Apply the queued events; returns the new log lines."""
        with self._lock:
            batch = list(self._events)
            self._events.clear()
        added: list[str] = []
        assert self.progress is not None
        for event in batch:
            added += self.progress.apply(event)
        if self.progress.outcome is not None and self.outcome is None:
            self.outcome = self.progress.outcome
            if self.outcome.ok:
                self.state.verify_pending = False  # loaded and verified: no reboot to wait for
        return added

    @property
    def running(self) -> bool:
        return self.run is not None and self.outcome is None

    @property
    def detached(self) -> bool:
        return bool(getattr(self.run, "detached", False))

    @property
    def activated(self) -> bool:
        return self.outcome is not None and self.outcome.ok

    def cancel(self) -> None:
        """Stops only before the first module leaves the kernel (the engine's rule)."""
        if self.run is not None:
            self.run.cancel()

    def outcome_lines(self) -> list[Line]:
        outcome, activation = self.outcome, self.activation
        if outcome is None or activation is None:
            return []
        if outcome.ok:
            return [
                Line(f"✓ {activation.summary_line()}.", OK, hang=2),
                Line("  It passed verify's checks; n opens Verify, q quits.", DIM),
            ]
        lines = [Line(f"✗ Not activated: {failure_reason(outcome)}.", DANGER, hang=2)]
        shown = outcome.next_action if self.state.host.is_real else None
        if shown:
            # a demo's next action names its command-line reboot: here the buttons below are
            lines.append(Line(f"  {shown}", HEADING, hang=2))
        meanwhile = activation.until_reboot
        said = "without fabric manager" in (shown or "")  # this machine's next action says it
        if meanwhile and outcome.failed_step in OLD_DRIVER_STAYS and not said:
            lines.append(Line(f"  {meanwhile}", WARN, hang=2))
        if outcome.log_path:
            lines.append(Line(f"  log: {outcome.log_path}", DIM))
        lines.append(Line("  The reboot loads it: choose below.", DIM))
        return lines
