"""`nvwizard install`: plan, simulate, confirm, apply, with plain line-by-line progress.

On this machine the apply runs in a detached worker (nvwizard/engine/detach.py) that survives
a dropped SSH session; this command follows its journal. On a demo or bundle machine the
engine runs in-process on the simulated machine: no command runs on this computer.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nvwizard.cli.activate_cmd import activate
from nvwizard.cli.apply_console import (
    ProgressPrinter,
    after_the_apply,
    confirm,
    print_outcome,
    refuse_unless_we_can_ask,
    refuse_unless_we_may_apply_here,
    run_detached,
    run_here,
)
from nvwizard.cli.consent import (
    IdsKeptWholeHelpFormatter,
    accept_lines,
    add_accept_option,
    blockers_before_asking,
    check_accept_ids,
    consent_question,
    refuse_unaccepted,
)
from nvwizard.cli.plan_cmd import add_plan_options, plan_from_args
from nvwizard.cli.simulation_check import simulate_or_refuse
from nvwizard.cli.terminal_text import detach_stdout
from nvwizard.engine import events as ev
from nvwizard.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    exit_codes_help,
)

if TYPE_CHECKING:
    from nvwizard.engine.in_process import InProcessApply


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "install",
        help="apply a plan: purge, install, verify (asks first; --dry-run runs nothing)",
        description="Build the plan (as `nvwizard plan` shows it), simulate it with apt-get -s, "
        "ask for confirmation, then apply it step by step with plain progress lines. Stops at "
        "the first failure with the log path and the repair. Applying to this machine needs "
        "root; a demo or bundle machine changes nothing.",
        epilog=exit_codes_help(),
        formatter_class=IdsKeptWholeHelpFormatter,
    )
    add_plan_options(parser)
    add_machine_options(parser)
    parser.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="apply without asking (for scripts and CI); a plan with blocking conditions only "
        "with --accept for each",
    )
    add_accept_option(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan and run nothing, not even apt-get -s"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="end with one JSON object on stdout saying how the install ended (whether a "
        "reboot is needed, the log and journal paths); the progress goes to stderr",
    )
    parser.add_argument(
        "--activate",
        action="store_true",
        help="after the install, load the new driver without a reboot when that is safe (the "
        "last line says whether it was loaded or a reboot is still needed); not with --reboot",
    )
    parser.set_defaults(run=run)


# -- progress for scripts ------------------------------------------------------------------


# -- the command ---------------------------------------------------------------------------


@dataclass
class InstallResult:
    """How `install` ended: what `--json` prints."""

    exit_code: int
    host: str
    driver: str
    finished: ev.Outcome | None = None  # None: a dry run, or no result came
    dry_run: bool = False
    # a dry run: whether the plan, applied, would need a reboot (None: not known, as with
    # --activate, which loads it without one only where the machine allows it then)
    would_need_reboot: bool | None = None
    events_path: str | None = None
    reboot_due_at: float | None = None  # when the scheduled reboot comes due (time.time())
    activated: bool | None = None  # --activate: the new driver runs now (None: not asked)
    # --activate: its last line, "Activated: ...", "Nothing to do: ..." or "Not activated: ..."
    activation: str | None = None
    # a failure on a demo: what goes on from there, in its own commands (no repair argv then:
    # this computer's dpkg never reaches the demo's)
    demo_repair: str | None = None
    # the driver and stack asked for are installed and loaded: nothing was run (no --reinstall)
    nothing_to_do: bool = False
    # nothing to reinstall: Secure Boot rejects the DKMS-built module until this key is enrolled
    key_to_enrol: str | None = None

    def to_json(self) -> dict:
        """The `install --json` object (documented in the README)."""
        done = self.finished
        if self.nothing_to_do:
            outcome = "dry-run" if self.dry_run else "done"
        elif done is None:
            outcome = "dry-run" if self.dry_run else ev.FAILED
        else:
            outcome = done.status
        return {
            "host": self.host,
            "driver": self.driver,
            "outcome": outcome,
            "message": done.message if done else self._nothing_to_do_line(),
            "reboot_required": self._reboot_required(),
            "reboot_scheduled": bool(done and done.reboot_scheduled),
            "reboot_due_at": self.reboot_due_at,
            "log_path": done.log_path if done else None,
            "events_path": self.events_path if done and done.log_path else None,
            "next_action": self._next_action(),
            "repair": list(done.repair) if done and done.repair and not self.demo_repair else None,
            "last_lines": list(done.last_lines) if done else [],
            "activated": self.activated,
            "activation": self.activation,
            "nothing_to_do": self.nothing_to_do,
        }

    def _nothing_to_do_line(self) -> str | None:
        # lazy: only when this command runs (see cli/commands.py)
        from nvwizard.plan.nothing_to_do import nothing_to_do_line

        return nothing_to_do_line(self.driver, self.key_to_enrol) if self.nothing_to_do else None

    def _reboot_required(self) -> bool | None:
        if self.dry_run:
            return self.would_need_reboot
        done = self.finished
        return bool(done and done.reboot_required) and not self.activated

    def _next_action(self) -> str | None:
        done = self.finished
        if done is not None and self.demo_repair and done.status == ev.FAILED:
            return self.demo_repair
        return done.next_action if done else None


def run(args: argparse.Namespace) -> int:
    if not args.json:
        return install(args).exit_code
    with contextlib.redirect_stdout(sys.stderr):  # stdout holds the JSON object alone
        installed = install(args)
    result = installed.to_json()
    try:
        print(json.dumps(result, indent=2), flush=True)
    except BrokenPipeError:
        raise  # main: exit 141
    except OSError as error:  # a full disk: the install ran, and its exit code says how it ended
        detach_stdout()
        print(
            f"nvwizard: cannot write the JSON result ({error.strerror or error}): the install "
            f"ended {result['outcome']}; `nvwizard status --json` says how",
            file=sys.stderr,
        )
    return installed.exit_code


def install(args: argparse.Namespace) -> InstallResult:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.plan.removals import removal_clause, removal_line, removed_packages
    from nvwizard.plan.text import format_plan

    if args.activate and args.reboot:
        raise UsageError(
            "--activate and --reboot exclude each other: --activate loads the driver without "
            "a reboot where that is safe, and says when a reboot is still needed"
        )
    check_accept_ids(args.accept)
    applies_here = not args.dry_run and args.machine is None and args.demo is None
    if applies_here:
        refuse_unless_we_may_apply_here()
    host, _, plan = plan_from_args(args)
    if plan.nothing_to_do:  # before the lock and the journal: nothing is applied
        return _nothing_to_do(args, host, plan)
    simulated_apply = None
    if not args.dry_run and not host.is_real:
        # lazy: only when this command runs (see cli/commands.py)
        from nvwizard.engine.in_process import InProcessApply

        printer = ProgressPrinter()
        simulated_apply = InProcessApply(host, plan, [printer])
        simulated_apply.refuse_to_start()  # busy, or no journal: before printing and asking
    print(format_plan(plan), flush=True)
    if args.activate:
        print(ACTIVATE_NOTE, flush=True)
    for line in accept_lines(plan, args.accept):
        print(line, flush=True)
    if args.dry_run:
        print("\nDry run: nothing was run.")
        reboot = None if args.activate else plan.needs_reboot
        return InstallResult(
            EXIT_OK, host.label, plan.driver, dry_run=True, would_need_reboot=reboot
        )
    refuse_unless_we_can_ask(args)  # before the simulation: fail fast in a script
    if args.yes:  # nobody is asked: only what was accepted by id goes ahead
        refuse_unaccepted(plan, args.accept)
    print("", flush=True)
    simulation, _ = simulate_or_refuse(host, plan, sys.stdout)
    print("", flush=True)
    # the question counts everything the apply removes (purged, autoremoved, replaced), listed
    # right above it: nothing is removed that the person did not see named
    removed = removed_packages(simulation)
    removing = removal_clause(removed)
    if removed:
        print(removal_line(removed), flush=True)
    then = ", then load the driver without a reboot if that is safe" if args.activate else ""
    accepting = consent_question(plan)
    for line in [] if args.yes else blockers_before_asking(plan):
        print(line, flush=True)
    confirm(
        args, f"Apply these {len(plan.steps)} steps to {host.label}{removing}{accepting}{then}?"
    )
    installed = InstallResult(EXIT_FAILED, host.label, plan.driver)
    if simulated_apply is None:
        installed.exit_code = _apply_detached(plan, installed, activating=args.activate)
    else:
        installed.exit_code = _apply_here(
            host, simulated_apply, printer, installed, activating=args.activate
        )
    if args.activate and installed.exit_code == EXIT_OK:
        _activate_after_install(host, plan, installed)
    return installed


def _nothing_to_do(args: argparse.Namespace, host, plan) -> InstallResult:
    """The driver and everything asked for are installed and loaded: say so, run nothing."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.plan.text import format_plan

    print(format_plan(plan), flush=True)
    if args.reboot:
        why = "a reboot loads the module only once its key is enrolled"
        if plan.mok_certificate is None:
            why = "the loaded driver is the planned one"
        print(f"--reboot: {why}; no reboot was scheduled.")
    return InstallResult(
        EXIT_OK,
        host.label,
        plan.driver,
        dry_run=args.dry_run,
        nothing_to_do=True,
        would_need_reboot=False,
        key_to_enrol=plan.mok_certificate,
    )


