"""`nvwizard _pin-cuda-repository --content TEXT`: a plan's `cuda-pin` step alone (internal,
not in --help), for the exported playbook.

A host that runs the planned driver already (verify passes) has nothing to install, but where
NVIDIA's CUDA repository is configured there and no pin keeps its driver packages out, the plan
still has its pin step: the playbook writes that pin alone, with the plan's own content, so an
upgrade cannot switch the driver's source. The file is always nvwizard's pin file; the content
must be an apt pin at -1 on NVIDIA's repository.
"""

from __future__ import annotations

import argparse
import sys

from nvwizard.errors import EXIT_FAILED, EXIT_OK, UsageError

# what the plan's pin says, and what this command insists on (it writes nothing else)
_REQUIRED = ("Pin: release o=NVIDIA", "Pin-Priority: -1")


def register(subparsers, add_machine_options) -> None:
    # No help= : the command stays out of `nvwizard --help`.
    parser = subparsers.add_parser(
        "_pin-cuda-repository",
        description="internal: write the plan's apt pin that keeps NVIDIA's CUDA repository's "
        "driver packages out",
    )
    add_machine_options(parser)
    parser.add_argument("--content", required=True, help="the pin file's text, from the plan")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.knowledge.cuda import PIN_FILE
    from nvwizard.simulator.select import host_from_args

    host = host_from_args(args.machine, args.demo)
    missing = [line for line in _REQUIRED if line not in args.content]
    if missing:
        raise UsageError(f"--content is not nvwizard's apt pin: it lacks {missing[0]!r}")
    try:
        host.write_file(PIN_FILE, args.content)
    except OSError as error:
        print(f"nvwizard: cannot write {PIN_FILE}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Wrote {PIN_FILE} on {host.label}")
    return EXIT_OK
