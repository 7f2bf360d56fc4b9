"""The argparse parser every nvwizard command line is read with: one-line errors, and options
that hold one value refuse a second, different one (`single_value`).

argparse prints a usage block and `nvwizard plan: error: ...`; nvwizard's errors are one line
on stderr starting with `nvwizard:` (README: Exit codes), so argparse's are too, with the
`--help` to read for the command that was meant, and exit code 2.
"""

from __future__ import annotations

import argparse
import re
from typing import NoReturn

from nvwizard.cli.machine_options import NO_MACHINE_REASON
from nvwizard.cli.single_value import forget_given, register_single_value_actions
from nvwizard.errors import EXIT_USAGE, shown

# In argparse's messages, longer words are cut: they are echoed arguments, not the message.
SHOWN_WORD_LIMIT = 100
# A long word, and the punctuation after it, which stays (compiled on first use: re caches it).
_LONG_WORD = rf"(\S{{{SHOWN_WORD_LIMIT + 1},}}?)([:;,.'\")\]]*)(?=\s|$)"


def one_line(message: str) -> str:
    """A message safe to print as one line: control characters escaped. Nothing is cut here:
    nvwizard's messages name whole paths and commands (to paste), and cut what they echo of
    the user's input where they echo it (`shown`)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def cut_long_words(message: str) -> str:
    """argparse's message with each word over SHOWN_WORD_LIMIT characters cut (`shown`):
    argparse composes its messages of the arguments it was given, which may be any size."""
    return re.sub(_LONG_WORD, lambda m: shown(m[1], SHOWN_WORD_LIMIT) + m[2], message)


def usage_error_line(message: str, prog: str) -> str:
    """`nvwizard: <argparse's message> (see `<prog> --help`)`, safe to print as one line."""
    message = message.removeprefix("argument ")  # "argument --driver: ..." -> "--driver: ..."
    return one_line(f"nvwizard: {cut_long_words(message)} (see `{prog} --help`)")


class CommandLineParser(argparse.ArgumentParser):
    """argparse with nvwizard's one-line usage errors and single-value options."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        register_single_value_actions(self)

    def parse_known_args(self, args=None, namespace=None):
        parsed, extra = super().parse_known_args(args, namespace)
        forget_given(parsed)
        return parsed, extra

    def parse_args(self, args=None, namespace=None):
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            # a subcommand's leftovers reach the top-level parser: point at that command's help
            command = getattr(parsed, "command", None)
            prog = f"{self.prog} {command}" if command else self.prog
            if command and extra[0].split("=")[0] in MACHINE_OPTIONS:
                # as when written before the command (machine_options.resolve_machine)
                self.exit(EXIT_USAGE, one_line(_no_machine(parsed, command, extra)) + "\n")
            self.usage_error(f"unrecognized arguments: {' '.join(extra)}", prog)
        return parsed

    def error(self, message: str) -> NoReturn:
        self.usage_error(message, self.prog)

    def usage_error(self, message: str, prog: str) -> NoReturn:
        self.exit(EXIT_USAGE, usage_error_line(message, prog) + "\n")


MACHINE_OPTIONS = ("--machine", "--demo")


def _no_machine(parsed: argparse.Namespace, command: str, extra: list[str]) -> str:
    """A machine option after a command that takes none: the line written before it gets."""
    with_value = "=" not in extra[0] and len(extra) > 1 and not extra[1].startswith("-")
    written = [extra[0], shown(extra[1])] if with_value else [shown(extra[0])]
    reason = getattr(parsed, NO_MACHINE_REASON, None)
    return f"nvwizard: {' '.join(written)} cannot be used with `nvwizard {command}`: " + (
        reason or f"`nvwizard {command}` works on this computer only"
    )