ACTIVATE_NOTE = (
    "\nThen (--activate): decide from the machine as it is after the install whether the new "
    "driver can be loaded without a reboot, and if so stop the GPU services, unload the old "
    "modules, load the new ones, start the services and verify."
)


def _activate_after_install(host, plan, installed: InstallResult) -> None:
    """install --activate's second half; the install's exit code stays."""
    print("", flush=True)
    result = activate(host, plan.driver, ask=None)
    if result.reboot_needed and host.is_real:
        print("After the reboot, run: sudo nvwizard verify", flush=True)
    print(result.line, flush=True)
    installed.activated = not result.reboot_needed
    installed.activation = result.line


def _apply_here(
    host,
    apply: InProcessApply,
    printer: ProgressPrinter,
    installed: InstallResult,
    activating: bool = False,
) -> int:
    """Demo and bundle machines: the engine runs in-process on the simulated machine, under
    the apply lock (engine/in_process.py). Ctrl+C stops after the running step.
    `installed` is filled in with how it ended."""
    finished = run_here(host, apply, printer)
    installed.finished = finished
    installed.events_path = apply.events_path
    machine = getattr(host, "simulator", None)
    installed.reboot_due_at = getattr(getattr(machine, "state", None), "reboot_due_at", None)
    installed.demo_repair = _demo_repair(host, apply)
    after = after_the_apply(host, rebooting=not apply.plan.keeps_driver)
    how = _demo_reboot(host, apply)
    return print_outcome(
        finished,
        is_real=False,
        after_reboot=after,
        activating=activating,
        reboot_how=how,
        demo_repair=installed.demo_repair,
        mok_certificate=apply.plan.mok_certificate,
        demo=host.kind == "demo",
        keeps_driver=apply.plan.keeps_driver,
    )


