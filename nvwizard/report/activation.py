"""Can the installed driver be loaded now, without a reboot? A pure decision on fresh facts.

`decide_activation(facts)` answers with a verdict and the reason, in words a script can print
after "Not activated: ". It is safe only when every one of these holds:

1. a new nvidia module exists for the running kernel (modinfo, else the installed packages);
2. no kernel update is waiting for a reboot anyway (/var/run/reboot-required.pkgs names one);
3. the module can be loaded: Canonical-signed, or built by DKMS while Secure Boot is off (a
   DKMS module under Secure Boot needs its key enrolled first: `mokutil --import`, then MOK
   Manager on the console at the reboot; a demo's simulator enrols none, so there no reboot
   loads it: knowledge/secure_boot.py);
4. no process uses the GPU, apart from the GPU services that are stopped first
   (nvidia-persistenced, fabric manager, DCGM);
5. no display server holds nvidia_drm (its use count, or a display server with /dev/nvidia*
   open);
6. nouveau, when loaded, can be unloaded: nothing uses it, in particular not the console's
   framebuffer;
7. lsmod could be read at all (what is loaded must be known).

When the installed version (and flavour) is already the loaded one there is nothing to do.
The facts are read by report/activation_facts.py; the steps are built by plan/activate.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nvwizard.detect.models import GpuProcess, LsmodEntry, UnitState
from nvwizard.knowledge import kernel_modules as km
from nvwizard.knowledge import secure_boot as sb

REBOOT_LOADS_IT = "reboot to load it"
NO_REBOOT_LOADS_IT = "a reboot does not load it on this demo"

if TYPE_CHECKING:
    from nvwizard.host.demo_advice import DemoRef

LOAD = "load"  # safe: stop the GPU services, unload the old modules, load the new ones
LOADED = "loaded"  # the installed driver is the one loaded: nothing to do
REBOOT = "reboot"  # only a reboot loads it

SIGNED = "signed"  # signed with a key the kernel trusts (Canonical's linux-modules-nvidia-*)
DKMS = "dkms"  # built on this machine by DKMS


@dataclass(frozen=True, kw_only=True)
class ActivationFacts:
    """What the decision needs, read from the machine as it is now."""

    kernel: str | None  # `uname -r`
    driver: str  # what was installed, for people: "nvidia-driver-580-server-open"
    module_version: str | None  # the nvidia module on disk for the running kernel
    module_flavor: str | None = None  # "open" or "proprietary"
    module_source: str | None = None  # SIGNED, DKMS or None (unknown)
    branch: int | None = None
    secure_boot: str = "unknown"  # enabled, disabled, unsupported, unknown
    lsmod_read: bool = True  # False: lsmod gave nothing, what is loaded is unknown
    nvidia_modules: tuple[LsmodEntry, ...] = ()  # the NVIDIA modules loaded now
    loaded_version: str | None = None  # /proc/driver/nvidia/version
    loaded_flavor: str | None = None
    nouveau: LsmodEntry | None = None  # the nouveau module, when loaded
    nouveau_bound: bool = False  # an NVIDIA GPU is bound to nouveau
    console_framebuffer: str | None = None  # /proc/fb's first entry ("nouveaudrmfb")
    gpu_processes: tuple[GpuProcess, ...] = ()
    services: tuple[UnitState, ...] = ()  # NVIDIA's GPU services
    pending_kernel: str | None = None  # the kernel package a pending reboot is for
    desktop: bool = False  # a display manager or desktop is installed
    demo: DemoRef | None = None  # the demo machine read (its advice in its commands), else None
    os_id: str | None = None  # "ubuntu", "debian": whose dkms key signs a module it builds
    # the installed fabric manager (NVSwitch boards): its package and upstream version
    fabric_manager: str | None = None
    fabric_manager_version: str | None = None

    @property
    def rejected_at_boot(self) -> bool:
        """Secure Boot rejects this DKMS-built module until its key is enrolled."""
        return self.module_source == DKMS and self.secure_boot == "enabled"


@dataclass(frozen=True)
class Activation:
    verdict: str  # LOAD, LOADED or REBOOT
    reason: str  # the first reason for REBOOT; what happens for LOAD and LOADED
    reasons: tuple[str, ...] = ()  # every reason a reboot is needed, most basic first
    driver: str = ""
    version: str | None = None  # the version that is (or will be) loaded
    stop_services: tuple[str, ...] = ()  # running GPU services, in the order they stop
    start_services: tuple[str, ...] = ()  # after the load: those, and enabled ones not running
    notes: tuple[str, ...] = field(default=())  # things worth knowing that do not block
    # what loads it: a reboot; on a demo under Secure Boot with a DKMS-built module, nothing
    then: str = "reboot to load it"
    # what the old driver lacks while it keeps running until the reboot (a sentence), when
    # the activation does not happen or fails before the unload (`old_driver_until_reboot`)
    until_reboot: str | None = None

    @property
    def safe(self) -> bool:
        return self.verdict == LOAD

    @property
    def needs_reboot(self) -> bool:
        return self.verdict == REBOOT

    def summary_line(self) -> str:
        """The line scripts rely on (the CLI's last): "Activated: ..." once LOAD's steps ran,
        "Nothing to do: ..." when the installed driver runs already (nothing is loaded, so
        nothing is claimed as activated), "Not activated: ...; reboot to load it"."""
        if self.verdict == REBOOT:
            return f"Not activated: {self.reason}; {self.then}"
        driver = f"{self.driver} {self.version or ''}".rstrip()
        if self.verdict == LOADED:
            return f"Nothing to do: {driver}, the installed version, is loaded already"
        return f"Activated: {driver} is loaded without a reboot"


def decide_activation(facts: ActivationFacts) -> Activation:
    """The verdict on these facts, with every reason against it."""
    running = running_services(facts)
    stop = tuple(km.stop_order(running))
    enabled = {u.name for u in facts.services if u.enabled == "enabled" and u.name not in running}
    start = tuple(km.start_order(running | enabled))
    reasons = _reasons(facts, running)
    if _already_loaded(facts):
        verdict = LOADED
        reason = f"nvidia {facts.loaded_version}, the installed version, is loaded already"
    elif reasons:
        verdict, reason = REBOOT, reasons[0]
    else:
        verdict, reason = LOAD, _what_happens(facts, stop)
    return Activation(
        verdict,
        reason,
        tuple(reasons) if verdict == REBOOT else (),
        driver=facts.driver,
        version=facts.module_version,
        stop_services=stop,
        start_services=start,
        then=NO_REBOOT_LOADS_IT
        if facts.demo is not None and facts.rejected_at_boot
        else REBOOT_LOADS_IT,
        notes=_notes(facts) if verdict == LOAD else (),
        until_reboot=old_driver_until_reboot(facts),
    )


def _already_loaded(facts: ActivationFacts) -> bool:
    return (
        facts.module_version is not None
        and facts.loaded_version == facts.module_version
        and (facts.module_flavor is None or facts.loaded_flavor in (None, facts.module_flavor))
        and not facts.nouveau_bound
    )


def _reasons(facts: ActivationFacts, running: set[str]) -> list[str]:
    """Every reason a reboot is needed, the most basic first."""
    reasons: list[str] = []
    if facts.module_version is None:
        reasons.append(f"no nvidia module is installed for the running kernel {facts.kernel}")
    if facts.rejected_at_boot:  # before the kernel update: it needs more than a reboot
        reasons.append(sb.activation_reason(facts.os_id, facts.demo is not None))
    if facts.pending_kernel:
        reasons.append(pending_kernel_reason(facts.pending_kernel))
    if facts.module_source != SIGNED and facts.secure_boot == "unknown":
        reasons.append(
            "Secure Boot's state is unknown (`mokutil --sb-state` gave no answer) and the "
            "module is not Canonical-signed: under Secure Boot it loads only once its key is "
            "enrolled (`mokutil --import`, then the console at a reboot)"
        )
    jobs = gpu_jobs(facts, running)
    if jobs:
        reasons.append(f"the jobs using the GPU must stop first: {describe_processes(jobs)}")
    display = _display_holder(facts)
    if display:
        reasons.append(display)
    if not facts.lsmod_read:
        reasons.append("which kernel modules are loaded is unknown (no lsmod output)")
    nouveau = _nouveau_problem(facts)
    if nouveau:
        reasons.append(nouveau)
    return reasons


def pending_kernel_reason(package: str) -> str:
    """Why a kernel update that waits for a reboot rules out loading the driver without one."""
    return f"a kernel update ({package}) waits for a reboot, which loads the new driver too"


def running_services(facts: ActivationFacts) -> set[str]:
    return {u.name for u in facts.services if u.active == "active"}


def gpu_jobs(facts: ActivationFacts, running: set[str] | None = None) -> list[GpuProcess]:
    """What must stop before the load: every process using the GPU but the daemons of the
    GPU services whose units run (the activation's first step stops them)."""
    running = running_services(facts) if running is None else running
    return [p for p in facts.gpu_processes if not _is_stopped_service(p, running)]


def _is_stopped_service(process: GpuProcess, running: set[str]) -> bool:
    """A GPU service's daemon, whose unit is running (and so is stopped first)."""
    return any(unit in running for unit in km.service_of_process(process.name))


def describe_processes(jobs: list[GpuProcess]) -> str:
    """ "8 processes, python3 of mlops (pid 1843117 and 7 more)"."""
    groups: dict[tuple[str, str | None], list[int]] = {}
    for process in jobs:
        groups.setdefault((process.name, process.user), []).append(process.pid)
    described = []
    for (name, user), pids in list(groups.items())[:3]:
        owner = f" of {user}" if user else ""
        more = f" and {len(pids) - 1} more" if len(pids) > 1 else ""
        described.append(f"{name}{owner} (pid {pids[0]}{more})")
    if len(groups) > 3:
        described.append(f"{len(groups) - 3} other programs")
    count = len(jobs)
    return f"{count} {'processes' if count > 1 else 'process'}, {', '.join(described)}"


def _display_holder(facts: ActivationFacts) -> str | None:
    servers = sorted({p.name for p in facts.gpu_processes if p.name in km.DISPLAY_SERVERS})
    if servers:
        return f"a display server uses the GPU ({', '.join(servers)}): it holds nvidia_drm"
    drm = next((m for m in facts.nvidia_modules if km.module_role(m.name) == km.DRM), None)
    if drm is not None and _outside_users(drm) > 0:
        return (
            f"nvidia_drm is in use ({count_words(_outside_users(drm), 'user')} besides "
            "modules): a display server or the console's framebuffer holds it"
        )
    return None


def _outside_users(module: LsmodEntry) -> int:
    """What holds a module besides the modules lsmod lists as its users."""
    return max(0, (module.count or 0) - len(module.used_by))


def count_words(n: int, one: str, many: str | None = None) -> str:
    """'1 user', '2 users'; `many` where the plural is not one + 's'."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _nouveau_problem(facts: ActivationFacts) -> str | None:
    nouveau = facts.nouveau
    if nouveau is None:
        return None
    console = facts.console_framebuffer
    if console is not None and console.lower().startswith(km.NOUVEAU):
        where = "drives the GPU and" if facts.nouveau_bound else "is loaded and"
        return f"nouveau {where} the console's framebuffer ({console}) sits on it"
    users = _outside_users(nouveau)
    if users:
        users_words = count_words(users, "user")
        return f"nouveau is in use ({users_words}: the console or a display server)"
    return None


def _what_happens(facts: ActivationFacts, stop: tuple[str, ...]) -> str:
    parts = []
    if stop:
        parts.append("stop " + ", ".join(u.removesuffix(".service") for u in stop))
    if facts.nvidia_modules:
        old = f" {facts.loaded_version}" if facts.loaded_version else ""
        parts.append(f"unload the old nvidia{old}")
    if facts.nouveau is not None:
        parts.append("unload nouveau")
    parts.append(f"load nvidia {facts.module_version}")
    if stop:
        parts.append("start the services again")
    return "nothing holds the driver: " + ", ".join(parts)


def _notes(facts: ActivationFacts) -> tuple[str, ...]:
    notes = []
    if facts.secure_boot == "enabled" and facts.module_source == SIGNED:
        notes.append("Secure Boot is on; the module is Canonical-signed, so it loads as it is.")
    if facts.nvidia_modules and facts.loaded_version:
        gap = fabric_manager_gap(facts)
        notes.append(
            f"nvidia {facts.loaded_version} runs until the unload; if an unload fails, it keeps "
            f"running and the services are started again{f', {gap}' if gap else ''}."
        )
    return tuple(notes)


def fabric_manager_gap(facts: ActivationFacts) -> str | None:
    """Why the old driver runs without fabric manager, as a clause: the install replaced
    fabric manager with the new branch's, which runs only beside the driver of its own version
    (NVSwitch boards; the purge stopped the old one). None: no fabric manager, or it matches
    the loaded driver."""
    installed, loaded = facts.fabric_manager_version, facts.loaded_version
    if not (facts.fabric_manager and installed and loaded) or installed == loaded:
        return None
    return (
        f"without fabric manager: the installed {facts.fabric_manager} ({installed}) runs only "
        f"beside the {installed} driver, so multi-GPU jobs over NVLink cannot start until the "
        "reboot"
    )


def old_driver_until_reboot(facts: ActivationFacts) -> str | None:
    """What running the old driver until the reboot means, as a sentence (None: nothing
    worth saying)."""
    gap = fabric_manager_gap(facts)
    if gap is None:
        return None
    return f"The old driver (nvidia {facts.loaded_version}) keeps running until the reboot, {gap}."
