"""`nvwizard plan`: the exact steps and commands an install would run. Runs nothing.

The options here are shared with `nvwizard install` (same choices, same plan), and the wizard
builds its plan with the same `build_plan`, so all three show the same steps.
"""

from __future__ import annotations

import argparse
import json
import sys

from nvwizard.cli.arg_types import cuda_request, package_name
from nvwizard.cli.simulation_check import simulate_or_refuse
from nvwizard.errors import UsageError, exit_codes_help, shown
from nvwizard.plan.models import DEFAULT_LOCK_TIMEOUT_S, MAX_LOCK_TIMEOUT_S, Choices

PERSISTENCED_HELP = (
    "enable nvidia-persistenced (default: on for a headless server); on Debian, whose package "
    "starts the service itself, --no-persistenced also leaves it out of a headless install"
)


REINSTALL_HELP = (
    "the whole plan even when the driver and every stack part asked for are installed at the "
    "versions apt would install and loaded, or installed with a DKMS-built module that "
    "Secure Boot rejects until its key is enrolled (without it that plan has nothing to do): "
    "purge and install them again"
)


def _add_reboot_and_reinstall(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reboot",
        action="store_true",
        help="schedule the reboot (in one minute) as the last step",
    )
    parser.add_argument("--reinstall", action="store_true", help=REINSTALL_HELP)


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--driver",
        metavar="PKG",
        type=package_name,
        help="the driver package, e.g. nvidia-driver-580-server-open "
        "(default: the recommended one; `nvwizard detect` lists the candidates)",
    )
    purge = parser.add_mutually_exclusive_group()
    purge.add_argument(
        "--purge",
        dest="purge",
        action="store_true",
        default=True,
        help="purge the installed NVIDIA driver packages first, by exact name (default)",
    )
    purge.add_argument(
        "--keep-installed",
        dest="purge",
        action="store_false",
        help="no purge: apt replaces the installed branch in place (another branch's fabric "
        "manager and NSCQ are purged); refused with --keep or --also-purge",
    )
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument(
        "--headless",
        dest="headless",
        action="store_true",
        default=None,
        help="compute stack only, no X/desktop libraries (default on a server without a "
        "display manager)",
    )
    kind.add_argument(
        "--desktop", dest="headless", action="store_false", help="the full desktop driver"
    )
    parser.add_argument(
        "--keep",
        metavar="PKG",
        type=package_name,
        action="append",
        default=[],
        help="leave this package of the purge list installed (repeatable)",
    )
    parser.add_argument(
        "--also-purge",
        metavar="PKG",
        type=package_name,
        action="append",
        default=[],
        help="also purge a package that is kept by default, e.g. nvidia-container-toolkit "
        "(repeatable; with --container-toolkit it is installed again, fresh)",
    )
    parser.add_argument(
        "--hold",
        action="store_true",
        help="apt-mark hold the driver packages, so unattended upgrades cannot cause the NVML "
        "version mismatch (the headers and signed modules' metapackage stay free; a new "
        "kernel's signed modules may need a newer driver: the plan says what to watch); without "
        "it, packages an administrator held that the plan replaces still pass on their hold",
    )
    parser.add_argument(
        "--persistenced",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=PERSISTENCED_HELP,
    )
    _add_reboot_and_reinstall(parser)
    add_stack_options(parser)
    parser.add_argument(
        "--lock-timeout",
        metavar="SECONDS",
        type=int,
        default=DEFAULT_LOCK_TIMEOUT_S,
        help=f"how long apt waits for another package manager's lock: 0 to "
        f"{MAX_LOCK_TIMEOUT_S} (a day; default {DEFAULT_LOCK_TIMEOUT_S})",
    )


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    """--cuda, --cudnn, --container-toolkit, --allow-cuda-compat: their own help section."""
    stack = parser.add_argument_group(
        "the developer stack, installed after the driver (README: CUDA, cuDNN and containers)"
    )
    stack.add_argument(
        "--cuda",
        metavar="VERSION",
        type=cuda_request,
        help="the CUDA toolkit: a release such as 12.8 (NVIDIA's cuda-toolkit-12-8, never the "
        "`cuda` packages that bring NVIDIA's driver), `latest` (the newest the driver and GPUs "
        "run) or `distro` (the distribution's nvidia-cuda-toolkit)",
    )
    stack.add_argument(
        "--cudnn",
        action="store_true",
        help="cuDNN 9 for the toolkit's CUDA major (cudnn9-cuda-X; needs a toolkit)",
    )
    stack.add_argument(
        "--container-toolkit",
        action="store_true",
        help="the NVIDIA Container Toolkit, registered with each installed container runtime "
        "(Docker, containerd, CRI-O) and that runtime restarted",
    )
    stack.add_argument(
        "--allow-cuda-compat",
        action="store_true",
        help="accept a toolkit newer than the driver runs natively, through CUDA minor-version "
        "compatibility (no PTX JIT of newer code; newer features fail at run time)",
    )


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="print the exact steps and commands an install would run (runs nothing)",
        description="Build the plan for a driver on this machine (or a bundle or demo "
        "machine) and print each step with the exact commands it would run. Runs nothing.",
        epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_plan_options(parser)
    add_machine_options(parser)
    parser.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="also ask apt what the plan would do (apt-get -s, read-only, as install does "
        "before it asks) and print its install and remove sets (to stderr with --json); exit 3 "
        "when the simulation says stop, as install would",
    )
    parser.set_defaults(run=run)


