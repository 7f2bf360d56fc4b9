"""`nvwizard` with no subcommand: the wizard. The only command path that imports Textual.

A demo or bundle machine is detected in a child process while Textual is imported here
(cli/detect_ahead.py); nothing of the wizard's is imported before that child is forked.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from nvwizard.cli import detect_ahead
from nvwizard.errors import RefusedError

if TYPE_CHECKING:
    from nvwizard.tui.state import WizardState
    from nvwizard.tui.types import WizardBackend

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
    machine, demo = getattr(args, "machine", None), getattr(args, "demo", None)
    ahead = detect_ahead.start(machine, demo)  # None: this machine, detected by the wizard
    from nvwizard.tui.app import WizardApp  # lazy: Textual, imported while the child detects

    shown = ahead.view() if ahead is not None else None
    if shown is None:  # no child, or it failed: everything here, as the child would have done
        state, backend = wizard_state(machine, demo)
        refuse_unless_full_screen(os.environ, sys.stdin.isatty(), sys.stdout.isatty())
        app = WizardApp(state, backend)
        app.run()
        return app.return_code or 0
    refuse_unless_full_screen(os.environ, sys.stdin.isatty(), sys.stdout.isatty())
    from nvwizard.tui.detected_ahead import DetectedAheadApp  # lazy: only with a child's view

    ahead_app = DetectedAheadApp(shown, lambda: wizard_state(machine, demo))
    ahead_app.run()
    if ahead_app.failure is not None:
        raise ahead_app.failure
    return ahead_app.return_code or 0


def wizard_state(machine: str | None, demo: str | None) -> tuple[WizardState, WizardBackend]:
    """The wizard's state for the machine the options name, and the layers behind it."""
    # lazy: the model and detection modules, after the child is forked (see above)
    from nvwizard.simulator import select
    from nvwizard.tui.backend import LayersBackend
    from nvwizard.tui.state import WizardState

    return WizardState(host=select.host_from_args(machine, demo)), LayersBackend()
