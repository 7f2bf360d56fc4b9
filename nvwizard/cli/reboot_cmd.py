"""`nvwizard reboot`: reboot to load the installed driver, as `install --reboot` ends.

One step, the install's own reboot step (plan/reboot.py): `shutdown -r +1` with nvwizard's
message, shown, confirmed and applied like an install's steps, and journaled like them.

- This machine: needs root; the detached worker schedules the reboot in one minute, so an SSH
  session ends cleanly (`sudo shutdown -c` cancels it), and the state file then says a
  verification is due: after the boot `sudo nvwizard` opens Verify (or `sudo nvwizard verify`).
- A demo: the same step on the simulated machine, in this process; then its minute passes at
  the demo's pace and it boots, as after the wizard's *In one minute* (the simulator's own
  wait and boot): the boot's line shows what loaded, or why nothing did (a module DKMS built
  under Secure Boot is rejected). `nvwizard verify --demo NAME` comes next.
- A capture bundle (`--machine DIR`) is a snapshot of another machine: nothing there reboots,
  a usage error (exit 2).

The machine is shown first (the module for the running kernel, what is loaded, Secure Boot,
the GPU's users): a reboot ends every job on it. Where no nvidia module exists for the kernel
that boots next (a kernel update waits without Canonical's signed modules or a DKMS build for
it: verify's next-boot-modules check), the machine would come back without an NVIDIA driver:
the plan's blocking condition `no-next-boot-module`, named before the question (a yes accepts
it) and refused under --yes unless `--accept no-next-boot-module` (exit 3).
"""

from __future__ import annotations

import argparse

from nvwizard.cli.apply_console import (
    ProgressPrinter,
    confirm,
    print_outcome,
    refuse_unless_we_may_apply_here,
    run_detached,
    run_here,
)
from nvwizard.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    RefusedError,
    UsageError,
    exit_codes_help,
    shown,
)

