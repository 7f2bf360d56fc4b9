"""Reattach to an apply: is one running, how far is it, how did the last one end, what next.

Facts come from three places, each written by the worker alone: the apply lock's sidecar
(who runs now), the state file (the last apply's plan, step statuses and outcome) and the
JSON-lines journal (every event, for progress). Nothing here changes them; following the
journal (`logs -f`) is engine/follow.py.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nvwizard.engine import events as ev
from nvwizard.engine import journal as jn
from nvwizard.engine import paths
from nvwizard.engine import restore_holds as restore
from nvwizard.engine.lock import current_holder
from nvwizard.engine.progress import DONE, PENDING, PlanProgress, progress_of
from nvwizard.engine.state import VerifyResult, read_state
from nvwizard.host.bundle_advice import after_bundle_apply, after_bundle_failure, bundle_dir
from nvwizard.host.demo import demo_name
from nvwizard.host.demo_advice import (
    demo_reboot_to_load,
    demo_repair,
    install_again,
    verify_command,
)
from nvwizard.knowledge.secure_boot import after_the_install
from nvwizard.plan.install_options import install_here
from nvwizard.plan.models import ACTIVATE_PLAN, REBOOT_PLAN

RUNNING = "running"
FINISHED = "finished"
NONE = "none"
INTERRUPTED = "interrupted"  # an outcome: the state says running, but its process is gone

# What the person should do next.
NEXT_WAIT = "wait"  # an apply runs: follow it
NEXT_REBOOT = "reboot"
NEXT_VERIFY = "verify"
NEXT_REPAIR = "repair"
NEXT_INSTALL = "install"  # cancelled or nothing applied yet: (re)run the install
NEXT_NOTHING = "nothing"

REPAIR_ARGV = ("dpkg", "--configure", "-a")


@dataclass
class ApplyStatus:
    state: str  # RUNNING, FINISHED or NONE (no apply recorded)
    outcome: str | None = None  # running, done, failed, cancelled, interrupted
    driver: str | None = None
    host: str | None = None  # the machine applied to: "this machine", "demo hgx-h100"
    purpose: str | None = None  # what the apply was for: install, repair, activate, reboot
    run_id: str | None = None
    pid: int | None = None
    started_at: float | None = None
    finished_at: float | None = None
    # an apply that did not finish (its process gone): its journal's last event, the last
    # moment it is known to have run (None: not interrupted, or no journal to tell)
    interrupted_at: float | None = None
    progress: PlanProgress = field(default_factory=PlanProgress)
    progress_problem: str | None = None  # why the journal gave no progress (damaged)
    failed_step: str | None = None
    message: str | None = None
    repair: tuple[str, ...] | None = None
    # the new driver loads only after a reboot, and none happened since the apply (nor does the
    # installed driver run already)
    reboot_pending: bool = False
    reboot_scheduled: bool = False  # a reboot is scheduled and has not happened yet
    rebooted_since: bool = False  # the machine booted after the apply finished
    # The installed driver is the one loaded (what `activate` calls nothing to do): known for
    # a demo kept in the state directory, None on this machine (status does not look)
    driver_runs: bool | None = None
    reboot_first: str | None = None  # a demo's `DemoNow.reboot_first`; None on this machine
    verify_pending: bool = False
    verified: VerifyResult | None = None  # the last `verify` result recorded in the state file
    log_path: str | None = None
    events_path: str | None = None
    blockers: tuple[str, ...] = ()  # the ids of the plan's blocking conditions (accepted)
    # Secure Boot is on and DKMS built the module: the certificate of the key to import and
    # enrol before the reboot loads it (knowledge/secure_boot.py)
    mok_certificate: str | None = None
    # the options after --driver that make an install again the same install (the plan's
    # `install_options`); () from a state file written before they were recorded
    install_options: tuple[str, ...] = ()
    next_step: str = NEXT_NOTHING
    next_hint: str = ""

    def to_json(self) -> dict:
        """The `nvwizard status --json` object."""
        return {
            "state": self.state,
            "outcome": self.outcome,
            "driver": self.driver,
            "host": self.host,
            "purpose": self.purpose,
            "run_id": self.run_id,
            "pid": self.pid,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "interrupted_at": self.interrupted_at,
            "progress": self.progress.to_json(),
            "progress_problem": self.progress_problem,
            "failed_step": self.failed_step,
            "message": self.message,
            "repair": list(self.repair) if self.repair is not None else None,
            "reboot_pending": self.reboot_pending,
            "reboot_scheduled": self.reboot_scheduled,
            "rebooted_since": self.rebooted_since,
            "driver_runs": self.driver_runs,
            "verify_pending": self.verify_pending,
            "verified": self.verified.to_json() if self.verified is not None else None,
            "log_path": self.log_path,
            "events_path": self.events_path,
            "next_step": self.next_step,
            "next_hint": self.next_hint,
        }


@dataclass(frozen=True)
class DemoNow:
    """The demo machine the last apply ran on, as it is now in the state directory: the
    simulator's answer, which the caller builds (the engine never builds a demo)."""

    booted_at: float | None  # its last boot (time.time()); None: not since it was its bundle
    driver_runs: bool  # the installed driver is the one loaded (`activate`: nothing to do)
    saved_in: str  # the file it lives in: deleting it resets the demo to its bundle
    # why loading the installed driver without a reboot is ruled out until the demo boots
    # again (`activate` refuses for it: a kernel update waits); None: nothing rules it out
    reboot_first: str | None = None


