"""Who is using the machine: processes holding the GPU or the dpkg locks, and the session.

Read from /proc (under the machine's root) and psutil; nothing here opens, takes or deletes a
lock file or signals a process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from nvwizard.host.reading import CommandResult, Unavailable, read_small
from nvwizard.host.system_files import under

DPKG_LOCKS = (
    "/var/lib/dpkg/lock-frontend",
    "/var/lib/dpkg/lock",
    "/var/lib/apt/lists/lock",
    "/var/cache/apt/archives/lock",
)

RunCommand = Callable[[Sequence[str]], CommandResult | Unavailable]

# NVIDIA's services that keep /dev/nvidia* open (knowledge/gpu_services.py says what each is)
GPU_SERVICE_UNITS = (
    "nvidia-persistenced.service",
    "nvidia-fabricmanager.service",
    "nvidia-dcgm.service",
    "dcgm.service",
    "nvidia-powerd.service",
)


def gpu_processes(root: Path) -> str:
    """`<pid>\t<name>\t<user>\t<devices>` for each process with /dev/nvidia* open.

    The fd links in /proc are read first; psutil (its import alone ~30 ms) names only the
    processes found, which on a machine without a driver is none."""
    lines = []
    for pid in _pids(under(root, "/proc")):
        devices = _nvidia_devices_open(under(root, f"/proc/{pid}/fd"))
        if not devices:
            continue
        numbered = [d for d in devices if re.fullmatch(r"/dev/nvidia\d+", d)]
        name, user = _name_and_user(pid)
        lines.append(f"{pid}\t{name}\t{user}\t{','.join(numbered or devices[:1])}")
    return "".join(f"{line}\n" for line in lines)


def dpkg_lock_holders(root: Path) -> str | Unavailable:
    """`<pid>\t<name>\t<lock path>` for each process holding a dpkg or apt lock."""
    locks = read_small(under(root, "/proc/locks"), strip=False)
    if locks is None:
        return Unavailable("/proc/locks is not readable")
    by_inode: dict[tuple[int, int, int], str] = {}
    for lock in DPKG_LOCKS:
        try:
            st = os.stat(under(root, lock))
        except OSError:
            continue
        by_inode[(os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)] = lock
    lines = []
    for pid, key in parse_proc_locks(locks):
        if key in by_inode:
            lines.append(f"{pid}\t{_name_and_user(pid)[0]}\t{by_inode[key]}")
    return "".join(f"{line}\n" for line in dict.fromkeys(lines))


# `systemctl is-active` prints one of systemd's unit states; anything else (nothing at all when
# no systemd runs, as in a container: "System has not been booted with systemd") is no answer.
_UNIT_RUNNING = ("active", "reloading", "activating", "refreshing")
_UNIT_STOPPED = ("inactive", "failed", "deactivating", "maintenance")


def session(root: Path, run: RunCommand) -> str:
    """`key=value` lines: ssh, display_manager, default_target, systemd (see sources.py)."""
    display = run(["systemctl", "is-active", "display-manager"])
    target = run(["systemctl", "get-default"])
    pid1 = read_small(under(root, "/proc/1/comm"))
    values = {
        "ssh": "yes" if _over_ssh(root) else "no",
        "display_manager": display_manager_state(display),
        "default_target": target.stdout.strip() if isinstance(target, CommandResult) else "",
        "systemd": "yes" if pid1 == "systemd" else "no",
    }
    return "".join(f"{key}={value}\n" for key, value in values.items())


def display_manager_state(result: CommandResult | Unavailable) -> str:
    """yes or no when systemctl named the display-manager unit's state; unknown when it could
    not run or answered nothing (a command that failed is no evidence either way)."""
    state = result.stdout.strip() if isinstance(result, CommandResult) else ""
    if state in _UNIT_RUNNING:
        return "yes"
    if state in _UNIT_STOPPED:
        return "no"
    return "unknown"


def gpu_services(run: RunCommand) -> str | Unavailable:
    """`<unit>\t<active state>\t<enabled state>` for each of GPU_SERVICE_UNITS.

    `systemctl is-active` and `is-enabled` print one line per unit, in order, and exit non-zero
    when any is not active (or not enabled): the lines are what counts."""
    units = list(GPU_SERVICE_UNITS)
    active = run(["systemctl", "is-active", *units])
    enabled = run(["systemctl", "is-enabled", *units])
    if not isinstance(active, CommandResult):
        return active
    states = active.stdout.splitlines()
    enablement = enabled.stdout.splitlines() if isinstance(enabled, CommandResult) else []
    if len(states) != len(units):
        return Unavailable(
            f"systemctl is-active printed {len(states)} lines for {len(units)} units"
        )
    if len(enablement) != len(units):
        enablement = ["unknown"] * len(units)
    rows = zip(units, states, enablement, strict=True)
    return "".join(f"{unit}\t{state.strip()}\t{how.strip()}\n" for unit, state, how in rows)


def parse_proc_locks(text: str) -> list[tuple[int, tuple[int, int, int]]]:
    """(pid, (major, minor, inode)) per lock line of /proc/locks; '->' waiters skipped."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or "->" in fields:
            continue
        try:
            pid = int(fields[4])
            major, minor, inode = fields[5].split(":")
            found.append((pid, (int(major, 16), int(minor, 16), int(inode))))
        except ValueError:
            continue
    return found


def _nvidia_devices_open(fd_folder: Path) -> list[str]:
    try:
        fds = os.listdir(fd_folder)
    except OSError:  # gone, or another user's process without root
        return []
    devices = set()
    for fd in fds:
        try:
            target = os.readlink(fd_folder / fd)
        except OSError:
            continue
        if target.startswith("/dev/nvidia"):
            devices.add(target)
    return sorted(devices, key=_natural_key)


def _natural_key(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _pids(proc: Path) -> list[int]:
    try:
        return sorted(int(entry) for entry in os.listdir(proc) if entry.isdigit())
    except OSError:
        return []


def _name_and_user(pid: int) -> tuple[str, str]:
    # lazy: psutil loads only when a GPU has processes (live detection without one: issue 12)
    import psutil

    try:
        process = psutil.Process(pid)
        return process.name() or "?", process.username() or ""
    except (psutil.Error, OSError, KeyError):  # gone, or a uid without a name
        return "?", ""


def _over_ssh(root: Path) -> bool:
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return True
    # sudo drops SSH_* variables: look for sshd among our ancestors instead.
    return any(name in ("sshd", "sshd-session") for name in _ancestor_names(root))


def _ancestor_names(root: Path) -> list[str]:
    """The command names of this process's parents, up to PID 1, from /proc/<pid>/stat
    (`pid (name) state ppid ...`; the name may hold spaces and parentheses)."""
    names: list[str] = []
    pid = os.getppid()
    while pid > 0 and len(names) < 64:
        stat = read_small(under(root, f"/proc/{pid}/stat"))
        if stat is None or ")" not in stat:
            break
        names.append(stat[stat.find("(") + 1 : stat.rfind(")")])
        try:
            pid = int(stat[stat.rfind(")") + 1 :].split()[1])
        except (IndexError, ValueError):
            break
    return names
