"""Journals written by the real Journal listener from made-up events (no apt involved)."""

from __future__ import annotations

from pathlib import Path

from nvwizard.engine import events as ev
from nvwizard.engine.journal import Journal
from tests.detach.helpers import install_plan


def write_journal(
    log: Path, state: Path, upto: str = "finished", outcome: str = "done", at: float = 1000.0
) -> Journal:
    """A two-step apply (install, verify-packages) written up to `upto`:
    "install-running" (40% into the first step) or "finished" (with `outcome`)."""
    plan = install_plan("nvidia-driver-580-server")
    journal = Journal(log, state)

    def emit(kind, step=None, **data):
        journal(ev.Event(kind=kind, step=step, data=data, time=at))

    emit(ev.PLAN_STARTED, plan=plan.to_json(), pid=4242, host="this machine")
    emit(ev.STEP_STARTED, "install", title="Install the driver", argv=[["apt-get", "install"]])
    emit(ev.OUTPUT, "install", stream="stdout", line="Setting up nvidia-dkms-580-server ...")
    emit(ev.PROGRESS, "install", percent=40.0, text="Installing", phase="install")
    if upto == "install-running":
        journal.close()
        return journal
    ok = outcome != "failed"
    emit(ev.STEP_FINISHED, "install", exit_code=0 if ok else 100, duration_s=1.0, ok=ok)
    if ok:
        emit(ev.STEP_STARTED, "verify-packages", title="Check the package states", argv=[])
        emit(ev.STEP_FINISHED, "verify-packages", exit_code=0, duration_s=0.1, ok=True)
    emit(
        ev.PLAN_FINISHED,
        outcome=outcome,
        failed_step=None if ok else "install",
        message=None
        if ok
        else "Install the driver failed: nvidia-dkms-580-server is half-configured",
        repair=None if ok else ["dpkg", "--configure", "-a"],
        reboot_required=True,
        reboot_scheduled=False,
    )
    journal.close()
    return journal
