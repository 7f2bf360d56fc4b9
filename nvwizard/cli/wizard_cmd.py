"""`nvwizard` with no subcommand: the wizard. The only command path that imports Textual."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from nvwizard.errors import RefusedError
from nvwizard.simulator.select import host_from_args
from nvwizard.tui.app import WizardApp
from nvwizard.tui.backend import LayersBackend
from nvwizard.tui.state import WizardState

NOT_A_TERMINAL_HINT = (
    "use `nvwizard detect`, `nvwizard plan` or `nvwizard install` (plain text), "
    "or run it from an interactive terminal"
)


def refuse_unless_full_screen(env: Mapping[str, str], stdin_tty: bool, stdout_tty: bool) -> None:
    """The wizard draws a full screen and reads keys: a dumb terminal, or input or output that
    is not a terminal (a pipe, a file, cron), gets one line saying what to use instead."""
    term = env.get("TERM", "")
    if term in ("", "dumb"):
        shown = f"TERM={term}" if term else "TERM is not set"
        raise RefusedError(
            f"the wizard needs a full-screen terminal ({shown}): {NOT_A_TERMINAL_HINT}"
        )
    if not (stdin_tty and stdout_tty):
        which = "input" if not stdin_tty else "output"
        raise RefusedError(f"the wizard's {which} is not a terminal: {NOT_A_TERMINAL_HINT}")


def run(args: argparse.Namespace) -> int:
    host = host_from_args(getattr(args, "machine", None), getattr(args, "demo", None))
    refuse_unless_full_screen(os.environ, sys.stdin.isatty(), sys.stdout.isatty())
    app = WizardApp(WizardState(host=host), LayersBackend())
    app.run()
    return app.return_code or 0
