"""`nvwizard logs [-f]`: print the running or last apply's log; `-f` follows it to its end.

No log to show is exit 3 (refused: a precondition failed), not 1, which says a step failed.
"""

from __future__ import annotations

import argparse
import os
import sys

from nvwizard.engine.events import PlanStarted
from nvwizard.engine.follow import latest_events_path, replay_and_follow
from nvwizard.engine.journal import human_text, iter_events, latest_journal
from nvwizard.engine.state import StateFileError
from nvwizard.errors import RefusedError


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="print the running or last apply's log (-f: follow it until the apply ends)",
        description="Print the log of the running apply, or of the last one. With -f, keep "
        "printing new lines as they come and end when the apply ends; closing this command "
        "never affects the apply.",
    )
    parser.add_argument(
        "-f", "--follow", action="store_true", help="follow the log until the apply ends"
    )
    # dpkg's progress redraws its line with carriage returns ("Reading database ... 50%\r"):
    # printed as in the log, as on the terminal the apply ran on (cli/terminal_text.py)
    parser.set_defaults(run=run, output_keeps="\r")


def run(args: argparse.Namespace) -> int:
    try:
        path = latest_events_path()
    except StateFileError as damaged:  # it only names the last log: the newest one will do
        print(f"nvwizard: warning: {damaged}", file=sys.stderr)
        path = latest_journal()
    if path is None:
        hint = (
            ""
            if os.geteuid() == 0 or os.environ.get("NVWIZARD_LOG_DIR")
            else (" for this user (applies run with sudo: `sudo nvwizard logs`)")
        )
        raise RefusedError(f"no apply log on this machine yet{hint}")
    try:
        events = replay_and_follow(path) if args.follow else iter_events(path)
        host = None  # the machine each apply ran on: a demo's outcome names no dpkg repair
        for event in events:
            if isinstance(event, PlanStarted):
                host = event.host
            text = human_text(event, host)
            if text is not None:
                print(text, flush=args.follow)
    except FileNotFoundError:
        raise RefusedError(f"the apply log {path} is gone") from None
    return 0
