"""`nvwizard _add-apt-source --name FILE --content TEXT`: a plan's `sources` step (internal,
not in --help): writes a new file into apt's sources.list.d, never over another one.

The plan shows the command with the whole content, and the user confirms it with the plan.
"""

from __future__ import annotations

import argparse

from nvwizard.errors import EXIT_FAILED


def register(subparsers, add_machine_options) -> None:
    # No help= : the command stays out of `nvwizard --help`.
    parser = subparsers.add_parser(
        "_add-apt-source", description="internal: write a new file into sources.list.d"
    )
    parser.add_argument("--name", required=True)
    parser.add_argument("--content", required=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.host.apt_source_file import AptSourceError, add_apt_source

    try:
        path, written = add_apt_source(args.name, args.content)
    except (AptSourceError, OSError) as error:
        print(f"nvwizard: {error}")
        return EXIT_FAILED
    print(f"{'Wrote' if written else 'Already there, unchanged:'} {path}")
    print(args.content, end="" if args.content.endswith("\n") else "\n")
    return 0
