"""`nvwizard detect`: what is this machine, what is installed, what fits, what is wrong.

The import path stays light (no Textual): the report is built and printed as plain text, or
as the one JSON object documented in the README.
"""

from __future__ import annotations

import argparse
import json

from nvwizard.errors import UsageError
from nvwizard.host.demo import DEMOS, default_demo_name


def register(subparsers, add_machine_options) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="show the GPUs, the installed driver, the candidates and any problems",
        description="Detect the NVIDIA GPUs, the installed driver packages and loaded module, "
        "the drivers that fit, and every finding that matters before a change. Read-only.",
    )
    add_machine_options(parser)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (keys in the README)"
    )
    parser.add_argument(
        "--list-demos",
        action="store_true",
        help="list the bundled demo machines and exit (with --json: one JSON list of "
        "{name, title, description, default})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.list_demos:
        if args.machine is not None or args.demo is not None:
            raise UsageError(
                "--list-demos lists the demo machines: it takes no --machine or --demo"
            )
        print(json.dumps(demo_list_json(), indent=2) if args.json else format_demo_list())
        return 0
    # lazy: only when this command runs (see cli/commands.py)
    from nvwizard.report.build import build_report
    from nvwizard.simulator.select import host_from_args

    host = host_from_args(args.machine, args.demo)
    report = build_report(host)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(format_report(report))
    return 0


def format_demo_list() -> str:
    width = max(len(d.name) for d in DEMOS)
    lines = []
    for demo in DEMOS:
        mark = " (default)" if demo.name == default_demo_name() else ""
        lines.append(f"{demo.name:<{width}}  {demo.title}{mark}")
        lines.append(f"{'':<{width}}  {demo.description}")
    lines.append("")
    lines.append("Use one with: nvwizard detect --demo NAME   (or: nvwizard --demo NAME)")
    return "\n".join(lines)


def demo_list_json() -> list[dict]:
    """The demo machines as `detect --list-demos --json` prints them: what the text shows."""
    default = default_demo_name()
    return [
        {
            "name": demo.name,
            "title": demo.title,
            "description": demo.description,
            "default": demo.name == default,
        }
        for demo in DEMOS
    ]


def format_report(report) -> str:
    """The readable summary of a `Report`."""
    os_line = report.os or "unknown OS"
    lines = [f"Machine: {report.source}", f"OS: {os_line}, kernel {report.kernel or 'unknown'}"]
    if not report.has_nvidia_gpu:
        lines.append("")
        lines.append(f"No NVIDIA GPU found on {report.source}: there is no driver to install.")
        return "\n".join(lines)

    lines += ["", f"GPUs ({len(report.gpus)}):"]
    for gpu in report.gpus:
        lines.append(f"  {_gpu_line(gpu)}")
    if report.nvswitch_count:
        lines.append(
            f"NVSwitches: {report.nvswitch_count} (needs nvidia-fabricmanager and libnvidia-nscq "
            "at the driver's exact version)"
        )

    lines += ["", "Installed NVIDIA packages:"]
    if report.installed_packages:
        width = max(len(p.name) for p in report.installed_packages)
        for package in report.installed_packages:
            lines.append(f"  {package.state:<3} {package.name:<{width}}  {package.version or ''}")
    else:
        lines.append("  none")

    module = report.loaded_module
    lines.append("")
    lines.append(
        f"Loaded module: {module.version or 'unknown version'} ({module.flavor or 'unknown'})"
        if module
        else "Loaded module: none"
    )
    lines.append(f"nvidia-smi: {_smi_line(report.nvidia_smi)}")
    lines.append(f"Secure Boot: {report.secure_boot}")
    nouveau = {True: "loaded", False: "not loaded", None: "unknown"}[report.nouveau_loaded]
    lines.append(f"nouveau: {nouveau}")
    kind = {True: "headless", False: "desktop", None: "desktop or not unknown (assumed headless)"}
    lines.append(f"Session: {'over SSH' if report.over_ssh else 'local'}, {kind[report.headless]}")

    lines += ["", f"Kernel log (this boot){_log_source(report.kernel_log)}:"]
    lines += kernel_log_lines(report)

    lines += ["", "Developer stack:"]
    lines += stack_lines(report.stack)

    lines += ["", "Driver candidates:"]
    table = _candidate_table(report)
    lines += table or [f"  {_no_candidates(report)}"]
    if table and report.drivers_not_understood:
        names = ", ".join(report.drivers_not_understood)
        lines.append(f"  also listed but not understood (no branch known): {names}")

    lines += ["", "Findings:"]
    order = {"block": 0, "warn": 1, "info": 2}
    findings = sorted(report.findings, key=lambda f: order.get(f.severity, 3))
    for finding in findings:
        lines.append(f"  {finding.severity.upper():<5} {finding.id}: {finding.message}")
        if finding.fix:
            lines.append(f"        fix: {finding.fix}")
    if not findings:
        lines.append("  none")
    return "\n".join(lines)


def _gpu_line(gpu) -> str:
    """One GPU, saying only what is known: plain `lspci` (no -nn) gives no device id."""
    ident = f"[10de:{gpu.device_id}]" if gpu.device_id else ""
    name = gpu.name or (f"device {gpu.device_id}" if gpu.device_id else "NVIDIA GPU")
    chip = f" ({gpu.chip})" if gpu.chip else ""
    fields = [gpu.pci_address, name, ident, f"{gpu.architecture}{chip}"]
    return "  ".join(f for f in fields if f) + f", open kernel modules: {gpu.open_kernel}"


def _log_source(log) -> str:
    return f", from {log.source}" if log is not None and log.source else ""


def kernel_log_lines(report) -> list[str]:
    """What this boot's kernel log says of the NVIDIA driver, one fact a line."""
    # lazy: only when a report is printed (see cli/commands.py)
    from nvwizard.report.findings.common import times
    from nvwizard.report.findings.kernel_log import gpu_named, xid_line

    log = report.kernel_log
    if log is None:
        return ["  not captured"]
    lines = [xid_line(report, x) for x in log.xids]
    lines += [
        f"API mismatch{times(m.count)}: libraries {m.client_version}, kernel module "
        f"{m.module_version}"
        for m in log.api_mismatches
    ]
    lines += [
        f"RmInitAdapter failed{times(f.count)}"
        + (f" on {gpu_named(report, f.pci_address)}" if f.pci_address else "")
        for f in log.init_failures
    ]
    lines += [f"fallen off the bus: {gpu_named(report, a)}" for a in log.fallen_off_bus]
    lines += [
        f"the open modules refused {gpu_named(report, r.pci_address)} (PCI ID {r.pci_id})"
        for r in log.open_refused
    ]
    lines += [f"built for another kernel: {s}" for s in log.symbol_mismatches]
    lines += [f"loaded unsigned: {m}" for m in log.unsigned_modules]
    if log.lockdown_refusals:
        lines.append(f"Lockdown refused an unsigned module{times(log.lockdown_refusals)}")
    lines += [f"nouveau bound to {gpu_named(report, a)}" for a in log.nouveau_bound]
    if log.suppressed or log.left_out:
        lines.append(
            f"({log.suppressed + log.left_out} more lines dropped by the kernel's rate limit "
            "or the size cap)"
        )
    return [f"  {line}" for line in lines] or ["  no NVIDIA errors"]


def stack_lines(stack) -> list[str]:
    """The CUDA toolkits, cuDNN, the container toolkit and NVIDIA's CUDA repository."""
    toolkits = [
        f"{t.release or t.version} ({t.source}, {t.path})" if t.path else t.version
        for t in stack.cuda_toolkits
    ]
    lines = [f"  CUDA toolkit: {', '.join(toolkits) or 'none'}"]
    cudnn = stack.cudnn
    lines.append(
        f"  cuDNN: {cudnn.version or '?'} for CUDA {cudnn.cuda_major} ({cudnn.package})"
        if cudnn
        else "  cuDNN: none"
    )
    ctk = stack.container_toolkit
    runtimes = ", ".join(stack.container_runtimes) or "none"
    if ctk:
        configured = ", ".join(ctk.runtimes_configured) or "none"
        lines.append(
            f"  Container toolkit: {ctk.version or '?'}; runtimes: {runtimes}; "
            f"nvidia runtime configured in: {configured}"
        )
    else:
        lines.append(f"  Container toolkit: none; runtimes: {runtimes}")
    repo = "configured" if stack.cuda_repo else "not configured"
    if stack.cuda_repo and stack.cuda_repo_driver_pin:
        repo += ", its driver packages pinned out"
    lines.append(f"  NVIDIA CUDA repository: {repo}")
    return lines


def _no_candidates(report) -> str:
    """Why the table is empty: names not understood, nothing offered, or nothing read."""
    if report.drivers_not_understood:
        names = ", ".join(report.drivers_not_understood)
        return f"none nvwizard understands: listed but not understood: {names}"
    if report.driver_sources:
        return f"none offered for this GPU (read: {', '.join(report.driver_sources)})"
    return "none found (no ubuntu-drivers output and no apt data)"


def _smi_line(smi) -> str:
    if smi is None:
        return "no output (not installed or not captured)"
    if smi.status == "ok":
        return (
            f"ok, driver {smi.driver_version or '?'}, CUDA {smi.cuda_version or '?'}, "
            f"{len(smi.gpus)} GPU(s)"
        )
    message = (smi.message or "").strip().splitlines()
    return f"{smi.status}" + (f": {message[0]}" if message else "")


def _candidate_table(report) -> list[str]:
    # lazy: only when a report is printed (see cli/commands.py)
    from nvwizard.detect.debversion import upstream_part
    from nvwizard.report.lifecycle import end_of_life_cell

    rows = [("", "PACKAGE", "BRANCH", "VERSION", "KIND", "SUPPORT", "EOL", "CUDA", "")]
    for c in report.driver_candidates:
        kind = ("server" if c.server else "desktop") + ("-open" if c.open else "")
        note = "recommended" if c.recommended else ""
        if not c.runnable:
            note = f"cannot run here: {c.reason}" if c.reason else "cannot run here"
        rows.append(
            (
                "*" if c.recommended else " ",
                c.package,
                str(c.branch),
                upstream_part(c.version) if c.version else "-",  # what apt would install
                kind,
                c.support or "-",
                end_of_life_cell(c),
                c.cuda or "-",
                note,
            )
        )
    if len(rows) == 1:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]
