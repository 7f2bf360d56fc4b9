"""The engine's side of loading a driver without a reboot: what it checks around each step of
an activation plan (plan/activate.py), and how it falls back.

- Before an unload: lsmod, read again. A module that is not loaded is said and skipped by
  modprobe itself; a module that something outside the ones unloaded still holds (an open
  /dev/nvidia*, a display server, the console) stops the step before anything is unloaded.
- After each `modprobe -r`: the module must be gone from lsmod.
- After every step: one line with what is loaded now, so the journal holds the state after
  each step.
- The verify step: the checks of `nvwizard verify` on the loaded driver.
- An unload that fails (in use): nothing more is unloaded, the old driver keeps running, and
  the services the plan stopped are started again, as a step of its own.
- A load that fails: the exact error, and the reboot as the way to load the driver.
- Cancelling: honoured before the first module leaves the kernel, not after (stopping between
  the unload and the load would leave the machine with no driver at all).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

from nvwizard.detect.lsmod import parse_lsmod
from nvwizard.detect.models import LsmodEntry
from nvwizard.detect.proc_version import parse_proc_driver_version
from nvwizard.engine.diagnose import Diagnosis
from nvwizard.engine.events import CANCELLED, Outcome
from nvwizard.engine.verify import check_now
from nvwizard.host.base import Host
from nvwizard.host.demo import demo_name
from nvwizard.host.demo_advice import demo_of, reboot_the_demo
from nvwizard.knowledge import kernel_modules as km
from nvwizard.knowledge import secure_boot as sb
from nvwizard.plan import models as pm
from nvwizard.plan.demo_words import for_demo_step
from nvwizard.plan.models import Plan, Step
from nvwizard.report.activation import fabric_manager_gap
from nvwizard.report.activation_facts import activation_facts

Say = Callable[[Step, str, str], None]  # (step, stream, line)

KERNEL_STEPS = (pm.UNLOAD, pm.LOAD)
RESTART_STEP_ID = "restart-gpu-services"


class ActivationGuard:
    """Checks an activation plan's steps as the engine runs them; `say` adds a line to the
    step's output (and so to the journal)."""

    def __init__(self, host: Host, plan: Plan, say: Say):
        self.host = host
        self.plan = plan
        self.say = say
        self.kernel_touched = False  # a module left or entered the kernel: no cancelling now

    # -- reading the machine --

    def _lsmod(self) -> list[LsmodEntry] | None:
        text = self.host.fresh().read("lsmod.txt")
        return None if text is None else parse_lsmod(text)

    def loaded_now(self) -> str:
        """ "nvidia 580.95.05 (open): nvidia_uvm nvidia_drm nvidia_modeset nvidia; nouveau: no"."""
        modules = self._lsmod()
        if modules is None:
            return "nvwizard: loaded now: unknown (no lsmod output)"
        nvidia = sorted((m.name for m in modules if km.module_role(m.name)), key=km.unload_rank)
        version = parse_proc_driver_version(
            self.host.fresh().read("proc-driver-nvidia-version.txt") or ""
        )
        if nvidia:
            what = f"nvidia {version.version}" if version and version.version else "nvidia"
            if version and version.flavor:
                what += f" ({version.flavor})"
            driver = f"{what}: {' '.join(nvidia)}"
        else:
            driver = "no nvidia module"
        nouveau = "loaded" if any(m.name == km.NOUVEAU for m in modules) else "not loaded"
        return f"nvwizard: loaded now: {driver}; nouveau {nouveau}"

    # -- around a step --

    def may_cancel(self) -> bool:
        return not self.kernel_touched

    def before(self, step: Step) -> Diagnosis | None:
        """An unload step: refuse it, with nothing unloaded, when something still holds one
        of its modules."""
        if step.kind != pm.UNLOAD:
            return None
        modules = self._lsmod()
        if modules is None:
            return Diagnosis(
                "unknown", "lsmod gave no output: what is loaded is unknown", self.keep_old()
            )
        loaded = {m.name: m for m in modules}
        leaving = {argv[-1].replace("-", "_") for argv in step.commands}
        for name in [argv[-1].replace("-", "_") for argv in step.commands]:
            module = loaded.get(name)
            if module is None:
                self.say(step, "stdout", f"nvwizard: {name} is not loaded: nothing to unload")
                continue
            users = [u for u in module.used_by if u not in leaving]
            others = max(0, (module.count or 0) - len(module.used_by))
            if users or others:
                held = ", ".join(users) if users else f"{others} holders besides modules"
                return Diagnosis(
                    "in-use",
                    f"{name} is in use ({held}: open /dev/nvidia* files, a display server or "
                    "the console); nothing was unloaded",
                    self.keep_old(),
                )
        return None

    def judge(
        self, step: Step, argv: list[str], exit_code: int, lines: list[str]
    ) -> Diagnosis | None:
        """One command of a step: its exit code, and for an unload that the module is gone."""
        if step.kind == pm.VERIFY_DRIVER:
            return None  # judged by the checks after it
        if step.kind in KERNEL_STEPS and exit_code == 0:
            self.kernel_touched = True
        error = _last_error(lines) or f"`{shlex.join(argv)}` exited with {exit_code}"
        if exit_code != 0:
            if step.kind == pm.UNLOAD:
                return Diagnosis("in-use", error, self.keep_old())
            if step.kind == pm.LOAD:
                self.kernel_touched = True
                return Diagnosis("load", error, self.reboot_advice(error))
            status = "Read `systemctl status` of the unit"
            if self._demo() is None:
                return Diagnosis("service", error, f"{status}; reboot.")
            return Diagnosis(
                "service", error, f"On a real machine: {status.lower()}. {self._reboot()}"
            )
        if step.kind == pm.UNLOAD:
            name = argv[-1].replace("-", "_")
            if any(m.name == name for m in self._lsmod() or []):
                return Diagnosis(
                    "in-use",
                    f"`{shlex.join(argv)}` succeeded but {name} is still loaded",
                    self.keep_old(),
                )
        return None

    def after(self, step: Step) -> Diagnosis | None:
        """The state after the step, for the journal; the verify step's checks."""
        self.say(step, "stdout", self.loaded_now())
        if step.kind != pm.VERIFY_DRIVER:
            return None
        result = check_now(self.host, self.plan.flavour or None, self.plan.driver or None)
        for check in result.checks:
            mark = "ok" if check.ok else "FAILED"
            self.say(step, "stdout", f"nvwizard: verify {check.name}: {mark}: {check.detail}")
            if not check.ok and check.fix:
                self.say(step, "stdout", f"nvwizard:   fix: {check.fix}")
        failed = [c for c in result.checks if not c.ok]
        if not failed:
            return None
        return Diagnosis(
            "verify",
            "the new driver is loaded but " + "; ".join(f"{c.name}: {c.detail}" for c in failed),
            self._reboot("Reboot (`sudo reboot`), then run `sudo nvwizard verify`."),
        )

    def restore_step(self, failed: Step) -> Step | None:
        """After a failed unload: start again the services the plan stopped."""
        if failed.kind != pm.UNLOAD:
            return None
        stop = next((s for s in self.plan.steps if s.kind == pm.STOP_SERVICES), None)
        if stop is None:
            return None
        units = km.start_order({argv[-1] for argv in stop.commands})
        restart = Step(
            id=RESTART_STEP_ID,
            title="Start the GPU services again",
            why="The unload stopped; the old driver keeps running, and so do its services.",
            commands=[["systemctl", "start", unit] for unit in units],
            changes_system=True,
            on_failure="Start them by hand (`systemctl start ...`) or reboot.",
            kind=pm.START_SERVICES,
        )
        demo = demo_of(self.host)
        return restart if demo is None else for_demo_step(restart, self.plan, demo)

    def keep_old(self) -> str:
        """What a failed unload leaves, and what to do."""
        modules = self._lsmod() or []
        demo = self._demo()
        if not any(km.module_role(m.name) == km.CORE for m in modules):
            reboot = "reboot to load the new driver (`sudo reboot`)."
            return f"No nvidia module is loaded now: {self._reboot(reboot, sentence=False)}"
        # the install replaced fabric manager with the new branch's: none runs beside the old
        gap = fabric_manager_gap(activation_facts(self.host, self.plan.driver or None))
        without = f", {gap}" if gap else ""
        if self.kernel_touched:
            reboot = "reboot to load it (`sudo reboot`)."
            return (
                f"The old nvidia module keeps running{without}, but the modules already "
                "unloaded (see the log) come back only with the new driver: "
                f"{self._reboot(reboot, sentence=False)}"
            )
        kept = f"The old driver keeps running and its services were started again{without}."
        if demo is not None:
            return f"{kept} {self._reboot()}"
        return (
            f"{kept} Stop what uses the GPU and run `sudo nvwizard activate`, or reboot to load "
            "the new driver."
        )

    def reboot_advice(self, error: str) -> str:
        """After a load that failed with `error`."""
        if sb.KEY_REJECTED in error:  # signed with a key Secure Boot does not know (DKMS's)
            os_id = (self.host.os_release() or {}).get("ID")
            enrol = sb.enrolment(os_id, rebooting=True)
            if self._demo() is None:
                return (
                    f"Secure Boot refused the module until its key is enrolled: {enrol}; then "
                    "run `sudo nvwizard verify`."
                )
            return (
                f"Secure Boot refused the module: {sb.demo_rejects()}. On a real machine: {enrol}."
            )
        return self._reboot(
            "Reboot to load the new driver (`sudo reboot`), then run `sudo nvwizard verify`."
        )

    def _demo(self) -> str | None:
        return demo_name(self.host.label) if self.host.kind == "demo" else None

    def _reboot(self, here: str = "", sentence: bool = True) -> str:
        """The reboot that loads the new driver: `here` (this machine's words), or on a demo
        its own reboot and verify (no `sudo reboot` reaches it; loading it without one is what
        failed). `sentence`: said as a sentence of its own, else after a colon."""
        demo = self._demo()
        if demo is None:
            return here
        how = reboot_the_demo(demo, self.host.saved_in, False)
        return f"{how[0].upper() if sentence else how[0]}{how[1:]}."


# What each step's failure means, for the "Not activated: <reason>; reboot to load it" line.
_FAILED = {
    "stop-gpu-services": "the GPU services could not be stopped",
    "unload-nvidia": "the old driver's modules could not be unloaded",
    "unload-nouveau": "nouveau could not be unloaded",
    "load-nvidia": "the new driver did not load",
    "start-gpu-services": "the GPU services did not start on the new driver",
    "verify-driver": "the new driver loaded but does not pass verify",
}


def failure_reason(outcome: Outcome) -> str:
    """Why an activation that ran did not end with the new driver running, in a clause:
    "the new driver did not load (modprobe: ERROR: could not insert 'nvidia': No such device)"."""
    if outcome.status == CANCELLED:
        return "it was cancelled before the old driver was unloaded"
    what = _FAILED.get(outcome.failed_step or "", "a step failed")
    detail = (outcome.message or "").split(" failed: ", 1)[-1].rstrip(".")
    return f"{what} ({detail})" if detail else what


def _last_error(lines: list[str]) -> str | None:
    picked = [line.strip() for line in lines if line.strip()]
    errors = [line for line in picked if "ERROR" in line or "FATAL" in line or "failed" in line]
    chosen = errors or picked
    return chosen[-1] if chosen else None
