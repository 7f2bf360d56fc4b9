"""Small bundle files: key=value files, `df -P -k`, GPU process and lock holder lists,
systemd unit states, /proc/fb, /var/run/reboot-required.pkgs."""

from __future__ import annotations

from nvwizard.detect._text import clean_lines, is_package_name, to_int
from nvwizard.detect.models import DfEntry, Framebuffer, GpuProcess, LockHolder, UnitState


def parse_key_values(text: str) -> dict[str, str]:
    """`key=value` lines (session.txt, machine.txt); comments and other lines are ignored."""
    values: dict[str, str] = {}
    for line in clean_lines(text):
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if sep and key and " " not in key:
            values[key] = unquote(value.strip())
    return values


def unquote(raw: str) -> str:
    """`"gpu box"` -> `gpu box`, with shell backslash escapes undone."""
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        inner = raw[1:-1]
        if raw[0] == "'":
            return inner
        out: list[str] = []
        escaped = False
        for char in inner:
            if escaped or char != "\\":
                out.append(char)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return raw


def parse_df(text: str) -> list[DfEntry]:
    """`df -P -k`: `Filesystem 1024-blocks Used Available Capacity Mounted on` rows.

    Read from the capacity column ("25%"): the three numbers before it are size, used and
    available, the rest is the mount point; so a filesystem name wrapped onto its own line
    (plain `df` does that) does not matter."""
    entries: list[DfEntry] = []
    for line in clean_lines(text):
        tokens = line.split()
        for i in range(3, len(tokens) - 1):
            if tokens[i].endswith("%") and all(to_int(t) is not None for t in tokens[i - 3 : i]):
                entries.append(
                    DfEntry(mount=" ".join(tokens[i + 1 :]), available_kib=int(tokens[i - 1]))
                )
                break
    return entries


def _fields(line: str, count: int) -> list[str] | None:
    """Tab-separated fields; a paste whose tabs became spaces is split on whitespace."""
    parts = [p.strip() for p in line.split("\t")] if "\t" in line else line.split(None, count - 1)
    return parts if parts and to_int(parts[0]) is not None else None


def parse_gpu_processes(text: str) -> list[GpuProcess]:
    """`<pid>\\t<name>\\t<user>\\t<device>` lines."""
    processes: list[GpuProcess] = []
    for line in clean_lines(text):
        parts = _fields(line, 4)
        if parts is None or len(parts) < 2 or not parts[1]:
            continue
        parts += [""] * (4 - len(parts))
        processes.append(
            GpuProcess(
                pid=int(parts[0]),
                name=parts[1],
                user=parts[2] or None,
                device=parts[3] or None,
            )
        )
    return processes


def parse_lock_holders(text: str) -> list[LockHolder]:
    """`<pid>\\t<name>\\t<lock path>` lines."""
    holders: list[LockHolder] = []
    for line in clean_lines(text):
        parts = _fields(line, 3)
        if parts is None or len(parts) < 3 or not parts[1] or not parts[2]:
            continue
        holders.append(LockHolder(pid=int(parts[0]), name=parts[1], lock_path=parts[2]))
    return holders


_UNIT_SUFFIXES = (".service", ".socket", ".timer", ".target", ".path", ".mount")


def parse_unit_states(text: str) -> list[UnitState]:
    """`<unit>\t<active state>[\t<enabled state>]` lines (gpu-services.txt); a unit named
    without a suffix is a service, as systemctl reads it."""
    units: list[UnitState] = []
    for line in clean_lines(text):
        parts = [p.strip() for p in line.split("\t")] if "\t" in line else line.split()
        if len(parts) < 2 or not _is_unit_name(parts[0]) or not _is_state(parts[1]):
            continue
        name = parts[0] if parts[0].endswith(_UNIT_SUFFIXES) else f"{parts[0]}.service"
        units.append(UnitState(name=name, active=parts[1], enabled=parts[2] if parts[2:] else None))
    return units


def parse_proc_fb(text: str) -> list[Framebuffer]:
    """/proc/fb: `0 astdrmfb`, `1 nouveaudrmfb`, `0 EFI VGA` (names may hold spaces)."""
    framebuffers: list[Framebuffer] = []
    for line in clean_lines(text):
        number, _, name = line.strip().partition(" ")
        index = to_int(number)
        if index is not None and name.strip():
            framebuffers.append(Framebuffer(index=index, name=name.strip()))
    return sorted(framebuffers, key=lambda fb: fb.index)


def parse_reboot_required_pkgs(text: str) -> list[str]:
    """/var/run/reboot-required.pkgs: the packages that asked for the reboot, one a line."""
    names: dict[str, None] = {}
    for line in clean_lines(text):
        name = line.strip()
        if is_package_name(name):
            names[name] = None
    return list(names)


def _is_unit_name(token: str) -> bool:
    return token.isascii() and all(c.isalnum() or c in "-_.@:\\" for c in token)


# systemd's ActiveState values (`systemctl --state=help`); anything else is not a unit line
_ACTIVE_STATES = frozenset(
    {"active", "reloading", "inactive", "failed", "activating", "deactivating"}
    | {"maintenance", "refreshing"}
)


def _is_state(token: str) -> bool:
    return token in _ACTIVE_STATES
