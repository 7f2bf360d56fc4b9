"""The step engine: applies a plan through the host, one step at a time, and reports events.

`Engine(host, plan, journal, listeners).run()` blocks until the plan ends; front ends run it in
a worker thread and receive every event through their listener (called on that thread). The
engine never starts a shell and never kills a command: `cancel()` lets the running step
finish and then stops, because killing dpkg mid-transaction leaves a broken system.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace

from nvwizard.detect.misc import parse_lock_holders
from nvwizard.engine import events as ev
from nvwizard.engine import restore_holds as restore
from nvwizard.engine.activate import ActivationGuard
from nvwizard.engine.diagnose import (
    PACKAGE_STATES_ARGV,
    REPAIR_DPKG,
    BrokenPackage,
    Diagnosis,
    diagnose,
    parse_package_states,
)
from nvwizard.engine.events import CANCELLED, DONE, FAILED, Outcome
from nvwizard.engine.simulated_advice import cancelled_advice, stopped_advice
from nvwizard.engine.status_fd import parse_status_line
from nvwizard.engine.step_results import (
    LOCK_SOURCE,
    LOCK_WAIT_PREFIX,
    LockWait,
    StepFailed,
    check_stack,
    fully_installed,
    relevant_lines,
)
from nvwizard.host.base import Host
from nvwizard.host.demo_advice import demo_of
from nvwizard.plan import models as pm
from nvwizard.plan.demo_words import for_demo_step
from nvwizard.plan.models import Plan, Step

Listener = Callable[[ev.Event], None]

# Passed to every command; the host merges it into its own environment, so APT_CONFIG,
# DPKG_ROOT and PATH (and with them a sandbox) pass through untouched.
COMMAND_ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8"}

TAIL_LINES = 200  # output lines kept per step for the failure message


class _Chunk:
    """Output lines waiting to be sent as one StepOutput event: consecutive lines of one
    stream, within one burst of the command's output. A flood of output then costs one event
    (one journal record, one front-end update) per burst instead of one per line."""

    def __init__(self, emit: Listener, step_id: str):
        self._emit = emit
        self._step_id = step_id
        self._stream = ""
        self._lines: list[str] = []

    def add(self, stream: str, line: str) -> None:
        if stream != self._stream:
            self.send()
            self._stream = stream
        self._lines.append(line)

    def send(self) -> None:
        if self._lines:
            self._emit(ev.StepOutput(self._step_id, self._stream, tuple(self._lines)))
            self._lines = []


class Engine:
    def __init__(
        self,
        host: Host,
        plan: Plan,
        journal: Listener | None = None,
        listeners: Iterable[Listener] = (),
    ):
        self.host = host
        self.plan = plan
        self.journal = journal
        self._listeners: list[Listener] = ([journal] if journal else []) + list(listeners)
        self._cancel = threading.Event()
        self._guard = (
            ActivationGuard(host, plan, self._output) if plan.purpose == pm.ACTIVATE_PLAN else None
        )

    def cancel(self) -> None:
        """Stop after the running step (never in the middle of one)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -- events ---------------------------------------------------------------------------

    def _emit(self, event: ev.Event) -> None:
        for listener in self._listeners:
            listener(event)

    def _output(self, step: Step, stream: str, line: str) -> None:
        self._emit(ev.StepOutput(step=step.id, stream=stream, lines=(line,)))

    def _may_stop(self) -> bool:
        """Cancelled, and stopping now leaves the machine whole (an activation that has taken
        the old module out goes on until the new one is in)."""
        return self._cancel.is_set() and (self._guard is None or self._guard.may_cancel())

    def _log_path(self) -> str | None:
        path = getattr(self.journal, "log_path", None)
        return str(path) if path else None

    # -- running --------------------------------------------------------------------------

    def run(self) -> Outcome:
        self._emit(ev.PlanStarted(plan=self.plan, pid=os.getpid(), host=self.host.label))
        outcome = Outcome(status=DONE, log_path=self._log_path())
        steps_done: list[str] = []
        reboot_required = reboot_scheduled = False
        for step in self.plan.steps:
            if self._may_stop():
                outcome = replace(
                    outcome,
                    status=CANCELLED,
                    message=f"cancelled before: {step.title}",
                    next_action=cancelled_advice(self.host, self.plan),
                )
                break
            try:
                self._run_step(step)
            except StepFailed as failure:
                diagnosis = failure.diagnosis
                simulated = stopped_advice(self.host, self.plan, step)  # not this machine's dpkg
                outcome = replace(
                    outcome,
                    status=FAILED,
                    failed_step=step.id,
                    message=f"{step.title} failed: {diagnosis.message}",
                    next_action=simulated or diagnosis.next_action,
                    repair=tuple(diagnosis.repair) if diagnosis.repair else None,
                    broken_packages=tuple(diagnosis.broken),
                    last_lines=tuple(relevant_lines(failure.lines)),
                )
                if self._guard is not None:
                    reboot_required = True  # the installed driver is not the loaded one
                    self._restore_after(step)
                break
            steps_done.append(step.id)
            if step.kind in pm.NEEDS_REBOOT:
                reboot_required = True
            if step.kind == pm.REBOOT:
                reboot_scheduled = True
        if outcome.status != DONE:
            outcome = self._put_holds_back(outcome, steps_done)
            # Stopped short, a reboot loads a new driver only once its packages are installed
            # (a purge alone leaves none; a failed install leaves it half-configured: repair)
            installed = any(s.kind == pm.INSTALL and s.id in steps_done for s in self.plan.steps)
            reboot_required = reboot_required and (installed or self._guard is not None)
        outcome = replace(
            outcome,
            reboot_required=reboot_required,
            reboot_scheduled=reboot_scheduled,
            steps_done=tuple(steps_done),
        )
        self._emit(ev.PlanFinished(outcome=outcome))
        return outcome

    def _put_holds_back(self, outcome: Outcome, steps_done: list[str]) -> Outcome:
        """An apply that stopped between releasing the administrator's holds and carrying
        them over holds again what is still installed (a step of its own, added to
        `steps_done` when it succeeds), and says so."""
        started = steps_done + ([outcome.failed_step] if outcome.failed_step else [])
        if not restore.holds_left_released(self.plan, started, steps_done):
            return outcome
        installed = restore.installed_now(self.host, self.plan, COMMAND_ENV)
        back = restore.HoldsBack.of(self.plan, installed)
        step = back.step()
        demo = demo_of(self.host)
        if demo is not None:
            step = for_demo_step(step, self.plan, demo)
        held = True
        try:
            if back.hold:
                self._run_step(step)
                steps_done.append(step.id)
        except StepFailed:
            held = False  # its output is in the log; the outcome stays the apply's
        said = back.said(held, simulated=self.host.kind != "local")
        return replace(outcome, message="; ".join(filter(None, [outcome.message, said])))

    def _restore_after(self, failed: Step) -> None:
        """An activation whose unload failed: start the stopped services again (a step)."""
        assert self._guard is not None
        restore = self._guard.restore_step(failed)
        if restore is None:
            return
        try:
            self._run_step(restore)
        except StepFailed:
            pass  # its output and failure are in the log; the outcome stays the unload's

    def _run_step(self, step: Step) -> None:
        commands = tuple(tuple(argv) for argv in step.commands)
        self._emit(
            ev.StepStarted(step=step.id, title=step.title, argv=commands, step_kind=step.kind)
        )
        started = time.monotonic()
        exit_code = 0
        if step.kind == pm.PREFLIGHT:
            self._name_lock_holders(step)
        guard = self._guard
        try:
            refused = guard.before(step) if guard is not None else None
            if refused is not None:
                raise StepFailed(1, refused, [refused.message])
            self._write_files(step)
            for argv in step.commands:
                exit_code, lines = self._run_command(step, argv)
                failure = self._judge(step, argv, exit_code, lines)
                if failure is not None:
                    raise failure
            if guard is not None:
                after = guard.after(step)
                if after is not None:
                    raise StepFailed(1, after, [after.message])
        except StepFailed as failure:
            if guard is not None and failure.diagnosis.cause != "verify":
                self._output(step, "stdout", guard.loaded_now())
            self._finish_step(step, failure.exit_code or 1, started, ok=False)
            raise
        self._finish_step(step, exit_code, started, ok=True)

    def _write_files(self, step: Step) -> None:
        """A step's files (an apt pin, a sources list), each said in the log, before its
        commands; one that cannot be written fails the step."""
        for write in step.writes:
            line = f"nvwizard: writing {write.path} ({len(write.content.splitlines())} lines)"
            self._output(step, "stdout", line)
            try:
                self.host.write_file(write.path, write.content, write.mode)
            except OSError as error:
                why = f"cannot write {write.path}: {error.strerror or error}"
                self._output(step, "stderr", f"nvwizard: {why}")
                raise StepFailed(
                    1,
                    Diagnosis("write", why, "Fix the cause (a read-only /etc?), then apply again."),
                    [f"nvwizard: {why}"],
                ) from None

    def _name_lock_holders(self, step: Step) -> None:
        """Say who holds the package manager's lock now; apt then waits for it (never forced)."""
        try:
            text = self.host.read(LOCK_SOURCE)
        except OSError:
            text = None
        holders = {(h.pid, h.name) for h in parse_lock_holders(text or "")}
        timeout = self.plan.choices.lock_timeout_s
        for pid, name in sorted(holders):
            line = (
                f"nvwizard: the package manager lock is held by {name} (pid {pid}); "
                f"apt waits up to {timeout} s for it"
            )
            self._output(step, "stdout", line)

    def _finish_step(self, step: Step, exit_code: int, started: float, ok: bool) -> None:
        duration = round(time.monotonic() - started, 3)
        self._emit(ev.StepFinished(step=step.id, exit_code=exit_code, duration_s=duration, ok=ok))

    def _run_command(self, step: Step, argv: list[str]) -> tuple[int, list[str]]:
        tail: deque[str] = deque(maxlen=TAIL_LINES)
        try:
            command = self.host.start(argv, COMMAND_ENV)
        except OSError as error:
            line = f"nvwizard: cannot run {argv[0]}: {error.strerror or error}"
            self._output(step, "stderr", line)
            return 127, [line]
        lock_wait = LockWait(argv)
        chunk = _Chunk(self._emit, step.id)
        for burst in command.bursts():
            progress: ev.StepProgress | None = None  # apt's latest percent in this burst
            for out in burst:
                if out.stream == "status":
                    progress = self._on_status_line(step, out.text, tail) or progress
                    continue
                if out.text.startswith(LOCK_WAIT_PREFIX):
                    countdown = lock_wait.seen(out.text, step.id)
                    if countdown is not None:  # repeated once a second: a countdown, not a line
                        chunk.send()
                        self._emit(countdown)
                        continue
                tail.append(out.text)
                chunk.add(out.stream, out.text)
            # The burst is over: its lines are shown now, then where apt stands after them
            # (the percents it passed on the way, all read at once, were never on screen).
            chunk.send()
            if progress is not None:
                self._emit(progress)
        return command.wait(), list(tail)

    def _on_status_line(self, step: Step, text: str, tail: deque[str]) -> ev.StepProgress | None:
        """An apt Status-Fd line: its progress, or None (an error is kept in `tail`)."""
        status = parse_status_line(text)
        if status is None:
            return None
        if status.kind == "error":
            # dpkg usually prints the same error itself; keep apt's copy only when it did not.
            if not any(status.text in line for line in tail):
                tail.append(f"dpkg: error processing {status.package}: {status.text}")
        elif status.percent is not None:
            return ev.StepProgress(
                step=step.id, percent=status.percent, text=status.text, phase=status.kind
            )
        return None

    # -- judging a command ----------------------------------------------------------------

    def _judge(
        self, step: Step, argv: list[str], exit_code: int, lines: list[str]
    ) -> StepFailed | None:
        if self._guard is None:
            return self._check(step, argv, exit_code, lines)
        diagnosis = self._guard.judge(step, argv, exit_code, lines)
        return None if diagnosis is None else StepFailed(exit_code or 1, diagnosis, lines)

    def _check(
        self, step: Step, argv: list[str], exit_code: int, lines: list[str]
    ) -> StepFailed | None:
        if step.kind == pm.PREFLIGHT and argv[:2] == ["dpkg", "--audit"]:
            if exit_code != 0 or any(line.strip() for line in lines):
                return StepFailed(
                    exit_code or 1,
                    Diagnosis(
                        "interrupted",
                        "dpkg reports unfinished packages (`dpkg --audit`)",
                        "Run `dpkg --configure -a` to finish them, then apply again.",
                        REPAIR_DPKG,
                        self._broken_packages(step),
                    ),
                    lines,
                )
            return None
        if step.kind == pm.VERIFY:
            return self._check_verify(step, exit_code, lines)
        if step.kind == pm.STACK_CHECK and exit_code == 0:
            return check_stack(argv, lines)
        if exit_code == 0:
            return None
        return StepFailed(exit_code, diagnose(lines, self._broken_packages(step)), lines)

    def _check_verify(self, step: Step, exit_code: int, lines: list[str]) -> StepFailed | None:
        not_installed = []
        for line in lines:
            parts = line.split("\t")
            if len(parts) >= 2 and not fully_installed(parts[1]):
                not_installed.append(f"{parts[0]} ({parts[1].strip() or 'not installed'})")
            elif "no packages found matching" in line:
                not_installed.append(line.rsplit(" ", 1)[-1] + " (not installed)")
        if exit_code == 0 and not not_installed:
            return None
        return StepFailed(
            exit_code or 1,
            Diagnosis(
                "verify",
                "not every planned package is installed: " + ", ".join(not_installed),
                "Read the install log above; run `dpkg --configure -a` if a package is unfinished.",
                REPAIR_DPKG,
                self._broken_packages(step),
            ),
            lines,
        )

    def _broken_packages(self, step: Step) -> list[BrokenPackage]:
        """Ask dpkg-query which packages a failed transaction left unfinished."""
        try:
            command = self.host.start(PACKAGE_STATES_ARGV, COMMAND_ENV)
            text = "\n".join(out.text for out in command.lines() if out.stream == "stdout")
            command.wait()
        except OSError:
            return []
        broken = parse_package_states(text)
        for package in broken:
            line = f"nvwizard: {package.name} is {package.meaning} ({package.state})"
            self._output(step, "stderr", line)
        return broken
