"""Journals written by the real Journal listener from made-up events (no apt involved)."""

from __future__ import annotations

from pathlib import Path

from nvwizard.engine import events as ev
from nvwizard.engine.journal import Journal
from nvwizard.plan.models import Plan
from tests.detach.helpers import install_plan


def write_journal(
    log: Path,
    state: Path,
    upto: str = "finished",
    outcome: str = "done",
    at: float = 1000.0,
    host: str = "this machine",
    plan: Plan | None = None,
) -> Journal:
    """A two-step apply (install, verify-packages) on `host` written up to `upto`:
    "install-running" (40% into the first step) or "finished" (with `outcome`). `plan`: the
    plan it started with (default: installing nvidia-driver-580-server)."""
    plan = plan or install_plan("nvidia-driver-580-server")
    journal = Journal(log, state)
    journal(ev.PlanStarted(plan, 4242, host, time=at))
    journal(
        ev.StepStarted("install", "Install the driver", (("apt-get", "install"),), "install", at)
    )
    journal(ev.StepOutput("install", "stdout", ("Setting up nvidia-dkms-580-server ...",), at))
    journal(ev.StepProgress("install", 40.0, "Installing", "install", at))
    if upto == "install-running":
        journal.close()
        return journal
    ok = outcome != "failed"
    journal(ev.StepFinished("install", 0 if ok else 100, 1.0, ok, at))
    if ok:
        journal(ev.StepStarted("verify-packages", "Check the package states", (), "verify", at))
        journal(ev.StepFinished("verify-packages", 0, 0.1, True, at))
    ended = ev.Outcome(
        status=outcome,
        failed_step=None if ok else "install",
        message=None
        if ok
        else "Install the driver failed: nvidia-dkms-580-server is half-configured",
        repair=None if ok else ("dpkg", "--configure", "-a"),
        reboot_required=True,
        steps_done=("install", "verify-packages") if ok else (),
    )
    journal(ev.PlanFinished(ended, at))
    journal.close()
    return journal