def _boot_time() -> float | None:
    try:
        # lazy: every CLI command imports this module (status, logs); psutil (~10 ms) loads
        # only when a reader needs the boot time
        import psutil

        return psutil.boot_time()
    except Exception:  # no /proc/stat in odd containers: just do not know
        return None


def current_apply(
    state_dir: Path | None = None,
    boot_time: float | None = None,
    demo_now: Callable[[str, Path], DemoNow | None] | None = None,
) -> ApplyStatus:
    """The running apply, or the last one and what to do after it.

    `boot_time`: when this machine booted (default: the kernel's). An apply on a demo machine
    kept in the state directory asks `demo_now(name, state_dir)` instead (None: that demo
    cannot be read), so its reboot is the demo's, not this computer's, and the next step is
    said with the demo's own commands. StateFileError (one line) when the state file is
    damaged: nothing here trusts it then.
    """
    state_dir = state_dir or paths.state_dir()
    holder = current_holder(state_dir)
    machine = read_state(state_dir)
    last = machine.apply
    if holder is None and last is None:
        status = ApplyStatus(
            state=NONE,
            reboot_scheduled=machine.reboot_scheduled,
            verify_pending=machine.verify_pending,
            verified=machine.verify,
        )
        status.next_step, status.next_hint = _next_step(status)
        return status

    same_run = holder is not None and (
        last is None or holder.journal is None or holder.journal == last.events
    )
    events_path = (holder.journal if holder else None) or (last.events if last else None)
    status = ApplyStatus(
        state=RUNNING if holder is not None else FINISHED,
        outcome=RUNNING if holder is not None else (last.outcome if last else None),
        driver=(holder.driver if holder else None) or (last.driver if last else None),
        host=(holder.host if holder else None) or (last.host if last else None),
        run_id=holder.run_id if holder else None,
        pid=holder.pid if holder else (last.pid if last else None),
        started_at=(holder.started_at if holder else None) or (last.started if last else None),
        events_path=events_path,
        log_path=last.log if last is not None and (same_run or holder is None) else None,
    )
    if last is not None and (holder is None or same_run):
        status.finished_at = last.finished if holder is None else None
        status.purpose = last.purpose
        status.failed_step = last.failed_step
        status.message = last.message
        status.repair = last.repair
        status.blockers, status.mok_certificate = last.blockers, last.mok_certificate
        status.install_options = last.install_options
        status.reboot_pending = last.reboot_pending
        status.reboot_scheduled = machine.reboot_scheduled
        status.verify_pending = machine.verify_pending
        status.verified = machine.verify
    last_heard, released = _read_progress(status, events_path) if events_path else (None, [])
    demo = demo_name(status.host)
    if holder is None and status.outcome == RUNNING:
        # The state says running but nobody holds the lock: the worker died mid-apply.
        status.outcome = INTERRUPTED
        status.message = "the apply stopped without finishing (its process is gone)"
        status.repair = REPAIR_ARGV
        status.interrupted_at = last_heard
        if released:  # no process was left to put them back (engine/restore_holds.py)
            names = ", ".join(released)
            status.message += (
                f"; it had released the administrator's holds on {names} and not carried them "
                "over: they may not be on hold now (`apt-mark showhold`)"
            )
    if demo is not None:
        status.repair = None  # a demo's dpkg is the simulator's: its plans repair it, not you
    now = demo_now(demo, state_dir) if demo is not None and demo_now is not None else None
    if demo is not None:
        boot = _take_demo_now(status, now)
    else:
        boot = boot_time if boot_time is not None else _boot_time()
    if status.finished_at and boot:
        status.rebooted_since = boot > status.finished_at
    _settle_reboot(status)
    status.next_step, status.next_hint = _next_step(status, now)
    return status


