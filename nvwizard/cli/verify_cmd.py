"""`nvwizard verify [--machine DIR | --demo [NAME]] [--json]`: after the reboot, check the driver.

Exit 0 when no check fails, 1 when one fails (each failure printed with its fix). A check that
cannot run there is `skip`, with the reason, and no failure: on a captured bundle, one whose
evidence the bundle does not hold (no lsmod.txt: nouveau; no package list: next-boot-modules);
on this machine a missing command output still fails the check. On this
machine the result is recorded in the state file; demo and bundle runs record nothing. On a
demo the fixes name the demo's own commands (engine/verify_fixes.py), never this computer's.
A machine without an NVIDIA GPU has nothing to verify: it says so in one line and exits 3
(refused: the precondition, a GPU, is missing), so a script's `verify && ...` does not go on,
yet a broken driver (1) is not reported where there is no driver to break. Nothing is recorded.
"""

from __future__ import annotations

import argparse
import json
import time

from nvwizard.engine import paths
from nvwizard.errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="after the reboot: check the module, its version and flavour, nvidia-smi, nouveau",
        description="Check that the installed driver is the one that runs: the nvidia module "
        "is loaded, its version equals the installed packages', its flavour (open or "
        "proprietary) is the one chosen, nvidia-smi answers, nouveau is gone, and modules "
        "exist for the kernel that boots next; on an NVSwitch board, that fabric manager runs "
        "at the driver's version. Exit 1 when something is wrong, with the fix; a check a "
        "captured bundle (--machine) holds no evidence for is 'skip', not checkable from it, "
        "and no failure (exit 0 if nothing else fails); "
        "exit 3 on a machine without an NVIDIA GPU (nothing to verify).",
    )
    add_machine_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.engine.verify import nothing_to_verify, verify
    from nvwizard.report.build import build_report
    from nvwizard.simulator.select import host_from_args

    host = host_from_args(args.machine, args.demo)
    if host.is_real:  # the result is recorded in the state file: say now if it cannot be
        paths.check_writable(paths.state_dir(), paths.STATE_SETTING)
    no_gpu = nothing_to_verify(build_report(host), host.label)  # the host caches what it read
    if no_gpu is not None:
        return _say_no_gpu(no_gpu, host.label, args.json)
    result = verify(host)
    if args.json:
        print(json.dumps({**result.to_json(), "nvidia_gpu": True}, indent=2))
    else:
        print(f"Verifying the NVIDIA driver on {result.host}:")
        for check in result.checks:
            mark = "skip" if check.skipped else " ok " if check.ok else "FAIL"
            print(f"  [{mark}] {check.name}: {check.detail}")
            if not check.ok and check.fix:
                print(f"         fix: {check.fix}")
        failed = sum(not c.ok for c in result.checks)
        skipped = sum(c.skipped for c in result.checks)
        summary = "All checks passed" if not failed else f"{failed} check(s) failed"
        # a skipped check is no failure, but "All checks passed" alone would hide it
        print(f"{summary}; {skipped} skipped (each says why)." if skipped else f"{summary}.")
    return EXIT_OK if result.ok else EXIT_FAILED


def _say_no_gpu(message: str, label: str, as_json: bool) -> int:
    if as_json:
        data = {
            "ok": False,
            "host": label,
            "at": time.time(),
            "nvidia_gpu": False,
            "message": message,
            "checks": [],
        }
        print(json.dumps(data, indent=2))
    else:
        print(message)
    return EXIT_REFUSED
