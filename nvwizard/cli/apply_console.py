"""Running an apply from a terminal: one plain line per engine event, the outcome in words
and its exit code, the confirmation question, and the apply itself, in-process (demo and
bundle machines) or in the detached worker (this machine). Shared by `install` and
`activate`."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from nvwizard.cli.stop_signals import Terminated
from nvwizard.engine import events as ev
from nvwizard.engine import paths
from nvwizard.engine.journal import check_writable
from nvwizard.engine.progress import ADDED_MARK, PlanProgress
from nvwizard.errors import EXIT_FAILED, EXIT_OK, RefusedError
from nvwizard.knowledge.secure_boot import after_the_install, demo_after_the_install

EXIT_CANCELLED = EXIT_FAILED
LOCK_WAIT_EVERY_S = 10

if TYPE_CHECKING:
    from nvwizard.engine.in_process import InProcessApply


class ProgressPrinter:
    """Engine listener printing one plain line per event (progress only when the percent moves)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.progress = PlanProgress()
        self._last_percent: int | None = None
        self._last_lock_line = 0.0

    @property
    def finished(self) -> ev.Outcome | None:
        return self.progress.outcome

    def _print(self, text: str) -> None:
        _say(text, self.out)

    def __call__(self, event: ev.Event) -> None:
        self.progress.update(event)
        if isinstance(event, ev.StepOutput):
            for line in event.shown_lines:
                self._print("    " + line)
        elif isinstance(event, ev.StepProgress) and event.phase == "lock-wait":
            # a countdown every second: one line each LOCK_WAIT_EVERY_S is enough for a log
            if event.time - self._last_lock_line >= LOCK_WAIT_EVERY_S:
                self._last_lock_line = event.time
                self._print(f"    {event.text}")
        elif isinstance(event, ev.StepProgress):
            percent = int(event.percent)
            if percent != self._last_percent:
                self._last_percent = percent
                self._print(f"    [{percent:3d}%] {event.text}".rstrip())
        elif isinstance(event, ev.PlanStarted):
            self._print(f"==> applying on {event.host}")
        elif isinstance(event, ev.StepStarted):
            self._last_percent = None
            progress = self.progress
            counter = f"[{progress.step_index}/{progress.step_count}]"
            self._print(f"==> {ADDED_MARK if progress.step_added else counter} {event.title}")
            for argv in event.argv:
                self._print("    $ " + shlex.join(argv))
        elif isinstance(event, ev.StepFinished):
            verdict = "ok" if event.ok else f"FAILED (exit {event.exit_code})"
            self._print(f"    {verdict} in {event.duration_s} s")


def _say(text: str, out: TextIO) -> None:
    """One line for the person watching, who may have gone: a closed pipe or a terminal hung
    up must not stop the apply in the middle of a step (the journal has every line)."""
    try:
        print(text, file=out, flush=True)
    except OSError:
        pass


