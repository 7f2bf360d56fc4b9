"""`nvwizard _apply-worker --plan FILE --run-id ID`: the detached worker (internal, not in --help).

Started by `nvwizard.engine.detach.start_detached_apply`, never by a person.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nvwizard.engine.detach import WORKER_COMMAND


def register(subparsers, add_machine_options) -> None:
    # No help= : the command stays out of `nvwizard --help`.
    parser = subparsers.add_parser(WORKER_COMMAND, description="internal: apply a plan file")
    parser.add_argument("--plan", required=True, type=Path)
    parser.add_argument("--run-id", required=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.engine.detach import run_worker

    return run_worker(args.plan, args.run_id)
