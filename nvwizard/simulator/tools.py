"""The other tools a plan runs: `apt-mark`, `systemctl`, `shutdown`, the read-only tools whose
output the bundle captured, and the hardware tools that only pretend."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from nvwizard.simulator import gpu_services, loaded_modules
from nvwizard.simulator.boot import boot
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.script import PACE, Invocation, Lines, Pause, Script, err, out
from nvwizard.simulator.stack_tools import restart_runtime

# tools that only touch the hardware or the boot: they print "simulated: <command>"
NO_EFFECT_TOOLS = frozenset({"update-initramfs", "dkms", "depmod", "sync", "true"})
# read-only tools whose output the bundle holds: argv prefix -> source
CAPTURED_OUTPUTS = (
    (("uname", "-r"), "uname-r.txt"),
    (("nvidia-smi",), "nvidia-smi.txt"),
    (("mokutil", "--sb-state"), "mokutil-sb-state.txt"),
    (("lsmod",), "lsmod.txt"),
    (("lspci",), "lspci-nn.txt"),
    (("ubuntu-drivers", "devices"), "ubuntu-drivers-devices.txt"),
    (("ubuntu-drivers", "list"), "ubuntu-drivers-list.txt"),
)


def captured_source(argv: Sequence[str]) -> str | None:
    """The bundle file holding this read-only command's output, if it is one."""
    for prefix, source in CAPTURED_OUTPUTS:
        if tuple(argv[: len(prefix)]) == prefix:
            return source
    return None


def captured(call: Invocation, source: str) -> Script:
    text = call.machine.read(source)
    if text is None:
        yield err(f"{call.echo}: not captured in this bundle")
        return 1
    for line in text.splitlines():
        yield out(line)
    if source == "nvidia-smi.txt" and "Driver Version" not in text:
        # nvidia-smi's exit codes: 9 it cannot talk to the driver, 6 no devices were found
        return 9 if "failed" in text.lower() or "mismatch" in text.lower() else 6
    return 0


def apt_mark(call: Invocation, args: Sequence[str]) -> Script:
    model = MachineModel(call.machine)
    if not args:
        yield err("E: No command given")
        return 100
    command, names = args[0], [a for a in args[1:] if not a.startswith("-")]
    if command == "showhold":
        for name in sorted(n for n, p in model.installed.items() if p.want == "h"):
            yield out(name)
        return 0
    if command not in ("hold", "unhold", "auto", "manual"):
        yield err(f"E: Invalid operation {command}")
        return 100
    missing = [n for n in names if n not in model.installed]
    if missing:
        for name in missing:
            yield err(f"E: Unable to locate package {name}")
        return 100
    for name in names:
        package = model.installed[name]
        if command == "hold":
            if package.want == "h":
                yield out(f"{name} was already set on hold.")
            else:
                package.want = "h"
                yield out(f"{name} set on hold.")
        elif command == "unhold":
            if package.want != "h":
                yield out(f"{name} was already not on hold.")
            else:
                package.want = "i"
                yield out(f"Canceled hold on {name}.")
        elif command == "auto":
            model.auto.add(name)
            yield out(f"{name} set to automatically installed.")
        else:
            model.auto.discard(name)
            yield out(f"{name} set to manually installed.")
    model.save()
    return 0