def _take_demo_now(status: ApplyStatus, now: DemoNow | None) -> float | None:
    """The demo's facts into `status` (None: it could not be read); its last boot."""
    status.driver_runs = now.driver_runs if now is not None else None
    status.reboot_first = now.reboot_first if now is not None else None
    return now.booted_at if now is not None else None


def _settle_reboot(status: ApplyStatus) -> None:
    """The apply's reboot facts as they are now, not as the apply left them: a boot since it
    ended fulfilled (or dropped) the reboot it asked for and any reboot scheduled before it,
    and a driver that runs already needs none. A bundle's simulated machine ended with its
    command: nothing is pending on it, nor to repair."""
    if bundle_dir(status.host) is not None:
        status.reboot_pending = status.reboot_scheduled = status.verify_pending = False
        status.repair = None
    elif status.rebooted_since:
        status.reboot_pending = status.reboot_scheduled = False
    elif status.driver_runs:
        status.reboot_pending = False


def _read_progress(status: ApplyStatus, events_path: str) -> tuple[float | None, list[str]]:
    """Fill in the progress from the journal; the time of its last event (None: none read),
    and the holds its plan released and had not carried over (or put back) by then."""
    try:
        events = jn.read_events(events_path)
    except OSError:
        return None, []
    except jn.JournalError as error:
        status.progress_problem = str(error)
        return None, []
    status.progress = progress = progress_of(events)
    plan = next((e.plan for e in events if isinstance(e, ev.PlanStarted)), None)
    released: list[str] = []
    done = [step for step, state in progress.status.items() if state == DONE]
    started = [step for step, state in progress.status.items() if state != PENDING]
    if plan is not None and restore.holds_left_released(plan, started, done):
        released = [] if restore.STEP_ID in done else plan.released_holds
    return (events[-1].time if events else None), released