def _demo_reboot(host, apply: InProcessApply) -> str | None:
    """How the demo reboots from the command line, when it lives on in the state directory
    (the same words as `nvwizard status`: no `activate` while a kernel update waits for the
    reboot); None for any other simulated machine."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.host.demo_advice import demo_reboot_after_install
    from nvwizard.report.activation_facts import reboot_comes_first

    if host.saved_in is None:
        return None
    ruled_out = reboot_comes_first(host) is not None
    return demo_reboot_after_install(host.path.name, apply.plan.mok_certificate, ruled_out)


def _demo_repair(host, apply: InProcessApply) -> str | None:
    """After a failure on a demo or a bundle: what goes on from there, in the words `nvwizard
    status` uses (a simulated machine's dpkg is not this computer's: `dpkg --configure -a`
    never reaches it)."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.host.bundle_advice import after_bundle_failure
    from nvwizard.host.demo_advice import demo_repair, unkept_demo_repair
    from nvwizard.simulator.script import FAIL_ENV

    name, saved_in = host.path.name, host.saved_in
    if host.kind != "demo":
        said = after_bundle_failure(str(host.path), apply.plan.driver, apply.plan.install_options)
    elif saved_in is None:
        said = unkept_demo_repair(name)
    else:
        plan = apply.plan
        said = demo_repair(name, plan.driver, False, saved_in, plan.install_options)
    failing = os.environ.get(FAIL_ENV)
    if failing:  # the failure asked for: the same install fails again while it is set
        said += f". {FAIL_ENV}={shlex.quote(failing)} made it fail: unset it first"
    return said


def _apply_detached(plan, installed: InstallResult | None = None, activating: bool = False) -> int:
    """This machine: a worker outside the terminal applies; we follow its journal.
    `installed` is filled in with how it ended."""
    installed = installed or InstallResult(EXIT_FAILED, plan.host_label, plan.driver)
    printer = ProgressPrinter()
    followed, installed.events_path = run_detached(plan, printer)
    if not followed:
        return EXIT_INTERRUPTED
    installed.finished = printer.finished
    if printer.finished and printer.finished.reboot_scheduled:
        installed.reboot_due_at = time.time() + 60  # `shutdown -r +1`, scheduled just now
    return print_outcome(
        printer.finished,
        is_real=True,
        activating=activating,
        mok_certificate=plan.mok_certificate,
        keeps_driver=plan.keeps_driver,
    )