EXIT_CODES = (
    (
        EXIT_OK,
        "the reboot is scheduled (this machine) or done (a demo); --dry-run: nothing was run",
    ),
    (EXIT_FAILED, "the reboot could not be scheduled (`shutdown` failed); nothing was changed"),
    (
        EXIT_USAGE,
        "usage error; --machine DIR: a capture bundle is a snapshot, nothing there reboots",
    ),
    (
        EXIT_REFUSED,
        "refused: not root, not confirmed, another apply running, no NVIDIA driver installed, "
        "no NVIDIA GPU, or (--yes) no nvidia module for the kernel that boots next without "
        "--accept no-next-boot-module",
    ),
    (
        EXIT_INTERRUPTED,
        "interrupted with Ctrl+C (a reboot already scheduled stays so: `sudo shutdown -c` "
        "cancels it on this machine; a demo's comes once its minute has passed)",
    ),
)
BUNDLE_REFUSED = (
    "--machine {folder}: a capture bundle is a snapshot of a machine, nothing there reboots "
    "(reboot the machine it was captured on there: `sudo nvwizard reboot`; or try a demo: "
    "`nvwizard reboot --demo NAME`)"
)


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "reboot",
        help="reboot to load the installed driver (this machine: in one minute; a demo: its "
        "simulated reboot)",
        description="Show the machine (the installed driver's module, what is loaded, Secure "
        "Boot, the GPU's users), ask, then reboot it to load the installed driver, with the "
        "step `install --reboot` ends with: on this machine `shutdown -r +1` (needs root; "
        "cancel it with `sudo shutdown -c`; after the boot, `sudo nvwizard` opens Verify), "
        "on a demo its simulated reboot, after which `nvwizard verify --demo NAME` checks it. "
        "A capture bundle (--machine) is a snapshot: nothing there reboots.",
        epilog=exit_codes_help(EXIT_CODES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_machine_options(parser)
    for action in parser._actions:
        if "--machine" in action.option_strings:
            action.help = "refused (exit 2): a capture bundle is a snapshot, nothing there reboots"
    parser.add_argument("-y", "--yes", action="store_true", help="reboot without asking")
    parser.add_argument(
        "--accept",
        metavar="ID",
        action="append",
        default=[],
        dest="accept",
        help="with --yes, reboot even though the kernel that boots next has no nvidia module "
        "(no-next-boot-module: the machine comes back without an NVIDIA driver); without it "
        "--yes refuses that reboot (exit 3)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="show the machine and the step with its exact command; run nothing",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.cli.consent import check_accept_ids
    from nvwizard.plan.reboot import REBOOT_BLOCKER_IDS
    from nvwizard.simulator.select import host_from_args

    if not args.dry_run and args.machine is None and args.demo is None:
        refuse_unless_we_may_apply_here()

    check_accept_ids(args.accept, REBOOT_BLOCKER_IDS)
    host = host_from_args(args.machine, args.demo)
    if host.kind == "bundle":  # read like any command's, then refused: a snapshot
        raise UsageError(BUNDLE_REFUSED.format(folder=shown(args.machine)))
    return reboot(host, args)


def reboot(host, args: argparse.Namespace) -> int:
    """Show the machine and the step, ask (unless --yes), then reboot `host`."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.cli.activate_cmd import nothing_installed
    from nvwizard.cli.activation_text import format_facts
    from nvwizard.cli.consent import accept_lines, refuse_unaccepted
    from nvwizard.plan.reboot import build_reboot_plan
    from nvwizard.plan.text import format_plan_steps
    from nvwizard.report.activation_facts import activation_facts

    facts = activation_facts(host, None)
    if facts.module_version is None and facts.driver == "nvidia":
        raise RefusedError(nothing_installed(host, "nothing to load at a reboot"))
    plan = build_reboot_plan(facts, host.label, _missing_module(host))
    printer, apply = ProgressPrinter(), None
    if not args.dry_run and not host.is_real:
        # lazy: only when this command runs (see cli/commands.py)
        from nvwizard.engine.in_process import InProcessApply

        apply = InProcessApply(host, plan, [printer])
        apply.refuse_to_start()  # busy, or no journal: before showing and asking
    print(f"Rebooting {host.label} to load the installed driver: the machine now", flush=True)
    print("\n".join(format_facts(facts)), flush=True)
    for note in _notes(host, facts, plan):
        print(note, flush=True)
    print("", flush=True)
    print(format_plan_steps(plan), flush=True)
    for line in accept_lines(plan, args.accept):
        print(line, flush=True)
    if args.dry_run:
        print("\nDry run: nothing was run.", flush=True)
        return EXIT_OK
    if args.yes:  # nobody is asked: only what was accepted by id goes ahead
        refuse_unaccepted(plan, args.accept)
    confirm(args, _question(host, facts, plan))
    print("", flush=True)
    if apply is None:
        return _schedule_here(plan, printer)
    return _reboot_the_simulated_machine(host, apply, printer)


def _notes(host, facts, plan) -> list[str]:
    """What the person should know before the reboot: it loads nothing new, Secure Boot
    rejects the module, the demo is not kept."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.knowledge.secure_boot import before_the_reboot, demo_after_the_install
    from nvwizard.report.activation import LOADED, decide_activation

    notes = [f"Blocking condition [{b.id}]: {b.message}" for b in plan.blockers]
    activation = decide_activation(facts)
    if activation.verdict == LOADED:
        notes.append(
            f"The installed driver, nvidia {activation.version}, is loaded already: this reboot "
            "loads nothing new."
        )
    if plan.mok_certificate is not None:
        notes.append(
            before_the_reboot(plan.mok_certificate) if host.is_real else demo_after_the_install()
        )
    if not host.is_real and host.saved_in is None:
        notes.append(
            "The demo is not kept between commands (NVWIZARD_STATE_DIR is not set): its reboot "
            "ends with this command, and the next command starts from its bundle again."
        )
    return notes


def _missing_module(host) -> str | None:
    """Why the kernel that boots next has no nvidia module, and the fix; None: it has one."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.engine.next_boot import missing_module_words

    return missing_module_words(host)


def _question(host, facts, plan) -> str:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.cli.consent import consent_question
    from nvwizard.report.activation import count_words, gpu_jobs

    jobs = gpu_jobs(facts)
    ending = f", ending {count_words(len(jobs), 'job')} on the GPU" if jobs else ""
    ending += consent_question(plan)
    if host.is_real:
        return f"Reboot this machine in one minute{ending}?"
    return f"Reboot {host.label}{ending} (simulated: this computer does not reboot)?"


def _schedule_here(plan, printer: ProgressPrinter) -> int:
    """This machine: the detached worker applies the step, as it applies an install."""
    if not run_detached(plan, printer)[0]:
        return EXIT_INTERRUPTED
    return print_outcome(printer.finished, is_real=True, mok_certificate=plan.mok_certificate)


def _reboot_the_simulated_machine(host, apply, printer: ProgressPrinter) -> int:
    """A demo: the step schedules the simulated machine's reboot; its minute passes at the
    demo's pace, then it boots, and the boot's line says what loaded."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.host.demo import demo_name
    from nvwizard.host.demo_advice import verify_command
    from nvwizard.simulator.machine import SimulatedMachine

    finished = run_here(host, apply, printer)
    machine = host.simulator
    if finished is None or not finished.ok or not isinstance(machine, SimulatedMachine):
        return print_outcome(finished, is_real=False, demo=True)
    print(
        "The simulated machine's reboot is scheduled in one minute (seconds at the demo's "
        "pace); this computer does not reboot.",
        flush=True,
    )
    machine.wait_for_scheduled_reboot()
    boot = machine.last_boot
    if boot is None:  # cancelled meanwhile (`shutdown -c` from another command)
        print("nvwizard: the demo's reboot was cancelled before it came", flush=True)
        return EXIT_FAILED
    print(f"simulated: {boot.summary()}", flush=True)
    demo = demo_name(host.label)
    if demo is not None and host.saved_in is not None:
        print(f"Next: run `{verify_command(demo)}`", flush=True)
    print("(demo or bundle machine: nothing on this computer was changed)", flush=True)
    if finished.log_path:
        print(f"Log: {finished.log_path}", flush=True)
    return EXIT_OK
