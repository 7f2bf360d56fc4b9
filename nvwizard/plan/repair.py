"""Repairing the package manager: the first step of a plan when dpkg was left unfinished or
holds block the change, and the repair-only plan offered after a failed apply."""

from __future__ import annotations

from nvwizard.plan import models as pm
from nvwizard.plan.apt import apt_options
from nvwizard.plan.demo_words import for_demo
from nvwizard.plan.models import Choices, Plan, Step
from nvwizard.plan.verify import verify_command
from nvwizard.report.models import Report

# Unpacked or half-installed packages may lack their dependencies: `dpkg --configure -a` alone
# cannot finish them, `apt-get -f install` fetches what they need.
_NEEDS_FIX_BROKEN = ("U", "H")


def repair_commands(
    report: Report, lock_timeout_s: int = pm.DEFAULT_LOCK_TIMEOUT_S
) -> list[list[str]]:
    """`dpkg --configure -a`, then `apt-get -f install` when an unfinished package needs it."""
    commands = [["dpkg", "--configure", "-a"]]
    if any(p.state[1:2] in _NEEDS_FIX_BROKEN for p in report.unfinished_packages):
        commands.append(["apt-get", *apt_options(lock_timeout_s), "-f", "install"])
    return commands


def _repair_reasons(report: Report) -> list[str]:
    reasons = []
    if report.dpkg_interrupted:
        reasons.append("a previous dpkg run was interrupted")
    unfinished = report.unfinished_packages
    if unfinished:
        names = ", ".join(f"{p.name} ({p.state})" for p in unfinished)
        reasons.append(f"NVIDIA packages were left unfinished: {names}")
    return reasons


def repair_step(report: Report, lock_timeout_s: int, blocking_holds: list[str]) -> Step | None:
    """The first step of a driver plan, when dpkg needs a repair or holds block the change."""
    commands: list[list[str]] = []
    reasons = _repair_reasons(report)
    if report.needs_dpkg_repair:
        commands += repair_commands(report, lock_timeout_s)
    if blocking_holds:
        commands.append(["apt-mark", "unhold", *blocking_holds])
        reasons.append(f"held packages would block the change ({', '.join(blocking_holds)})")
    if not commands:
        return None
    return Step(
        id="repair",
        title=_repair_title(report.needs_dpkg_repair, blocking_holds),
        why="Nothing else can change safely first: " + "; ".join(reasons) + ".",
        commands=commands,
        changes_system=True,
        on_failure="Read the log; the machine may need a console session to fix dpkg."
        if report.needs_dpkg_repair
        else "Read the log; `apt-mark showhold` lists the packages still on hold.",
        kind=pm.REPAIR,
    )


def _repair_title(dpkg_repair: bool, holds: list[str]) -> str:
    """What the step does: repair dpkg, release the holds that block the change, or both."""
    if not holds:
        return "Repair the package manager"
    count = len(holds)
    release = f"the hold{'s' if count != 1 else ''} on {count} package{'s' if count != 1 else ''}"
    if dpkg_repair:
        return f"Repair the package manager and release {release}"
    return f"Release {release}"


def build_repair_plan(report: Report, lock_timeout_s: int = pm.DEFAULT_LOCK_TIMEOUT_S) -> Plan:
    """A repair-only plan: finish what dpkg left unfinished, then check every state.

    Runs `dpkg --configure -a` even when the report saw nothing unfinished (it is harmless
    then, and the report may predate the failure that asked for the repair).
    """
    reasons = _repair_reasons(report) or ["the last apply may have left packages unfinished"]
    steps = [
        Step(
            id="repair",
            title="Repair the package manager",
            why="Finish what dpkg left undone: " + "; ".join(reasons) + ".",
            commands=repair_commands(report, lock_timeout_s),
            changes_system=True,
            on_failure="Read the log for the package that still fails (often a DKMS build); "
            "fix its cause, then repair again.",
            kind=pm.REPAIR,
        )
    ]
    wanted = sorted(p.name for p in report.unfinished_packages if p.state[:1] in ("i", "h"))
    if wanted:
        steps.append(
            Step(
                id="verify",
                title="Check the repaired packages",
                why="Every package the repair finished must now be fully installed "
                "(dpkg state ii).",
                commands=[verify_command(wanted)],
                changes_system=False,
                on_failure="Read the log for the package that is still unfinished.",
                kind=pm.VERIFY,
            )
        )
    steps.append(
        Step(
            id="audit",
            title="Check that dpkg is healthy",
            why="`dpkg --audit` prints nothing once no package is left unfinished.",
            commands=[["dpkg", "--audit"]],
            changes_system=False,
            on_failure="Run `dpkg --audit` and repair the packages it lists by hand.",
            kind=pm.PREFLIGHT,
        )
    )
    plan = Plan(
        steps=steps,
        choices=Choices(driver="", purge=False, lock_timeout_s=lock_timeout_s),
        host_label=report.source,
        driver="",
        flavour="",
        branch=None,
        modules="",
        purpose=pm.REPAIR_PLAN,
    )
    return for_demo(plan, report.demo, reboot_first=report.pending_kernel is not None)