def _next_step(status: ApplyStatus, demo: DemoNow | None = None) -> tuple[str, str]:
    """What to do next, said for the machine the apply ran on: this one, or a demo kept in
    the state directory (its own `--demo NAME` commands, never this machine's sudo, dpkg or
    reboot; `demo` is how it is now, when it could be read)."""
    name = demo_name(status.host)
    verify = _verify_command(status)
    loaded = status.rebooted_since or bool(status.driver_runs)  # the new driver runs
    if status.state == RUNNING:
        return NEXT_WAIT, "follow it with `nvwizard logs -f`"
    options = status.install_options  # an install again is the same install
    folder = bundle_dir(status.host)
    if folder is not None:
        if status.outcome in ("failed", "cancelled", INTERRUPTED):
            return NEXT_INSTALL, after_bundle_failure(folder, status.driver, options)
        return NEXT_NOTHING, after_bundle_apply(folder)
    if status.purpose == ACTIVATE_PLAN and status.outcome == "failed":
        if loaded:
            return NEXT_VERIFY, f"run `{verify}`"
        return NEXT_REBOOT, (
            "loading the installed driver without a reboot did not work: "
            f"{_reboot(status, name, to_load=True).removesuffix('.')}, then run `{verify}`"
        )
    if status.purpose == REBOOT_PLAN and status.outcome in ("failed", INTERRUPTED):
        if loaded:
            return NEXT_VERIFY, f"run `{verify}`"
        # `shutdown` failed: no package was touched, nothing to repair
        return NEXT_REBOOT, f"{_reboot(status, name).removesuffix('.')}; then run `{verify}`"
    if status.outcome in ("failed", INTERRUPTED):
        if name is not None:
            saved_in = demo.saved_in if demo is not None else None
            activation = status.purpose == ACTIVATE_PLAN
            return NEXT_REPAIR, demo_repair(name, status.driver, activation, saved_in, options)
        repair = shlex.join(status.repair or REPAIR_ARGV)
        again = install_here(status.purpose, status.driver, status.install_options)
        return NEXT_REPAIR, f"repair with `sudo {repair}`, then " + (
            f"run `{again}` again" if again else "apply again"
        )
    if status.outcome == "cancelled":
        again = (
            install_again(status.driver, name, options)
            if name
            else install_here(status.purpose, status.driver, status.install_options)
        )
        said = f": `{again}`" if again else ""
        return NEXT_INSTALL, f"run the install again to finish the remaining steps{said}"
    if status.verified is not None and status.verified.ok:
        return NEXT_NOTHING, "the driver was verified"
    if status.purpose == ACTIVATE_PLAN and status.outcome == "done":
        return NEXT_NOTHING, "the driver was loaded without a reboot and passed verify's checks"
    # the new driver loads at a reboot, or a reboot is scheduled (`nvwizard reboot`'s own
    # plan installs nothing: only the scheduled reboot says it is still to come)
    if (status.reboot_pending or status.reboot_scheduled) and not loaded:
        return NEXT_REBOOT, f"{_reboot(status, name).removesuffix('.')}; then run `{verify}`"
    if status.verified is not None:
        found = verify.removeprefix("sudo ")
        return NEXT_VERIFY, f"`{found}` found problems: apply its fixes, then run it again"
    if status.verify_pending:
        return NEXT_VERIFY, f"run `{verify}`"
    if status.state == NONE:
        return NEXT_INSTALL, "choose and install a driver: `sudo nvwizard`"
    return NEXT_NOTHING, "nothing to do"


def _verify_command(status: ApplyStatus) -> str:
    """`sudo nvwizard verify`, or on the demo the apply ran on, its own verify."""
    demo = demo_name(status.host)
    return verify_command(demo) if demo else "sudo nvwizard verify"


def _reboot(status: ApplyStatus, demo: str | None, to_load: bool = False) -> str:
    """The reboot that loads the new driver: this machine's, or the demo's (which no real
    `reboot` reaches: its own `nvwizard reboot --demo NAME` does, and `activate` may load the
    driver without one)."""
    if demo is None:
        # under Secure Boot, a module DKMS built loads only once its key was imported and
        # enrolled: the reboot alone does not load it
        key = status.mok_certificate
        if status.reboot_scheduled and not to_load:
            scheduled = "a reboot is scheduled"
            return f"{scheduled}: {after_the_install(key, True)}" if key else scheduled
        if key:
            return after_the_install(key, False)
        return "reboot to load it" if to_load else "reboot"
    if status.reboot_scheduled:
        return "a reboot of the demo is scheduled (it comes due at the demo's pace)"
    # not offered after a failed activation, nor while a kernel update waits for the reboot
    ruled_out = status.purpose == ACTIVATE_PLAN or status.reboot_first is not None
    return demo_reboot_to_load(demo, status.mok_certificate, ruled_out)
