"""`nvwizard`: the command line. Without a subcommand it starts the wizard.

Each subcommand lives in its own module with `register(subparsers)` and `run(args) -> int`.
Nothing here imports Textual; only the wizard path does, when it is chosen. Nor does the
wizard path import the subcommand modules (about 50 ms of start-up): arguments that name no
command and ask for no help are parsed by the top-level options alone. A command imports only
its own module (`detect` needs neither the plan nor the engine): which command is meant is
found first with a name-only parser; the full list is built for `--help` and for mistakes.

--machine/--demo mean the same before or after the command (`machine_options`). A command's
output shows control characters escaped, never sends them to the terminal (`terminal_text`,
around every command but the wizard). Every error is one line on stderr (`one_line`: control
characters escaped; echoed arguments are cut to size where they are echoed, `shown`, never
the paths and commands nvwizard composes) with an exit
code from `nvwizard.errors.EXIT_CODE_MEANINGS`. A log or state folder that cannot be written
stops every command before it runs (`engine.paths.check_settings`).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from nvwizard import __version__
from nvwizard.cli import commands
from nvwizard.cli.machine_options import (
    add_command_machine_options,
    add_machine_options,
    bare_demo_before_a_command,
    resolve_machine,
)
from nvwizard.cli.parser import CommandLineParser, one_line
from nvwizard.cli.stop_signals import Terminated, stopping_like_ctrl_c
from nvwizard.cli.terminal_text import detach_stdout, escaping_output
from nvwizard.engine.paths import check_settings
from nvwizard.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    NvwizardError,
    exit_codes_help,
    shown,
)


def epilog() -> str:
    return (
        f"{exit_codes_help()}\n"
        "Run `nvwizard --demo` to try the wizard on a bundled demo machine; nothing is changed.\n"
    )


class _Parser(CommandLineParser):
    """nvwizard's parser (cli/parser.py), with the hidden commands left unnamed."""

    def _check_value(self, action, value):
        # argparse lists every choice, `_apply-worker` too; name only the commands people type.
        if action.dest == "command" and action.choices is not None and value not in action.choices:
            public = ", ".join(repr(n) for n in action.choices if not n.startswith("_"))
            raise argparse.ArgumentError(
                action, f"invalid choice: {shown(value)!r} (choose from {public})"
            )
        super()._check_value(action, value)


class _WizardArgumentsOnly(Exception):
    """The arguments are not the wizard's alone: parse them with every subcommand."""


class _WizardParser(CommandLineParser):
    def error(self, message: str):
        raise _WizardArgumentsOnly(message)


def build_parser(with_commands: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The parser; `only`: register that command's module alone, not every one."""
    parser_class = _Parser if with_commands else _WizardParser
    parser = parser_class(
        prog="nvwizard",
        description="Detect, purge, choose and install the NVIDIA driver on an Ubuntu or Debian "
        "server, then reboot and verify. Without a command, starts the keyboard-driven wizard.",
        epilog=epilog() if with_commands else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nvwizard {__version__}")
    add_machine_options(parser)
    if not with_commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in commands.command_modules(only):
        module.register(sub, add_command_machine_options)
    return parser


def _command_meant(argv: list[str]) -> str | None:
    """The command the arguments name, as argparse will read them, from names alone (no
    module imported); None for a top-level --help or arguments it cannot read."""
    parser = _WizardParser(prog="nvwizard", add_help=False)
    parser.add_argument("-h", "--help", action="store_true", dest="top_level_help")
    add_machine_options(parser)
    sub = parser.add_subparsers(dest="command")
    for name in commands.COMMAND_NAMES:
        sub.add_parser(name, add_help=False)
    try:
        args, _rest = parser.parse_known_args(argv)
    except _WizardArgumentsOnly:
        return None
    return None if args.top_level_help else args.command


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The arguments; the subcommand modules are imported only when a command may be meant.

    A machine option is honoured before or after the command (`resolve_machine`); one that
    cannot apply is a usage error, never dropped.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    may_name_a_command = any(a in commands.COMMAND_NAMES or a in ("-h", "--help") for a in argv)
    if not may_name_a_command:
        try:
            args, unknown = build_parser(with_commands=False).parse_known_args(argv)
            if not unknown:
                return args
        except _WizardArgumentsOnly:
            pass  # the full parser says what is wrong, with the commands in its usage
    argv = bare_demo_before_a_command(argv, commands.COMMAND_NAMES)
    args = build_parser(only=_command_meant(argv)).parse_args(argv)
    resolve_machine(args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command is None:
            # Start-up creates a few hundred thousand objects that live as long as the wizard
            # (modules, classes, the report, widgets): the cyclic collector would walk them
            # again and again, ~15% of the time to the first frame (issue 12). Paused until
            # the wizard has drawn it (tui/app.py: resume_collector).
            gc.disable()
            try:
                # lazy: only the wizard's path imports Textual (~0.45 s; tests/test_layers.py)
                from nvwizard.cli import wizard_cmd

                return wizard_cmd.run(args)
            finally:
                gc.enable()  # already, unless the wizard stopped before its first frame
        # machine data (a stranger's bundle) may hold terminal control sequences: shown, inert
        with escaping_output(keep=getattr(args, "output_keeps", "")):
            check_settings()  # a log or state folder that cannot be written: before anything
            with stopping_like_ctrl_c():  # SIGTERM, SIGHUP: cancel a demo apply, 143/129
                return args.run(args)
    except NvwizardError as error:
        print(one_line(f"nvwizard: {error}"), file=sys.stderr)
        return error.exit_code
    except Terminated as stop:
        _say(f"nvwizard: ended by {stop}")
        return stop.exit_code
    except KeyboardInterrupt:
        _say("nvwizard: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Whatever was left to print, and to do after it, did not happen: never 0 (an install
        # whose plan went into a closed pipe applied nothing). stdout goes to /dev/null so
        # that Python's flush at exit does not fail again.
        detach_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as error:
        print(one_line(f"nvwizard: {describe_os_error(error)}"), file=sys.stderr)
        return EXIT_USAGE


def _say(line: str) -> None:
    """A last line on stderr, which may be gone with the terminal (SIGHUP)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        pass


PLACE_SETTINGS = ("NVWIZARD_LOG_DIR", "NVWIZARD_STATE_DIR")


def describe_os_error(error: OSError) -> str:
    """What is wrong, in words: a mkdir over /dev/null says "File exists", which it is not."""
    if error.filename is None:
        return str(error.strerror or error)
    path = os.fsdecode(error.filename)
    if isinstance(error, IsADirectoryError) and os.path.isdir(path):
        # the folder is fine: a directory sits where nvwizard keeps one of its files
        return f"{path} is a directory, not a file: move it away, then run the command again"
    blocking = None
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        blocking = next((p for p in _self_and_parents(path) if p.exists() and not p.is_dir()), None)
    text = f"{blocking} is not a directory" if blocking else f"{path}: {error.strerror or error}"
    for setting in PLACE_SETTINGS:
        value = os.environ.get(setting)
        if value and (path == value or path.startswith(value.rstrip("/") + "/")):
            return f"{text} (from {setting}={value}: it must name a folder nvwizard can write)"
    return text


def _self_and_parents(path: str) -> list[Path]:
    """`path` and its parents, the top one first."""
    absolute = Path(os.path.abspath(path))
    return [*reversed(absolute.parents), absolute]


if __name__ == "__main__":
    sys.exit(main())
