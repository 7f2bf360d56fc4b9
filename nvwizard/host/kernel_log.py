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
first line `# nvwizard: ... `<command>` ...` names the command read. The output is filtered
line by line while the command runs (a long-lived server's journal can be hundreds of MB):
what is held is the kept head, the newest lines (a bounded deque) and a count.
"""

from __future__ import annotations

import re
import shlex
from collections import deque
from collections.abc import Callable, Sequence

from nvwizard.host.reading import StreamEnd, Unavailable

JOURNALCTL = ("journalctl", "-k", "-b", "--no-pager", "-o", "short-monotonic")
DMESG = ("dmesg",)
MAX_LINES = 2000
HEAD_LINES = 500
MAX_LINE_CHARS = 1000  # a runaway line (a register dump) is cut, not dropped
NVIDIA_LINE = re.compile(r"NVRM|nvidia|nouveau|\bXid\b|\bLockdown:", re.I)
_JOURNAL_NOTES = re.compile(r"^--\s.*--$|^-- No entries --$")

# runs argv, handing each stdout line to the callback (reading.stream_command)
StreamCommand = Callable[[Sequence[str], Callable[[str], None]], StreamEnd | Unavailable]


class KeptLines:
    """The NVIDIA lines of a command's output, taken one line at a time: the first
    `HEAD_LINES`, the newest up to `MAX_LINES` in all, and how many fell between them."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail: deque[str] = deque(maxlen=MAX_LINES - HEAD_LINES)
        self.left_out = 0
        self.any_message = False  # a line that is not journalctl's "-- No entries --" & co.

    def add(self, line: str) -> None:
        if not self.any_message and line.strip():
            self.any_message = not _JOURNAL_NOTES.match(line.strip())
        if not NVIDIA_LINE.search(line):
            return
        line = line[:MAX_LINE_CHARS]
        if len(self.head) < HEAD_LINES:
            self.head.append(line)
            return
        if len(self.tail) == self.tail.maxlen:
            self.left_out += 1  # the oldest of the tail falls out as this one comes in
        self.tail.append(line)

    def lines(self) -> list[str]:
        cut = [f"# nvwizard: {self.left_out} lines left out"] if self.left_out else []
        return [*self.head, *cut, *self.tail]


def kernel_log(stream: StreamCommand) -> str | Unavailable:
    """The NVIDIA lines of this boot's kernel log, from the first command that may read it."""
    reasons = []
    for argv in (JOURNALCTL, DMESG):
        kept = KeptLines()
        result = stream(argv, kept.add)
        if isinstance(result, Unavailable):
            reasons.append(result.reason)
            continue
        closed = _why_closed(argv, result, kept.any_message)
        if closed:
            reasons.append(closed)
            continue
        header = f"# nvwizard: the NVIDIA lines of `{shlex.join(argv)}` (this boot)"
        return "\n".join([header, *kept.lines()]) + "\n"
    return Unavailable("the kernel log cannot be read: " + "; ".join(reasons))


def _why_closed(argv: Sequence[str], result: StreamEnd, any_message: bool) -> str | None:
    """Why a command's answer is not the kernel log (None: it is)."""
    first = (result.stderr.strip().splitlines() or [""])[0]
    if result.exit_code != 0:
        return f"`{shlex.join(argv)}` failed (exit {result.exit_code}) {first}".rstrip()
    if not any_message:
        # journalctl answers "-- No entries --" (exit 0) where it may show nothing
        return f"`{shlex.join(argv)}` shows no kernel messages {first}".rstrip()
    return None