def systemctl(call: Invocation, args: Sequence[str]) -> Script:
    words = [a for a in args if not a.startswith("-")]
    if not words:
        yield err("simulated: systemctl needs a command")
        return 1
    command, units = words[0], [_unit_name(u) for u in words[1:]]
    model = MachineModel(call.machine)
    state = model.state
    if command == "daemon-reload":
        return 0
    if command == "is-active":
        active = [_is_active(call, u) for u in units]
        for is_on in active:
            yield out("active" if is_on else "inactive")
        return 0 if all(active) else 3
    if command not in ("enable", "disable", "start", "stop", "restart"):
        yield out(call.echo)
        return 0
    for unit in units:
        if not _unit_exists(model, unit):
            if command in ("enable", "disable"):
                yield err(f"Failed to {command} unit: Unit file {unit} does not exist.")
                return 1
            yield err(f"Failed to {command} {unit}: Unit {unit} not found.")
            return 5
        yield Pause(PACE["systemctl"])
        if command in ("enable", "disable") and gpu_services.is_gpu_service(unit):
            gpu_services.set_enabled(call.machine, unit, command == "enable")
        if command == "enable" and unit not in state.enabled_units:
            state.enabled_units.add(unit)
            yield err(
                f"Created symlink /etc/systemd/system/multi-user.target.wants/{unit} → "
                f"/usr/lib/systemd/system/{unit}."
            )
        elif command == "disable" and unit in state.enabled_units:
            state.enabled_units.discard(unit)
            yield err(f'Removed "/etc/systemd/system/multi-user.target.wants/{unit}".')
        elif command in ("start", "restart") and gpu_services.is_gpu_service(unit):
            loaded = gpu_services.loaded_version(call.machine)
            if not gpu_services.nvidia_loaded(call.machine) or gpu_services.version_refused(
                model, unit, loaded
            ):
                # the daemon cannot open /dev/nvidia* (or, fabric manager, runs at another
                # version than the driver's): its unit fails
                yield err(
                    f"Job for {unit} failed because the control process exited with error code."
                )
                yield err(
                    f'See "systemctl status {unit}" and "journalctl -xeu {unit}" for details.'
                )
                return 1
            state.active_units.add(unit)
            gpu_services.set_state(call.machine, model, unit, active=True)
            loaded_modules.refresh_use_counts(call.machine)
        elif command in ("start", "restart"):
            state.active_units.add(unit)
            restart_runtime(call.machine, unit)
        elif command == "stop":
            state.active_units.discard(unit)
            if gpu_services.is_gpu_service(unit):
                gpu_services.set_state(call.machine, model, unit, active=False)
                loaded_modules.refresh_use_counts(call.machine)
    return 0


def _is_active(call: Invocation, unit: str) -> bool:
    if gpu_services.is_gpu_service(unit):
        return gpu_services.is_active(call.machine, unit)
    return unit in call.machine.state.active_units


def _unit_name(name: str) -> str:
    """systemctl's default suffix: "nvidia-persistenced" -> "nvidia-persistenced.service"."""
    return name if "." in name else f"{name}.service"


def _unit_exists(model: MachineModel, unit: str) -> bool:
    """NVIDIA's units ship with packages; other units are assumed to exist."""
    if gpu_services.is_gpu_service(unit):
        return gpu_services.unit_installed(model, unit)
    return True


def shutdown(call: Invocation, args: Sequence[str]) -> Script:
    """Reboots now (`-r now`), schedules (`-r +N`, `-r HH:MM`) or cancels (`-c`) a reboot.

    A reboot boots the simulated machine (boot.py); a power-off only pretends."""
    state = call.machine.state
    if "-c" in args:
        state.scheduled_reboot = state.reboot_due_at = None
        return 0
    when = next((a for a in args if not a.startswith("-")), "+1")
    kind = "Reboot" if "-r" in args else "Shutdown"
    if when == "now":
        if kind == "Reboot":
            return (yield from reboot(call, ()))
        yield out(f"{call.echo} (the simulated machine stays up)")
        return 0
    if not re.fullmatch(r"\+\d+|\d{1,2}:\d{2}", when):
        yield err(f"Failed to parse time specification: {when}")
        return 1
    state.scheduled_reboot = when
    # when it comes due at the demo's pace: a later nvwizard process boots it if it is past
    state.reboot_due_at = time.time() + reboot_minutes(when) * PACE["reboot-minute"] * call.speed
    if when.startswith("+"):
        at = time.strftime(
            "%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + 60 * int(when[1:]))
        )
    else:
        at = when
    yield err(f"{kind} scheduled for {at}, use 'shutdown -c' to cancel.")
    return 0


def reboot(call: Invocation, args: Sequence[str]) -> Script:
    """`reboot` (and `shutdown -r now`): the simulated machine boots again, at once."""
    yield out(f"{call.echo}: the simulated machine reboots")
    yield Pause(PACE["boot"])
    result = boot(call.machine)
    yield out(f"simulated: {result.summary()}")
    return 0


def wait_for_scheduled_reboot(call: Invocation) -> Lines[bool]:
    """The scheduled reboot's delay (a simulated minute per minute), then the boot;
    False when no reboot is scheduled (never was, or `shutdown -c` cancelled it)."""
    state = call.machine.state
    when = state.scheduled_reboot
    if when is None:
        return False
    for _ in range(reboot_minutes(when)):
        yield Pause(PACE["reboot-minute"])
    if state.scheduled_reboot is None:  # cancelled meanwhile
        return False
    yield from reboot(call, ())
    return True


def reboot_minutes(when: str) -> int:
    """Simulated minutes until a scheduled reboot: "+N" is N, a time of day counts as one."""
    return int(when[1:]) if when.startswith("+") else 1
