"""Findings about the machine's state: dpkg, locks, running jobs, reboots, disk, session."""

from __future__ import annotations

import re
import shlex

from nvwizard.host.demo_advice import demo_package_repair, verify_command
from nvwizard.knowledge.kernel_modules import service_of_process
from nvwizard.report.driver_runs import planned_driver_runs, reboot_still_waits_for
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings.common import KERNEL_IMAGE_RE, LOW_DISK_KIB, by_hand, present
from nvwizard.report.models import Finding, Report


def dpkg_interrupted(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.dpkg_interrupted:
        return None
    return Finding(
        "dpkg-interrupted",
        "block",
        "dpkg was interrupted: an earlier package operation did not finish.",
        "Run `sudo dpkg --configure -a` before changing the driver."
        if report.demo is None
        else demo_package_repair(report.demo),
    )


def half_configured_packages(report: Report, facts: ExtraFacts) -> Finding | None:
    broken = [f"{e.name} ({e.state})" for e in report.unfinished_packages]
    if not broken:
        return None
    return Finding(
        "half-configured-packages",
        "block",
        f"NVIDIA packages are not fully installed: {', '.join(broken)}.",
        "Run `sudo dpkg --configure -a` to finish configuring them "
        "(then `sudo apt-get -f install` if dependencies are missing)."
        if report.demo is None
        else demo_package_repair(report.demo),
    )


def dpkg_lock_held(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.lock_holders:
        return None
    # One process often holds several locks (lock-frontend and lock): name it once.
    by_pid = {h.pid: h.name for h in report.lock_holders}
    holders = ", ".join(f"{name} (pid {pid})" for pid, name in by_pid.items())
    return Finding(
        "dpkg-lock-held",
        "warn",
        f"The dpkg/apt lock is held by {holders}.",
        "Wait for it to finish (nvwizard waits with a visible timeout); never delete lock files.",
    )


def gpu_processes(report: Report, facts: ExtraFacts) -> Finding | None:
    """The jobs using the GPU; NVIDIA's own services are not jobs to drain: a plan stops them
    and they start again with the new driver."""
    jobs = report.gpu_jobs
    if not jobs:
        return None
    shown = jobs[:5]
    listed = ", ".join(f"{p.name} (pid {p.pid}{', ' + p.user if p.user else ''})" for p in shown)
    more = f" and {len(jobs) - len(shown)} more" if len(jobs) > len(shown) else ""
    services = list(dict.fromkeys(s for p in report.gpu_processes for s in _service(p.name)))
    also = (
        f" NVIDIA's services {' and '.join(services)} use it too: not jobs, they stop and "
        "start again with the driver."
        if services
        else ""
    )
    return Finding(
        "gpu-processes",
        "warn",
        f"{len(jobs)} process(es) use the GPU: {listed}{more}; a purge or driver change kills "
        f"them.{also}",
        "Stop or drain these jobs first.",
    )


def _service(process: str) -> list[str]:
    """The GPU service whose daemon this is, by its unit's name ("nvidia-persistenced")."""
    return [unit.removesuffix(".service") for unit in service_of_process(process)[:1]]


def reboot_required(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.reboot_required:
        return None
    if reboot_still_waits_for(report) == []:  # only the NVIDIA packages, their driver loaded
        return Finding(
            "reboot-required",
            "info",
            f"A reboot is still flagged (/var/run/reboot-required) for "
            f"{', '.join(report.reboot_required_for)}, but their driver is loaded already "
            "(without a reboot).",
            "Nothing waits for it: the next reboot changes nothing for the driver, and clears "
            "the flag.",
        )
    return Finding(
        "reboot-required",
        "warn",
        "A reboot is already pending (/var/run/reboot-required).",
        "Reboot first, so the driver is installed for the kernel that will run.",
    )


def kernel_release_key(release: str) -> tuple[int, ...]:
    """ "6.8.0-87-generic" -> (6, 8, 0, 87): compares kernel releases of any flavour."""
    return tuple(int(n) for n in re.findall(r"\d+", release)[:4])


def newest_installed_kernel(facts: ExtraFacts) -> str | None:
    releases = []
    for entry in facts.all_packages:
        match = KERNEL_IMAGE_RE.match(entry.name)
        if match and present(entry):
            releases.append(match.group(1))
    return max(releases, key=kernel_release_key, default=None)


def kernel_older_than_installed(report: Report, facts: ExtraFacts) -> Finding | None:
    newest = newest_installed_kernel(facts)
    if not (report.kernel and newest):
        return None
    if kernel_release_key(newest) <= kernel_release_key(report.kernel):
        return None
    return Finding(
        "kernel-older-than-installed",
        "warn",
        f"The running kernel {report.kernel} is older than the installed {newest}, which the "
        "next boot will use.",
        f"Reboot into {newest} first, or make sure the driver's modules exist for it too.",
    )


def held_packages(report: Report, facts: ExtraFacts) -> Finding | None:
    if not report.held_packages:
        return None
    names = shlex.join(report.held_packages)
    return Finding(
        "held-packages",
        "warn",
        f"Packages are on hold: {', '.join(report.held_packages)}; apt will not change them.",
        "nvwizard's plan releases those the driver change needs to change and, after the "
        "install, holds what takes their place (a listed step). "
        + by_hand(
            report,
            f"Release them yourself with `sudo apt-mark unhold {names}`, and hold the new "
            "ones after the install.",
        ),
    )


def low_disk(report: Report, facts: ExtraFacts) -> Finding | None:
    low = [d for d in facts.disk if d.mount in ("/", "/var") and d.available_kib < LOW_DISK_KIB]
    if not low:
        return None
    where = ", ".join(f"{d.mount} ({d.available_kib / 1024 / 1024:.1f} GiB free)" for d in low)
    return Finding(
        "low-disk",
        "warn",
        f"Too little free disk space: {where}; a driver install needs about 2 GiB.",
        by_hand(report, "Free space first, e.g. `sudo apt-get clean` and removing old kernels."),
    )


def over_ssh(report: Report, facts: ExtraFacts) -> Finding | None:
    """Over SSH, where a reboot is ahead: the reboot ends the session. Not on a machine without
    an NVIDIA GPU (no reboot, no verify), nor where the recommended driver runs already and
    nothing waits for a reboot (verified: nvwizard advises no change, so no reboot)."""
    if (
        not report.over_ssh
        or not report.has_nvidia_gpu
        or planned_driver_runs(report, report.recommended_driver)
    ):
        return None
    if report.demo:
        then = facts.words.after_demo_reboot.format(verify=verify_command(report.demo.name))
    else:
        then = facts.words.after_reboot.format(verify="nvwizard verify", wizard="sudo nvwizard")
    return Finding(
        "over-ssh",
        "info",
        "You are connected over SSH: the reboot will end this session.",
        "nvwizard runs the install outside your SSH session; reconnect after the reboot and "
        f"run {then}.",
    )