def check_plan_options(args: argparse.Namespace) -> None:
    """What is wrong with the plan options whatever the machine (`export` checks it too)."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.plan.purge import check_purge_options

    check_purge_options(args.purge, args.keep, args.also_purge)
    if not 0 <= args.lock_timeout <= MAX_LOCK_TIMEOUT_S:
        raise UsageError(
            f"--lock-timeout {shown(str(args.lock_timeout))}: must be 0 to "
            f"{MAX_LOCK_TIMEOUT_S} seconds (a day)"
        )
    if args.allow_cuda_compat and not args.cuda:
        raise UsageError("--allow-cuda-compat applies to a toolkit: add --cuda VERSION")


def check_options_without_machine(args: argparse.Namespace) -> None:
    """The plan options checked as plan checks them, where there is no machine yet (`export`):
    what plan refuses on every machine. A --driver no release names, a --cuda release NVIDIA
    never published, a --cuda release above a named driver's CUDA ceiling (unless
    --allow-cuda-compat accepts it where it may). Plan itself checks these against the machine
    (a legacy name it refuses, the releases apt offers), with the same functions and messages.
    What depends on the machine (its GPUs, its apt, what is installed) waits for each host."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.plan.cuda_toolkit import check_cuda_option
    from nvwizard.plan.install import check_driver_name, named_branch

    check_plan_options(args)
    if args.driver:
        check_driver_name(args.driver)
    branch = named_branch(args.driver) if args.driver else None
    check_cuda_option(args.cuda, branch, args.allow_cuda_compat)


def choices_from_args(args: argparse.Namespace, report) -> Choices:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.plan.build import default_choices

    check_plan_options(args)
    base = default_choices(report, args.driver)
    if not base.driver:
        raise UsageError("no driver is recommended for this machine: name one with --driver PKG")
    headless = base.headless if args.headless is None else args.headless
    persistenced = args.persistenced
    if persistenced is None:
        persistenced = headless and report.has_nvidia_gpu
    return Choices(
        driver=base.driver,
        purge=args.purge,
        keep=tuple(args.keep),
        also_purge=tuple(args.also_purge),
        headless=headless,
        hold=args.hold,
        persistenced=persistenced,
        reboot=args.reboot,
        lock_timeout_s=args.lock_timeout,
        cuda=args.cuda,
        cudnn=args.cudnn,
        container_toolkit=args.container_toolkit,
        allow_cuda_compat=args.allow_cuda_compat,
        reinstall=args.reinstall,
    )


def plan_from_args(args: argparse.Namespace):
    """(host, report, plan) for the parsed options; runs no command on the host."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.plan.build import build_plan
    from nvwizard.plan.nothing_to_do import settle
    from nvwizard.report.build import build_report
    from nvwizard.simulator.select import host_from_args

    host = host_from_args(args.machine, args.demo)
    # A named driver needs apt's offers even without a GPU (an image build): signed modules.
    # --headless/--desktop reach the ranking (the recommended driver), not only the plan
    report = build_report(host, offers=True if args.driver else None, headless=args.headless)
    return host, report, settle(report, build_plan(report, choices_from_args(args, report)))


def run(args: argparse.Namespace) -> int:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.plan.text import format_plan

    host, _, plan = plan_from_args(args)
    if args.json:
        if (
            args.simulate and not plan.nothing_to_do
        ):  # before the plan: stdout holds nothing when the simulation stops
            simulate_or_refuse(host, plan, sys.stderr)
        print(json.dumps(plan.to_json(), indent=2))
        return 0
    print(format_plan(plan), flush=True)
    if args.simulate and not plan.nothing_to_do:
        print("", flush=True)
        simulate_or_refuse(host, plan, sys.stdout)
    return 0
