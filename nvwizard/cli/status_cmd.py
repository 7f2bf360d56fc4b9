"""`nvwizard status [--json]`: is an apply running, how far is it, how did it end, what next,
and which NVIDIA driver the kernel runs now.

Exit code 0 whatever the state (scripts read the text or the JSON); the JSON object is
`ApplyStatus.to_json()` plus `loaded` (documented in the README). A damaged state file is the
exception: one line saying where it is and what to do, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from nvwizard.engine.attach import (
    INTERRUPTED,
    NEXT_REBOOT,
    NONE,
    RUNNING,
    ApplyStatus,
    DemoNow,
    current_apply,
)
from nvwizard.errors import NvwizardError
from nvwizard.host.bundle_advice import bundle_dir
from nvwizard.host.demo import demo_name
from nvwizard.plan.models import ACTIVATE_PLAN, REBOOT_PLAN

if TYPE_CHECKING:
    from nvwizard.host.base import Host


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show whether an apply is running, its progress, its outcome and the next step",
        description="Show the running or last apply on this machine: progress (step i/n, "
        "percent), outcome, and what to do next (wait, reboot, verify, repair).",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    demos: list = []  # the demo the last apply ran on, when it could be read
    status = current_apply(demo_now=lambda name, folder: demo_now(name, folder, demos.append))
    # what the kernel runs on the machine the apply was on: the demo's (never this
    # computer's beside a demo's facts); an unreadable demo, or a bundle (its simulated
    # machine ended with its command; its files predate the apply): nothing
    on_demo = demo_name(status.host) is not None
    demo = demos[0] if demos else None
    if bundle_dir(status.host) is not None:
        loaded = None
    else:
        loaded = (loaded_now(demo) if demo else None) if on_demo else loaded_now()
    # what the old driver lacks until the reboot: on the demo, or on this machine
    pending = status.next_step == NEXT_REBOOT and (demo is not None or not on_demo)
    meanwhile = until_reboot(demo) if pending else None
    if args.json:
        print(json.dumps({**status.to_json(), "loaded": loaded, "meanwhile": meanwhile}, indent=2))
    else:
        print(format_status(status, loaded, meanwhile))
    return 0


def until_reboot(host=None) -> str | None:
    """What the old driver lacks while it runs until the reboot (no fabric manager beside it,
    where the install replaced fabric manager with the new branch's); None: nothing to say.
    `host`: the demo the apply was on, else this machine."""
    # lazy: the activation's facts load only while a reboot is pending
    from nvwizard.report.activation import old_driver_until_reboot
    from nvwizard.report.activation_facts import activation_facts

    if host is None:
        # lazy: only when this command runs (see cli/commands.py)
        from nvwizard.host.local import LocalHost

        host = LocalHost()
    try:
        return old_driver_until_reboot(activation_facts(host, None))
    except NvwizardError:
        return None


def demo_now(name: str, state_dir: Path, keep: Callable[[Host], None] | None = None) -> DemoNow:
    """The last apply was on a demo kept in the state directory: that demo as it is now (when
    it booted, whether the installed driver is the one loaded, where it is saved). `keep`
    is handed the demo's host, when it could be read."""
    # lazy: the simulator, detection and the activation's facts load only when the last
    # apply was on a demo
    from nvwizard.report.activation import LOADED, decide_activation
    from nvwizard.report.activation_facts import activation_facts, reboot_comes_first
    from nvwizard.simulator.machine import SimulatedMachine
    from nvwizard.simulator.select import demo_host, demo_state_file

    saved_in = str(demo_state_file(name, state_dir).path)
    try:
        host = demo_host(name, state_dir)
        runs = decide_activation(activation_facts(host, None)).verdict == LOADED
        reboot_first = None if runs else reboot_comes_first(host)
    except NvwizardError:  # a demo this version lacks, or its saved machine damaged
        return DemoNow(booted_at=None, driver_runs=False, saved_in=saved_in)
    if keep is not None:
        keep(host)
    simulator = host.simulator
    booted_at = simulator.booted_at if isinstance(simulator, SimulatedMachine) else None
    return DemoNow(booted_at, runs, saved_in, reboot_first)


def loaded_now(host=None) -> dict:
    """What the kernel runs now: {"nvidia": {"version", "flavor", "modules"} or null,
    "nouveau": bool or null (unknown without lsmod)}."""
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.detect.lsmod import parse_lsmod
    from nvwizard.detect.proc_version import parse_proc_driver_version
    from nvwizard.knowledge.kernel_modules import NOUVEAU, module_role, unload_rank

    if host is None:
        # lazy: only when this command runs (see cli/commands.py)
        from nvwizard.host.local import LocalHost

        host = LocalHost()
    text = host.read("lsmod.txt")
    modules = parse_lsmod(text) if text is not None else None
    names = sorted((m.name for m in modules or [] if module_role(m.name)), key=unload_rank)
    version = parse_proc_driver_version(host.read("proc-driver-nvidia-version.txt") or "")
    nvidia = None
    if names or version is not None:
        nvidia = {
            "version": version.version if version else None,
            "flavor": version.flavor if version else None,
            "modules": names,
        }
    nouveau = None if modules is None else any(m.name == NOUVEAU for m in modules)
    return {"nvidia": nvidia, "nouveau": nouveau}


def _loaded_line(loaded: dict) -> str:
    nvidia = loaded["nvidia"]
    if nvidia is None:
        driver = "no nvidia module"
    else:
        flavor = f" ({nvidia['flavor']})" if nvidia["flavor"] else ""
        driver = f"nvidia {nvidia['version'] or '?'}{flavor}: {' '.join(nvidia['modules'])}"
    nouveau = {True: "nouveau loaded", False: "no nouveau", None: "nouveau unknown"}
    return f"loaded now: {driver}; {nouveau[loaded['nouveau']]}"


def _clock(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch else "?"


def _root_hint() -> str:
    """Not root: the places above are the user's own; a `sudo` apply is recorded elsewhere."""
    if os.geteuid() == 0 or os.environ.get("NVWIZARD_STATE_DIR"):
        return ""
    return "\n(applies run with sudo are recorded under /var/lib/nvwizard: `sudo nvwizard status`)"


def format_status(
    status: ApplyStatus, loaded: dict | None = None, meanwhile: str | None = None
) -> str:
    lines = []
    what = {
        ACTIVATE_PLAN: " (loading it without a reboot)",
        REBOOT_PLAN: " (the reboot to load it)",
    }.get(status.purpose or "", "")
    if status.state == NONE:
        lines.append("No apply has run on this machine yet.")
    elif status.state == RUNNING:
        who = f" (pid {status.pid})" if status.pid else ""
        lines.append(
            f"Apply running{_on(status)}{who}: {status.driver or '?'}, "
            f"started {_clock(status.started_at)}"
        )
    elif status.outcome == INTERRUPTED:
        lines.append(
            f"Last apply{_on(status)}: {status.driver or '?'}{what}, {_interrupted(status)}"
        )
    else:
        lines.append(
            f"Last apply{_on(status)}: {status.driver or '?'}{what}, {status.outcome}, "
            f"finished {_clock(status.finished_at)}"
        )
    p = status.progress
    if p.step_count:
        title = f": {p.step_title}" if p.step_title else ""
        step_pct = f" ({p.step_percent:.0f}% of this step)" if p.step_percent is not None else ""
        where = f"step {p.step_index}/{p.step_count}{title}"
        if p.step_added:  # not one of the plan's: the engine's, after the plan stopped
            where = f"added step{title} (after step {p.step_index}/{p.step_count})"
        lines.append(f"{where}{step_pct}; {p.percent:.0f}% of the plan")
    if status.progress_problem:
        lines.append(f"progress unknown: {status.progress_problem}")
    if status.message:
        lines.append(f"message: {status.message}")
    if status.verified is not None:
        lines.append(_verified_line(status))
    if status.log_path:
        # a log in a folder since removed (a temporary one, or deleted by hand): said, not named
        gone = "" if os.path.exists(status.log_path) else " (no longer there: it was removed)"
        lines.append(f"log: {status.log_path}{gone}")
    lines.append(f"next: {status.next_step}: {status.next_hint}")
    if meanwhile:
        lines.append(f"meanwhile: {meanwhile[:1].lower()}{meanwhile[1:]}")
    if loaded is not None:
        # the apply was on a demo: its modules, said as the demo's (after a bundle's apply
        # nothing is said: `run` reads no modules then)
        where = _on(status) if demo_name(status.host) else ""
        lines.append(_loaded_line(loaded).replace("loaded now", f"loaded now{where}", 1))
    text = "\n".join(lines)
    return text + _root_hint() if status.state == NONE else text


def _interrupted(status: ApplyStatus) -> str:
    """ "interrupted: it did not finish (started ..., last heard of ...)": when it ran, as far
    as its journal tells (an interrupted apply has no finish time)."""
    when = [f"started {_clock(status.started_at)}"] if status.started_at else []
    if status.interrupted_at:
        when.append(f"last heard of {_clock(status.interrupted_at)}")
    return "interrupted: it did not finish" + (f" ({', '.join(when)})" if when else "")


def _on(status: ApplyStatus) -> str:
    """ " on demo hgx-h100": the machine, when it is not this one (a demo applied with the same
    NVWIZARD_STATE_DIR is recorded here too)."""
    return f" on {status.host}" if status.host and status.host != "this machine" else ""


def _verified_line(status: ApplyStatus) -> str:
    verified = status.verified
    assert verified is not None
    at = _clock(verified.at)
    if verified.ok:
        verdict = f"ok ({len(verified.checks)} checks passed)"
    else:
        failed = ", ".join(c.name for c in verified.checks if not c.ok)
        verdict = f"problems found ({failed})"
    # Without an apply, the verify is all there is: say plainly what it was.
    label = "last verify (`nvwizard verify`)" if status.state == NONE else "verified"
    return f"{label}: {verdict} at {at}"
