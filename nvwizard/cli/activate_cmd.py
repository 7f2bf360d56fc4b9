"""`nvwizard activate`: load the installed driver now, without a reboot, when that is safe.

Also the second half of `nvwizard install --activate`. Decides from the machine as it is now
(report/activation.py), shows the facts and the verdict, and when it is safe runs the steps
(plan/activate.py) like an install: in the detached worker on this machine, in-process on a
demo or bundle machine. The last line is always one of

    Activated: <driver> <version> is loaded without a reboot
    Nothing to do: <driver> <version>, the installed version, is loaded already
    Not activated: <reason>; reboot to load it

Exit codes of `activate` (install --activate exits as the install did):
0 the installed driver is loaded now (it was loaded here, or already ran);
1 a step failed: the old driver keeps running (or none), the reboot loads the new one;
2 usage error; 3 refused (not root, not confirmed, another apply running, no NVIDIA driver
installed, no NVIDIA GPU); 4 not activated: only a reboot loads it, nothing was changed; 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import dataclass

from nvwizard.cli.apply_console import (
    ProgressPrinter,
    confirm,
    refuse_unless_we_may_apply_here,
    run_detached,
    run_here,
)
from nvwizard.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_ACTIVATED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    RefusedError,
)

EXIT_CODES = (
    (EXIT_OK, "the installed driver is loaded now (loaded here, or it already ran)"),
    (
        EXIT_FAILED,
        "a step failed: the old driver keeps running (or none does); reboot to load the new one",
    ),
    (EXIT_USAGE, "usage error"),
    (
        EXIT_REFUSED,
        "refused: not root, not confirmed, another apply running, no NVIDIA driver installed "
        "or no NVIDIA GPU",
    ),
    (EXIT_NOT_ACTIVATED, "not activated: only a reboot loads it (nothing was changed)"),
    (EXIT_INTERRUPTED, "interrupted with Ctrl+C (the steps on this machine go on)"),
)


def exit_codes_help() -> str:
    rows = [
        textwrap.fill(meaning, 79, initial_indent=f"  {code:<4}", subsequent_indent=" " * 6)
        for code, meaning in EXIT_CODES
    ]
    return "exit codes:\n" + "\n".join(rows) + "\n"


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "activate",
        help="load the installed driver now, without a reboot, when that is safe",
        description="Decide from the machine as it is now whether the installed driver can be "
        "loaded without a reboot (nothing uses the GPU but NVIDIA's services, no display server "
        "holds nvidia_drm, the module exists for the running kernel and can be loaded, nouveau "
        "can be unloaded, no kernel update waits for a reboot), and if so: stop the GPU "
        "services, unload the old modules, load the new ones, start the services, verify. The "
        "last line says `Activated: ...`, `Nothing to do: ...` (the installed driver runs "
        "already) or `Not activated: <reason>; reboot to load it`. "
        "On this machine it needs root; a demo or bundle machine changes nothing.",
        epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_machine_options(parser)
    parser.add_argument("-y", "--yes", action="store_true", help="load it without asking")
    parser.add_argument(
        "--dry-run", action="store_true", help="show the decision and the steps; run nothing"
    )
    parser.set_defaults(run=run)


DRY_RUN_LINE = "Dry run: it is safe to load it without a reboot; nothing was run"


@dataclass(frozen=True)
class Result:
    code: int  # activate's exit code
    line: str  # the last line
    reboot_needed: bool


def run(args: argparse.Namespace) -> int:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.simulator.select import host_from_args

    applies_here = not args.dry_run and args.machine is None and args.demo is None
    if applies_here:
        refuse_unless_we_may_apply_here()
    host = host_from_args(args.machine, args.demo)
    result = activate(host, None, ask=None if args.yes else args, dry_run=args.dry_run)
    print(result.line, flush=True)
    return result.code


def activate(
    host, driver: str | None, ask: argparse.Namespace | None, dry_run: bool = False
) -> Result:
    """Decide, show, and when it is safe (and confirmed, unless `ask` is None) load the driver.
    Prints everything but the last line, which the result carries."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.cli.activation_text import format_decision
    from nvwizard.plan.activate import build_activation_plan
    from nvwizard.plan.text import format_plan_steps
    from nvwizard.report.activation import LOADED, REBOOT, decide_activation
    from nvwizard.report.activation_facts import activation_facts

    facts = activation_facts(host, driver)
    if driver is None and facts.module_version is None and facts.driver == "nvidia":
        raise RefusedError(nothing_installed(host))
    activation = decide_activation(facts)
    print(format_decision(facts, activation, host.label), flush=True)
    if activation.verdict == LOADED:
        return Result(EXIT_OK, activation.summary_line(), reboot_needed=False)
    if activation.verdict == REBOOT:
        return Result(EXIT_NOT_ACTIVATED, activation.summary_line(), reboot_needed=True)
    plan = build_activation_plan(facts, activation, host.label)
    print("", flush=True)
    print(format_plan_steps(plan), flush=True)
    if dry_run:
        return Result(EXIT_OK, DRY_RUN_LINE, reboot_needed=True)
    if ask is not None:
        confirm(ask, f"Load nvidia {activation.version} now on {host.label}, without a reboot?")
    return _run(host, plan, activation)


def nothing_installed(host, nothing: str = "nothing to activate") -> str:
    """Why there is `nothing` to activate (or load at a reboot): no GPU at all (an install
    would be refused too), or no driver installed yet."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.engine.verify import has_a_gpu_to_verify
    from nvwizard.report.build import build_report

    if not has_a_gpu_to_verify(build_report(host)):
        return f"{nothing}: {host.label} has no NVIDIA GPU, so there is no driver to load"
    return f"{nothing}: no NVIDIA driver is installed (install one: {_install(host)})"


def _install(host) -> str:
    """The install for the machine activate looked at: a demo's own, or this machine's."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.host.demo import demo_name
    from nvwizard.host.demo_advice import demo_command

    demo = demo_name(host.label) if host.kind == "demo" else None
    return demo_command(demo, "install") if demo else "sudo nvwizard"


def _run(host, plan, activation) -> Result:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.engine.activate import failure_reason

    printer = ProgressPrinter()
    print("", flush=True)
    if host.is_real:
        if not run_detached(plan, printer)[0]:
            line = "Not activated yet: the steps go on; see `nvwizard status`"
            return Result(EXIT_INTERRUPTED, line, reboot_needed=True)
        finished = printer.finished
    else:
        # lazy: only when this command runs (see cli/commands.py)
        from nvwizard.engine.in_process import InProcessApply

        finished = run_here(host, InProcessApply(host, plan, [printer]), printer)
    if finished is None:
        line = "Not activated: the steps ended without a result; reboot to load it"
        return Result(EXIT_FAILED, line, reboot_needed=True)
    if finished.log_path:
        print(f"Log: {finished.log_path}", flush=True)
    if finished.ok:
        if not host.is_real:
            print("(demo or bundle machine: nothing on this computer was changed)", flush=True)
        return Result(EXIT_OK, activation.summary_line(), reboot_needed=False)
    print(f"FAILED: {finished.message or 'a step failed'}", flush=True)
    for line in finished.last_lines:
        print(f"  | {line}", flush=True)
    if finished.next_action:
        print(f"Next: {finished.next_action}", flush=True)
    line = f"Not activated: {failure_reason(finished)}; reboot to load it"
    return Result(EXIT_FAILED, line, reboot_needed=True)
