"""--machine DIR | --demo [NAME]: which machine a command looks at, wherever it is written.

The options may come before the command (`nvwizard --demo X plan`), after it
(`nvwizard plan --demo X`) or in both places. argparse would let the command's own defaults
overwrite what was written before it, and the command would then act on this machine, so the
command's options are stored under their own names and merged here: the same machine twice is
fine, two different ones are a usage error, and a command that has no machine refuses one.
"""

from __future__ import annotations

import argparse
import os
import sys

from nvwizard.cli.arg_types import BARE_DEMO, demo_option, folder_name
from nvwizard.errors import EXIT_USAGE, shown
from nvwizard.host.demo import default_demo_name

# Where a command's own --machine/--demo are stored until `resolve_machine` merges them.
COMMAND_MACHINE, COMMAND_DEMO = "command_machine", "command_demo"
# A command without a machine may say why it has none (default: "works on this computer only").
NO_MACHINE_REASON = "no_machine_reason"


def add_machine_options(parser: argparse.ArgumentParser, for_command: bool = False) -> None:
    """--machine DIR | --demo [NAME]: which machine to look at (default: this one)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--machine",
        metavar="DIR",
        type=folder_name,
        dest=COMMAND_MACHINE if for_command else "machine",
        help="read a capture bundle (made by `nvwizard capture`) instead of this machine",
    )
    group.add_argument(
        "--demo",
        metavar="NAME",
        nargs="?",
        const=BARE_DEMO,  # read as "" (the default demo) by demo_option; `--demo ''` is an error
        type=demo_option,
        dest=COMMAND_DEMO if for_command else "demo",
        help="use a bundled demo machine (default: the HGX H100 server); "
        "`nvwizard detect --list-demos` lists them",
    )


def add_command_machine_options(parser: argparse.ArgumentParser) -> None:
    add_machine_options(parser, for_command=True)


def bare_demo_before_a_command(argv: list[str], command_names: frozenset[str]) -> list[str]:
    """`--demo detect` means the default demo, then the command: not a demo named "detect"."""
    return [
        f"--demo={BARE_DEMO}"
        if word == "--demo" and i + 1 < len(argv) and argv[i + 1] in command_names
        else word
        for i, word in enumerate(argv)
    ]


def resolve_machine(args: argparse.Namespace) -> None:
    """Merge the machine written before the command with the one written after it."""
    command_takes_one = hasattr(args, COMMAND_MACHINE)
    before = _written(args.machine, args.demo)
    after = _written(getattr(args, COMMAND_MACHINE, None), getattr(args, COMMAND_DEMO, None))
    for name in (COMMAND_MACHINE, COMMAND_DEMO):
        if hasattr(args, name):
            delattr(args, name)
    if args.command is None or after is None:
        if before is not None and args.command is not None and not command_takes_one:
            reason = getattr(args, NO_MACHINE_REASON, None)
            _usage_error(
                f"nvwizard: {_option_text(before)} cannot be used with "
                f"`nvwizard {args.command}`: "
                + (reason or f"`nvwizard {args.command}` works on this computer only")
            )
        return
    if before is not None and not _same_machine(before, after):
        _usage_error(
            f"nvwizard: conflicting machines: {_option_text(before)} before "
            f"`{args.command}` and {_option_text(after)} after it"
        )
    args.machine, args.demo = after


def _written(machine: str | None, demo: str | None) -> tuple[str | None, str | None] | None:
    return None if machine is None and demo is None else (machine, demo)


def _same_machine(a: tuple[str | None, str | None], b: tuple[str | None, str | None]) -> bool:
    if a[0] is not None or b[0] is not None:
        return (
            a[0] is not None
            and b[0] is not None
            and os.path.realpath(a[0]) == os.path.realpath(b[0])
        )
    return (a[1] or default_demo_name()) == (b[1] or default_demo_name())


def _option_text(written: tuple[str | None, str | None]) -> str:
    machine, demo = written
    if machine is not None:
        return f"--machine {shown(machine)}"
    return f"--demo {shown(demo)}" if demo else "--demo"


def _usage_error(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(EXIT_USAGE)