def print_outcome(
    finished: ev.Outcome | None,
    is_real: bool,
    out=None,
    after_reboot: str | None = None,
    activating: bool = False,
    reboot_how: str | None = None,
    demo_repair: str | None = None,
    mok_certificate: str | None = None,
    demo: bool = False,
    keeps_driver: bool = False,
) -> int:
    """The end of an apply in words, and the exit code.

    `after_reboot` says what to run once the machine has rebooted (demo and bundle runs; a
    real machine: `verify`). `activating`: loading the driver without a reboot comes next, so
    the reboot is not asked for here. `reboot_how`: how a demo kept in the state directory
    reboots (a simulated machine is never rebooted by this computer's `reboot`).
    `demo_repair`: after a failure on a demo, what goes on from there in the demo's own
    commands, said instead of the outcome's next action and repair (this computer's `dpkg`).
    `mok_certificate`: Secure Boot rejects the module DKMS built until the key of this
    certificate is enrolled (the plan's), so the reboot alone does not load it; a simulated
    machine's enrols no key (`demo`: a demo machine, else a bundle's). `keeps_driver`: the
    plan only added beside the running driver, so no reboot comes (`after_reboot` then says
    what to run next without one).
    """
    out = out or sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    if finished is None:
        say("nvwizard: the apply ended without a result; see `nvwizard status`")
        return EXIT_FAILED
    sudo = "sudo " if is_real else ""
    if finished.status == ev.DONE:
        say("Done: every step succeeded.")
        enrol = mok_certificate if is_real else None
        lines = _after_done(
            finished, is_real, after_reboot, activating, reboot_how, enrol, keeps_driver
        )
        if mok_certificate and lines and not (is_real or activating):  # no reboot loads it
            lines = _rejected_at_the_demos_boot(finished, lines, reboot_how, demo)
        for line in lines:
            say(line)
        if not is_real:
            say("(demo or bundle machine: nothing on this computer was changed)")
        if finished.log_path:
            say(f"Log: {finished.log_path}")
        return EXIT_OK
    if finished.status == ev.CANCELLED:
        say(f"Cancelled: {finished.message or 'stopped between steps'}")
    else:
        say(f"FAILED: {finished.message or 'a step failed'}")
        for line in finished.last_lines:
            say(f"  | {line}")
    if finished.reboot_required:  # stopped after the driver's install step (--json says so too)
        say("The new driver's packages are installed: a reboot loads it.")
    if finished.log_path:
        say(f"Log: {finished.log_path}")
    if demo_repair and finished.status != ev.CANCELLED:
        say(f"Next: {demo_repair}")
        return EXIT_FAILED
    if finished.next_action:
        say(f"Next: {finished.next_action}")
    if finished.repair:
        say(f"Repair: {sudo}{shlex.join(finished.repair)}")
    return EXIT_FAILED if finished.status != ev.CANCELLED else EXIT_CANCELLED


def _rejected_at_the_demos_boot(
    finished: ev.Outcome, lines: list[str], reboot_how: str | None, demo: bool
) -> list[str]:
    """A simulated machine enrols no key, so no reboot loads the module DKMS built under
    Secure Boot: say so instead of "the new driver loads at the reboot", keeping how the
    reboot that shows the rejection comes (scheduled, or the demo's command) and the verify."""
    said = demo_after_the_install(demo)
    if finished.reboot_scheduled:
        return [lines[0], said, lines[-1]]
    how = [f"To see its boot reject the module: {reboot_how}."] if reboot_how else []
    return [said, *how, lines[-1]]


def _after_done(
    finished: ev.Outcome,
    is_real: bool,
    after_reboot: str | None,
    activating: bool,
    reboot_how: str | None,
    enrol: str | None,
    keeps_driver: bool = False,
) -> list[str]:
    """What comes after a successful apply: the reboot that loads the driver (and, under
    Secure Boot with a module DKMS built, the enrolment of `enrol`'s key first), then what to
    run (always the last line, when there is one). A plan that kept the running driver needs
    no reboot: what it added is verified next."""
    sudo = "sudo " if is_real else ""
    after = after_reboot or f"After it, run: {sudo}nvwizard verify"
    if keeps_driver and enrol:  # kept, but Secure Boot rejects its module: the key first
        return [after_the_install(enrol, False), after]
    if keeps_driver:
        said = "The running driver stays loaded: no reboot is needed."
        return [said, after_reboot or f"Next, run: {sudo}nvwizard verify"]
    if finished.reboot_scheduled and is_real:
        lines = [f"The reboot is scheduled in one minute (cancel it: {sudo}shutdown -c)."]
        return lines + ([after_the_install(enrol, True)] if enrol else []) + [after]
    if finished.reboot_scheduled:
        return [
            "The simulated machine's reboot is scheduled in one minute (seconds at the "
            "demo's pace); this computer does not reboot.",
            after,
        ]
    if finished.reboot_required and activating:
        return ["Next: loading the new driver without a reboot, if that is safe."]
    if finished.reboot_required and is_real:
        reboot = after_the_install(enrol, False) if enrol else None
        return [reboot or "A reboot is needed to load the new driver: sudo reboot", after]
    if finished.reboot_required and reboot_how:
        return [f"The new driver loads at the demo's next reboot: {reboot_how}.", after]
    if finished.reboot_required:
        return [
            "The new driver loads at the simulated machine's next reboot (this computer "
            "does not reboot).",
            after,
        ]
    return []


