"""kernel-log.txt: the NVIDIA lines of this boot's kernel messages (`journalctl -k -b` or
`dmesg`, as capture keeps them), or a paste of either.

Every line is read without its prefix, in whichever form it comes: dmesg's `[ 1843.308145]`,
`dmesg -T`'s `[Fri Aug 30 11:43:09 2024]`, `--time-format iso`, `dmesg -x`'s `kern  :err   :`,
journalctl's `short-monotonic` (`[ 12.014918] host kernel: `), `short` and syslog's
(`Jun 30 11:07:05 gpu-0 kernel: [ 12.126199] `), and the driver's own `NVRM: `. The driver
writes some messages over several lines (API mismatch, a GPU the open modules refuse): the
lines are read joined, whether the continuation lines come indented (journalctl), each with
its own timestamp (dmesg) or folded into one by syslog (`#012`).

A module unloaded and loaded again within the boot (no reboot) leaves the earlier load's
lines in the log: what they say of the loading (a GPU refused or failing, a symbol mismatch,
Lockdown) is left out once a later load succeeded; Xids stay, the hardware is the same, except
the GSP firmware's (119, 120): the firmware is the driver version's, so those of loads of
another version than the last load's are left out (and counted).

The result is deduplicated: one `XidEvent` per GPU and code with its count, one `ApiMismatch`
per pair of versions. `callbacks suppressed` lines (the kernel's rate limit) and capture's own
`left out` line (its size cap) say that more happened than the lines show.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from nvwizard.detect._text import clean_lines


@dataclass(frozen=True)
class XidEvent:
    pci_address: str  # "0000:3b:00.0" (the driver names the device; a GPU is function 0)
    xid: int
    count: int
    message: str  # the first one's text after the code, without pid= and name=
    processes: tuple[str, ...] = ()  # the programs named (name=...), in order, at most three


@dataclass(frozen=True)
class ApiMismatch:
    client_version: str  # the user-space libraries' ("550.163.01")
    module_version: str  # the loaded kernel module's ("550.127.05")
    count: int
    clients: tuple[str, ...] = ()  # programs named by newer drivers ("nvidia-smi")


@dataclass(frozen=True)
class AdapterFailure:
    pci_address: str | None  # None: an older driver names no GPU
    count: int
    code: str | None  # "0x24:0x72:1568"


@dataclass(frozen=True)
class OpenRefusal:
    pci_address: str
    pci_id: str  # "10de:1b82"


@dataclass(frozen=True)
class KernelLog:
    source: str | None  # "journalctl" or "dmesg" (capture's header); None: a paste
    xids: tuple[XidEvent, ...] = ()
    api_mismatches: tuple[ApiMismatch, ...] = ()
    init_failures: tuple[AdapterFailure, ...] = ()  # NVRM: RmInitAdapter failed!
    fallen_off_bus: tuple[str, ...] = ()  # the driver's message without an Xid
    open_refused: tuple[OpenRefusal, ...] = ()  # "not supported by open nvidia.ko" (no GSP)
    symbol_mismatches: tuple[str, ...] = ()  # "nvidia: module_layout": built for another kernel
    unsigned_modules: tuple[str, ...] = ()  # loaded unsigned ("module verification failed")
    lockdown_refusals: int = 0  # "Lockdown: ...: unsigned module loading is restricted"
    # GPUs nouveau probed ("nouveau 0000:01:00.0: NVIDIA ...") and did not fail on
    nouveau_bound: tuple[str, ...] = ()
    suppressed: int = 0  # lines the kernel's rate limit dropped (callbacks suppressed)
    left_out: int = 0  # lines capture's size cap left out
    # GSP Xid lines (119, 120) of an earlier load of another driver version, left out of xids
    gsp_xids_of_other_versions: int = 0


_PREFIXES = [
    re.compile(p)
    for p in (
        r"<\d+>",  # /dev/kmsg's priority
        r"kern\s*:\s*[a-z]+\s*:",  # dmesg -x
        r"\[\s*\d+\.\d+\]",  # dmesg, journalctl -o short-monotonic, syslog's copy
        r"\[[A-Z][a-z]{2} [A-Z][a-z]{2} +\d+ [\d:]{8} \d{4}\]",  # dmesg -T
        r"\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?",  # dmesg/journalctl iso
        r"[^\W\d_]{3,5}\.? +\d+ [\d:]{8}",  # journalctl -o short, syslog (any language)
    )
]
_HOST_KERNEL = re.compile(r"\S+ kernel:")  # after a date: the host's name, "kernel:"
_NVRM = re.compile(r"NVRM:\s*")
_HEADER_SOURCE = re.compile(r"^#\s*nvwizard:.*?`(journalctl|dmesg)\b")
_LEFT_OUT = re.compile(r"^#\s*nvwizard:\s*(\d+) lines? left out")

_PCI = r"(?:PCI:)?([0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2})(?:\.([0-7]))?"
_XID = re.compile(rf"\bXid \({_PCI}\): (\d+)(?:, ?(.*))?$")
_PID_NAME = re.compile(r"^pid=('?[^,]*'?)(?:, name=([^,]*))?, ?")
_API = re.compile(
    r"API mismatch: the client (?:'([^']*)' \(pid \d+\)\s+)?has the version (\d[\w.-]*?),"
    r" but\s+this kernel module has\s+the version (\d[\w.-]*?)\.(?:\s|$)"
)
_INIT = re.compile(rf"(?:GPU {_PCI}: )?RmInitAdapter failed!(?: \(([^)]*)\))?")
_OPEN_REFUSED = re.compile(
    rf"The NVIDIA GPU {_PCI}\s+\(PCI ID: ([0-9a-fA-F]{{4}}:[0-9a-fA-F]{{4}})\)\s+installed in"
    r" this system is not supported by open\s+nvidia\.ko"
)
_OFF_BUS = re.compile(
    rf"(?:The NVIDIA GPU {_PCI}\s+\(PCI ID: [0-9a-fA-F:]+\)\s+installed in this system has\s+"
    rf"|GPU at {_PCI} has )fallen off the bus"
)
_SYMBOL = re.compile(r"^(nvidia[\w-]*): disagrees about version of symbol (\S+)")
_UNSIGNED = re.compile(r"^(nvidia[\w-]*): module verification failed: signature and/or required")
_LOCKDOWN = re.compile(r"^Lockdown: [^:]+: unsigned module loading is restricted")
_NOUVEAU = re.compile(rf"^nouveau {_PCI}: NVIDIA ")
_NOUVEAU_FAILED = re.compile(rf"^nouveau {_PCI}: probe with driver nouveau failed")
_SUPPRESSED = re.compile(r"(\d+) callbacks suppressed")
# A line a little older than the one before it is of the same boot (lines pasted out of order,
# printk's clocks on different CPUs); a boot starts the clock again at 0.
_CLOCK_JITTER_S = 5.0
_LOADED = re.compile(r"^loading NVIDIA UNIX .*Kernel Module(?: for \S+)?\s+(\d[\w.-]*)?")
GSP_XIDS = frozenset({119, 120})  # the GSP firmware's: of the driver version that ran it
_NVLINK_INIT = re.compile(r"^nvidia-nvlink: Nvlink Core is being initialized")
_NEW_BOOT = re.compile(r"^-- (?:Boot [0-9a-f]+|Reboot) --$")
_UPTIME = re.compile(r"^(?:[^\[]*? kernel: )?\[\s*(\d+\.\d+)\]")  # seconds since the boot


def message_of(line: str) -> str:
    """The kernel's message in a log line: its timestamp, host and `NVRM: ` taken off."""
    text, dated = line.strip(), False
    for _ in range(6):  # each prefix at most once: a bounded loop, never a backtrack
        for prefix in _PREFIXES:
            match = prefix.match(text)
            if match:
                text, dated = text[match.end() :].lstrip(), True
                break
        else:
            host = _HOST_KERNEL.match(text) if dated else None
            if host is None:
                break
            text, dated = text[host.end() :].lstrip(), False
    if text.startswith("kernel: "):
        text = text[len("kernel: ") :]
    return _NVRM.sub("", text, count=1) if text.startswith("NVRM:") else text


