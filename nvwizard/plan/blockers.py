"""What a plan must not do without someone's consent: its blocking conditions.

`nvwizard install` and the wizard show a plan's warnings and ask before applying. An
unattended rollout (the exported playbook) has nobody to ask, so it leaves a host alone while
its plan has one of these, unless the operator accepted that condition by its id
(`nvwizard_accept`). They are the warnings that say the change itself does harm nvwizard
cannot undo, or leaves a host that only a person at its console can bring back:

- `gpu-processes`: processes other than the daemons of NVIDIA's own GPU services (which go and
  come back with the driver: nvidia-persistenced, fabric manager, DCGM, nvidia-powerd) use
  the GPU: the purge, or the reboot that loads the new driver, kills them;
- `secure-boot-dkms-only`: the plan warns that Secure Boot is on and DKMS builds the module:
  it loads only once its key was imported (`mokutil --import`, a one-time password typed
  twice) and enrolled at the console or BMC during a boot (knowledge/secure_boot.py);
- `run-installer`, and any finding of severity `block` the plan does not resolve itself: a
  driver NVIDIA's .run installer left, whose files apt's packages conflict with;
  `gpu-fallen-off-bus`, a GPU that does not answer on the bus (no driver brings it back: it
  needs a power cycle and a look at the hardware, not a driver change).

The findings of severity `block` that the plan resolves itself are not blockers: an
interrupted dpkg and half-configured packages (its repair step runs `dpkg --configure -a`),
a loaded driver that cannot drive the GPU (installing one that can is the fix). Any other
`block` finding is a blocker under its own id, listed in BLOCKER_IDS so it can be accepted.
Each message is the plan's own warning where there is one, in the same words.
"""

from __future__ import annotations

from nvwizard.knowledge.secure_boot import PLAN_WARNING_OPENS
from nvwizard.plan.models import Blocker
from nvwizard.report.activation import describe_processes
from nvwizard.report.models import Report

GPU_PROCESSES = "gpu-processes"
SECURE_BOOT_DKMS = "secure-boot-dkms-only"
RUN_INSTALLER = "run-installer"
FALLEN_OFF_BUS = "gpu-fallen-off-bus"
# every id a blocker can have, with what accepting it means (the playbook's documentation)
BLOCKER_IDS = {
    GPU_PROCESSES: "the jobs using the GPU die (the purge, or the reboot into the new driver)",
    SECURE_BOOT_DKMS: "the host comes back without a loaded driver until someone imports "
    "DKMS's key (`mokutil --import`) and enrolls it as a Machine Owner Key at its console or "
    "BMC during a boot",
    RUN_INSTALLER: "apt installs over a driver NVIDIA's .run installer left (its files "
    "conflict with the packages')",
    FALLEN_OFF_BUS: "the driver changes while a GPU does not answer on the bus: no driver "
    "brings it back, and the reboot into the new one often does not either (it needs a power "
    "cycle and a hardware check)",
}
# findings of severity "block" that the plan's own steps resolve
RESOLVED_BY_THE_PLAN = {
    "dpkg-interrupted": "the repair step runs dpkg --configure -a first",
    "half-configured-packages": "the repair step runs dpkg --configure -a first",
    "loaded-driver-cannot-drive-gpu": "installing a driver the GPU runs is the fix",
}


def plan_blockers(report: Report, warnings: list[str]) -> list[Blocker]:
    """The blocking conditions of a driver plan for this report, whose warnings are these."""
    blockers = _gpu_jobs(report)
    # the plan's Secure Boot warning (Ubuntu's or Debian's, worded for the machine)
    secure_boot = next((w for w in warnings if w.startswith(PLAN_WARNING_OPENS)), None)
    if secure_boot is not None:
        blockers.append(Blocker(SECURE_BOOT_DKMS, secure_boot))
    return blockers + _unresolved_findings(report)


def machine_blocker_ids(report: Report) -> list[str]:
    """The ids of the blocking conditions any driver plan for this machine has, whichever
    driver it installs (all but Secure Boot's, which depends on the driver's modules)."""
    return [b.id for b in _gpu_jobs(report) + _unresolved_findings(report)]


def _gpu_jobs(report: Report) -> list[Blocker]:
    jobs = report.gpu_jobs
    if not jobs:
        return []
    return [
        Blocker(
            GPU_PROCESSES,
            f"Jobs use the GPU and will fail when the driver goes (the purge, or the "
            f"reboot into the new driver): {describe_processes(jobs)}. Stop or drain "
            "them first.",
        )
    ]


def _unresolved_findings(report: Report) -> list[Blocker]:
    return [
        Blocker(finding.id, f"{finding.message} {finding.fix}".strip())
        for finding in report.findings
        if finding.severity == "block" and finding.id not in RESOLVED_BY_THE_PLAN
    ]


def what_accepting_means(blocker: Blocker) -> str:
    """`id: what accepting it means`, as the plan and the wizard name a blocking condition
    (its own message for an id without a meaning of its own)."""
    return f"{blocker.id}: {BLOCKER_IDS.get(blocker.id, blocker.message)}"