def after_the_apply(host, rebooting: bool = True) -> str:
    """What shows the simulated reboot (`rebooting`: none comes when the plan kept the running
    driver) and the verification. A demo saved in the state directory lives on after this
    command: `verify` sees it. Otherwise the simulated machine ends with this command (a later
    `verify` would check the untouched bundle): the wizard shows both."""
    seen = "the reboot and the verification" if rebooting else "the verification"
    if host.kind == "demo":
        if host.saved_in is not None:
            when = (
                "After the demo's reboot (seconds at its pace), run" if rebooting else "Next, run"
            )
            return f"{when}: nvwizard verify --demo {host.path.name}"
        return (
            f"To see {seen}, run the wizard: nvwizard --demo {host.path.name} (or set "
            "NVWIZARD_STATE_DIR to keep the demo machine between commands)"
        )
    return f"To see {seen}, run the wizard: nvwizard --machine {host.path}"


def refuse_unless_we_may_apply_here() -> None:
    """Root, no other apply running, and places to journal it: checked before planning,
    simulating or asking."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.engine.lock import ApplyBusyError, current_holder

    if os.geteuid() != 0:
        raise RefusedError(
            "applying to this machine needs root: run it with sudo "
            "(or add --dry-run, or try --demo)"
        )
    holder = current_holder()
    if holder is not None:
        raise ApplyBusyError(holder)
    check_writable(paths.log_dir(), paths.state_dir())


def refuse_unless_we_can_ask(args: argparse.Namespace) -> None:
    if not args.yes and not sys.stdin.isatty():
        raise RefusedError(
            "not confirmed: stdin is not a terminal; pass --yes to apply without asking"
        )


def confirm(args: argparse.Namespace, question: str) -> None:
    if args.yes:
        return
    refuse_unless_we_can_ask(args)
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise RefusedError("not confirmed: nothing was changed")


def run_here(host, apply: InProcessApply, printer: ProgressPrinter) -> ev.Outcome | None:
    """Run an in-process apply (printing through `printer`, one of its listeners) in a thread
    that Ctrl+C cannot cut: it stops after the running step. Its outcome."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.engine.journal import keeps_its_log

    failure: list[BaseException] = []
    ended = threading.Event()

    def work() -> None:
        try:
            apply.run()
        except BaseException as error:  # said by main() in one line, on the main thread
            failure.append(error)
        finally:
            ended.set()

    threading.Thread(target=work, name="nvwizard-apply", daemon=True).start()
    _wait_cancelling_on_interrupt(ended, apply)
    if failure:
        raise failure[0]
    finished = printer.finished
    if finished is not None and not keeps_its_log(host):
        finished = replace(finished, log_path=None)  # its folder goes when this command ends
    return finished


def _wait_cancelling_on_interrupt(ended: threading.Event, apply: InProcessApply) -> None:
    """Wait until the apply's thread has ended; each Ctrl+C meanwhile asks it (once) to stop
    after the running step, and the wait goes on. An Event, not Thread.join: on Python 3.11 a
    join cut by Ctrl+C can leave is_alive() False while the thread still runs, and this
    process would end in the middle of a step."""
    interrupted: KeyboardInterrupt | None = None
    while not ended.is_set():
        try:
            if interrupted is not None and not apply.cancelled:
                apply.cancel()
                why = f" ({interrupted})" if str(interrupted) else ""  # SIGTERM, SIGHUP
                _say(f"nvwizard: cancelling after the running step finishes{why}", sys.stderr)
            ended.wait(0.2)
        except KeyboardInterrupt as interrupt:  # Ctrl+C, or SIGTERM/SIGHUP (cli/stop_signals)
            interrupted = interrupt


def run_detached(plan, printer: ProgressPrinter) -> tuple[bool, str]:
    """Run `plan` in the detached worker on this machine and follow it: (False when the
    person stopped following, Ctrl+C: the apply goes on; its journal's path)."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.engine.detach import DetachedRun

    run = DetachedRun(plan, on_event=printer)
    started = run.start()
    assert started is not None
    print(f"nvwizard: applying in the background ({started.method}); log: {started.log_path}")
    try:
        run.run()
    except KeyboardInterrupt as stop:
        _say(
            "\nnvwizard: stopped following; the apply goes on. "
            "Follow it with `nvwizard logs -f`, check it with `nvwizard status`.",
            sys.stderr,
        )
        if isinstance(stop, Terminated):
            raise  # SIGTERM, SIGHUP: main() exits 143, 129
        return False, str(started.events_path)
    return True, str(started.events_path)
