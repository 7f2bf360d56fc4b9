"""The steps before any change (dpkg's health, fresh package lists) and the warnings a plan
carries from the detection report (GPU processes, lock holders, nouveau, blocking findings)."""

from __future__ import annotations

from nvwizard.plan import models as pm
from nvwizard.plan.models import Choices, Step
from nvwizard.report.models import Report
from nvwizard.report.wording import COMMAND_LINE, FrontEndWords

# Findings that change what the plan achieves, shown with it (besides every "block" one).
_PLAN_FINDINGS = ("kernel-older-than-installed",)


def preflight_step() -> Step:
    return Step(
        id="preflight",
        title="Check that dpkg is healthy",
        why="`dpkg --audit` lists packages a previous run left unfinished; apt refuses to work "
        "until they are repaired.",
        commands=[["dpkg", "--audit"]],
        changes_system=False,
        on_failure="Run `dpkg --configure -a`, then apply again.",
        kind=pm.PREFLIGHT,
    )


def update_step(choices: Choices) -> Step:
    timeout = choices.lock_timeout_s
    return Step(
        id="update",
        title="Refresh the package lists",
        why="The install must use the versions apt offers today (it waits up to "
        f"{timeout} s for another package manager's lock).",
        commands=[["apt-get", "-o", f"DPkg::Lock::Timeout={timeout}", "update"]],
        changes_system=True,
        on_failure="Check the network and the apt sources, then apply again.",
        kind=pm.UPDATE,
    )


def report_warnings(
    report: Report, choices: Choices, purge: list[str], words: FrontEndWords = COMMAND_LINE
) -> list[str]:
    """What the detection found that the user must know before this plan runs, with what to
    do next in the front end's `words`."""
    warnings = []
    if report.gpu_jobs:  # not NVIDIA's GPU services: they go with the old driver
        # always, as the gpu-processes blocker (plan/blockers.py): a plan that purges nothing
        # (--keep-installed) still reboots into the new driver
        names = ", ".join(f"{p.name} (pid {p.pid})" for p in report.gpu_jobs)
        when = "when the driver goes" if purge else "at the reboot into the new driver"
        warnings.append(f"Processes use the GPU and will fail {when}: {names}.")
    holders = {(h.pid, h.name): h for h in report.lock_holders}  # one per process
    for holder in holders.values():
        warnings.append(
            f"The package manager lock is held by {holder.name} (pid {holder.pid}): apt waits "
            f"up to {choices.lock_timeout_s} s for it, then the plan stops."
        )
    if report.nouveau_loaded:
        warnings.append(
            "nouveau is loaded: the NVIDIA driver runs once nouveau is gone, after a reboot, or "
            f"without one where nothing holds nouveau ({words.load_without_reboot})."
        )
    if report.assumes_headless and choices.headless:
        warnings.append(
            "Nothing shows whether this machine runs a desktop: nvwizard assumed a headless "
            f"server (the server ranking, the compute stack only). {words.say_desktop}"
        )
    for finding in report.findings:
        if finding.severity == "block" or finding.id in _PLAN_FINDINGS:
            warnings.append(f"{finding.message} {finding.fix}".strip())
    return warnings
