"""`nvwizard capture DIR`: record this machine into a bundle for bug reports and replay."""

from __future__ import annotations

import argparse

from nvwizard.cli.arg_types import folder_name


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "capture",
        help="record this machine's facts into a folder (a bundle for --machine)",
        description="Record everything nvwizard reads on this machine (files, sysfs, read-only "
        "commands) into DIR, one file per source. Nothing is changed. User names, passwords and "
        "query values in URLs (private apt repositories), and registry credentials in "
        "containerd's, CRI-O's and Docker's configuration and the registry login `docker info` "
        "shows, are replaced by ***. Attach the "
        "folder to a bug report; `nvwizard detect --machine DIR` replays it anywhere.",
    )
    parser.add_argument(
        "dir", metavar="DIR", type=folder_name, help="the folder to write (created if needed)"
    )
    parser.add_argument(
        "--force", action="store_true", help="write into DIR even if it is not empty"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.host.capture import NOTES_FILE, capture

    result = capture(args.dir, force=args.force)
    print(f"Captured {len(result.written)} sources into {result.folder}/")
    if result.missing:
        print(f"Not available here ({len(result.missing)}, listed in {NOTES_FILE}):")
        for name, why in result.missing.items():
            print(f"  {name}: {why}")
    print(f"Replay it with: nvwizard detect --machine {result.folder}")
    return 0