def _address(match: re.Match, group: int) -> str | None:
    device = match.group(group)
    if device is None:
        return None
    domain, bus, slot = device.lower().split(":")
    return f"{int(domain, 16):04x}:{bus}:{slot}.{match.group(group + 1) or '0'}"


def _messages(text: str) -> tuple[list[str], str | None, int]:
    """The messages of the log's last boot, capture's source and the lines its size cap left
    out. A paste of several boots (`journalctl -k` without -b, a kern.log) is read from its
    last boot on: journalctl's `-- Boot <id> --` (older: `-- Reboot --`) line, or the kernel's
    timestamp starting again (going back by more than `_CLOCK_JITTER_S`), begins a boot."""
    source, left_out, messages = None, 0, list[str]()
    uptime = -1.0
    for line in clean_lines(text):
        header = _HEADER_SOURCE.match(line)
        cut = _LEFT_OUT.match(line)
        if header or cut or line.startswith("#"):
            source = header.group(1) if header else source
            left_out += int(cut.group(1)) if cut else 0
            continue
        stamp = _UPTIME.search(line[:80])
        now = float(stamp.group(1)) if stamp else uptime
        if _NEW_BOOT.match(line.strip()) or now < uptime - _CLOCK_JITTER_S:
            messages, left_out = [], 0  # what the cap left out was of an earlier boot
        uptime = -1.0 if _NEW_BOOT.match(line.strip()) else now
        for part in line.split("#012"):  # syslog folds a multi-line message into one
            if part.strip():
                messages.append(message_of(part))
    return messages, source, left_out


