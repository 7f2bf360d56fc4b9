"""`nvwizard verify [--machine DIR | --demo [NAME]] [--json]`: after the reboot, check the driver.

Exit 0 when every check passes, 1 when one fails (each failure printed with its fix). On this
machine the result is recorded in the state file; demo and bundle runs record nothing.
"""

from __future__ import annotations

import argparse
import json

from nvwizard.errors import EXIT_FAILED, EXIT_OK


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="after the reboot: check the module, its version and flavour, nvidia-smi, nouveau",
        description="Check that the installed driver is the one that runs: the nvidia module "
        "is loaded, its version equals the installed packages', its flavour (open or "
        "proprietary) is the one chosen, nvidia-smi answers, nouveau is gone, and modules "
        "exist for the kernel that boots next. Exit 1 when something is wrong, with the fix.",
    )
    add_machine_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nvwizard.engine.verify import verify
    from nvwizard.host.select import host_from_args

    host = host_from_args(args.machine, args.demo)
    result = verify(host)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(f"Verifying the NVIDIA driver on {result.host}:")
        for check in result.checks:
            print(f"  [{' ok ' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
            if not check.ok and check.fix:
                print(f"         fix: {check.fix}")
        failed = sum(not c.ok for c in result.checks)
        print("All checks passed." if not failed else f"{failed} check(s) failed.")
    return EXIT_OK if result.ok else EXIT_FAILED
