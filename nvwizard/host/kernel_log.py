"""kernel-log.txt: the NVIDIA lines of this boot's kernel messages, read without root.

`journalctl -k -b` first (the whole boot, whatever the ring buffer lost), else `dmesg` (the
ring buffer). Either may be closed to a user: journalctl then prints only "-- No entries --"
and a hint that the user sees only their own messages (not in the adm or systemd-journal
group), dmesg fails with "read kernel buffer failed: Operation not permitted"
(kernel.dmesg_restrict). Neither readable, the source is unavailable with both reasons
(capture-notes.txt says them): never an error.

Only lines that name the NVIDIA driver, nouveau or an Xid are kept (and the kernel's
Lockdown lines, which name the process, not the module: how Secure Boot refuses an unsigned
module), and at most `MAX_LINES`: the first `HEAD_LINES` (the boot: the module loading, a GPU
refused) and the newest rest, with a `# nvwizard: N lines left out` line between them. A
first line `# nvwizard: ... `<command>` ...` names the command read.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence

from nvwizard.host.reading import CommandResult, Unavailable

JOURNALCTL = ("journalctl", "-k", "-b", "--no-pager", "-o", "short-monotonic")
DMESG = ("dmesg",)
MAX_LINES = 2000
HEAD_LINES = 500
MAX_LINE_CHARS = 1000  # a runaway line (a register dump) is cut, not dropped
NVIDIA_LINE = re.compile(r"NVRM|nvidia|nouveau|\bXid\b|\bLockdown:", re.I)
_JOURNAL_NOTES = re.compile(r"^--\s.*--$|^-- No entries --$")

RunCommand = Callable[[Sequence[str]], CommandResult | Unavailable]


def kernel_log(run: RunCommand) -> str | Unavailable:
    """The NVIDIA lines of this boot's kernel log, from the first command that may read it."""
    reasons = []
    for argv in (JOURNALCTL, DMESG):
        result = run(argv)
        if isinstance(result, Unavailable):
            reasons.append(result.reason)
            continue
        closed = _why_closed(argv, result)
        if closed:
            reasons.append(closed)
            continue
        return _kept(argv, result.stdout)
    return Unavailable("the kernel log cannot be read: " + "; ".join(reasons))


def _why_closed(argv: Sequence[str], result: CommandResult) -> str | None:
    """Why a command's answer is not the kernel log (None: it is)."""
    first = (result.stderr.strip().splitlines() or [""])[0]
    if result.exit_code != 0:
        return f"`{shlex.join(argv)}` failed (exit {result.exit_code}) {first}".rstrip()
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if not any(not _JOURNAL_NOTES.match(line.strip()) for line in lines):
        # journalctl answers "-- No entries --" (exit 0) where it may show nothing
        return f"`{shlex.join(argv)}` shows no kernel messages {first}".rstrip()
    return None


def _kept(argv: Sequence[str], stdout: str) -> str:
    lines = [line[:MAX_LINE_CHARS] for line in stdout.splitlines() if NVIDIA_LINE.search(line)]
    header = f"# nvwizard: the NVIDIA lines of `{shlex.join(argv)}` (this boot)"
    if len(lines) > MAX_LINES:
        tail = MAX_LINES - HEAD_LINES
        cut = len(lines) - MAX_LINES
        lines = [*lines[:HEAD_LINES], f"# nvwizard: {cut} lines left out", *lines[-tail:]]
    return "\n".join([header, *lines]) + "\n"