def _xids(messages: list[str]) -> tuple[XidEvent, ...]:
    counts: Counter[tuple[str, int]] = Counter()
    first: dict[tuple[str, int], str] = {}
    names: dict[tuple[str, int], list[str]] = {}
    for message in messages:
        match = _XID.search(message)
        if not match:
            continue
        key = (_address(match, 1) or "", int(match.group(3)))
        counts[key] += 1
        rest = match.group(4) or ""
        who = _PID_NAME.match(rest)
        if who:
            rest = rest[who.end() :]
            name = (who.group(2) or "").strip()
            seen = names.setdefault(key, [])
            if name and name != "<unknown>" and name not in seen and len(seen) < 3:
                seen.append(name)
        first.setdefault(key, rest.strip())
    return tuple(
        XidEvent(
            address, code, count, first[(address, code)], tuple(names.get((address, code), ()))
        )
        for (address, code), count in counts.items()
    )


def _api_mismatches(joined: str) -> tuple[ApiMismatch, ...]:
    counts: Counter[tuple[str, str]] = Counter()
    clients: dict[tuple[str, str], list[str]] = {}
    for match in _API.finditer(joined):
        key = (match.group(2), match.group(3))
        counts[key] += 1
        seen = clients.setdefault(key, [])
        if match.group(1) and match.group(1) not in seen:
            seen.append(match.group(1))
    return tuple(
        ApiMismatch(client, module, count, tuple(clients[(client, module)]))
        for (client, module), count in counts.items()
    )


def _init_failures(messages: list[str]) -> tuple[AdapterFailure, ...]:
    counts: Counter[str | None] = Counter()
    codes: dict[str | None, str | None] = {}
    for message in messages:
        match = _INIT.search(message)
        if match:
            address = _address(match, 1)
            counts[address] += 1
            codes.setdefault(address, match.group(3))
    return tuple(AdapterFailure(a, n, codes[a]) for a, n in counts.items())


_T = TypeVar("_T")


def _unique(values: Iterable[_T | None]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(v for v in values if v is not None))


def _nouveau_bound(messages: list[str]) -> tuple[str, ...]:
    """The GPUs nouveau probed and did not give up on (a Turing+ GPU without its firmware:
    "gsp ctor failed", then "probe with driver nouveau failed")."""
    probed = _unique(_address(m, 1) for s in messages if (m := _NOUVEAU.match(s)))
    failed = {_address(m, 1) for s in messages if (m := _NOUVEAU_FAILED.match(s))}
    return tuple(a for a in probed if a not in failed)


def _since_last_load(messages: list[str]) -> list[str]:
    """The messages from the start of the module's last successful load on (the module
    unloaded and loaded again within the boot): its nvlink core's line before its `loading
    NVIDIA UNIX` line (a GPU refused in the same load comes between them), else that line."""
    loads = [i for i, m in enumerate(messages) if _LOADED.match(m)]
    if not loads:
        return messages
    start = loads[-1]
    earlier = loads[-2] if len(loads) > 1 else -1
    starts = [i for i in range(earlier + 1, start) if _NVLINK_INIT.match(messages[i])]
    return messages[starts[-1] if starts else start :]


def _without_other_versions_gsp(messages: list[str]) -> tuple[list[str], int]:
    """The messages less the GSP Xids of loads of another driver version than the last load's
    (a load lasts until the next `loading NVIDIA UNIX` line; lines before the first are its),
    and how many were left out."""
    loads = [(i, m.group(1) or f"#{i}") for i, s in enumerate(messages) if (m := _LOADED.match(s))]
    if len(loads) < 2:
        return messages, 0
    current = loads[-1][1]
    kept, left_out = list[str](), 0
    version, upcoming = loads[0][1], 1
    for i, message in enumerate(messages):
        if upcoming < len(loads) and i == loads[upcoming][0]:
            version, upcoming = loads[upcoming][1], upcoming + 1
        xid = _XID.search(message) if version != current else None
        if xid and int(xid.group(3)) in GSP_XIDS:
            left_out += 1
            continue
        kept.append(message)
    return kept, left_out


def parse_kernel_log(text: str) -> KernelLog:
    """The NVIDIA facts of a kernel log; lines of anything else are ignored. Xids, API
    mismatches and a GPU fallen off the bus are the whole boot's (GSP Xids: its loads of the
    last load's version); how the module loaded (a GPU refused or failing, a symbol mismatch,
    Lockdown, nouveau) is its last load's."""
    every, source, left_out = _messages(text)
    xid_messages, gsp_of_other_versions = _without_other_versions_gsp(every)
    joined = "\n".join(every)
    messages = _since_last_load(every)
    current = "\n".join(messages)
    return KernelLog(
        source=source,
        xids=_xids(xid_messages),
        api_mismatches=_api_mismatches(joined),
        init_failures=_init_failures(messages),
        fallen_off_bus=_unique(_address(m, 1) or _address(m, 3) for m in _OFF_BUS.finditer(joined)),
        open_refused=_unique(
            OpenRefusal(_address(m, 1) or "", m.group(3).lower())
            for m in _OPEN_REFUSED.finditer(current)
        ),
        symbol_mismatches=_unique(
            f"{m.group(1)}: {m.group(2)}" for s in messages if (m := _SYMBOL.match(s))
        ),
        # said once a boot, at the first load (the kernel taints once)
        unsigned_modules=_unique(m.group(1) for s in every if (m := _UNSIGNED.match(s))),
        lockdown_refusals=sum(1 for s in messages if _LOCKDOWN.match(s)),
        nouveau_bound=_nouveau_bound(messages),
        suppressed=sum(int(m.group(1)) for s in every if (m := _SUPPRESSED.search(s))),
        left_out=left_out,
        gsp_xids_of_other_versions=gsp_of_other_versions,
    )
