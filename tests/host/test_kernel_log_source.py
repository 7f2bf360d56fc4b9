"""kernel-log.txt on a live machine: journalctl, else dmesg, never as root; closed to the user
is "not available" with the reasons, never an error. The commands are faked (their real
answers to a user without the rights), the choosing and filtering are real; the output is
filtered while it streams, never held whole."""

from __future__ import annotations

import sys
import time

from nvwizard.host import kernel_log
from nvwizard.host.capture import capture
from nvwizard.host.local import LocalHost
from nvwizard.host.reading import CommandResult, StreamEnd, Unavailable, stream_command

JOURNAL = """\
[    0.000000] gpu-7 kernel: Linux version 6.8.0-94-generic (buildd@lcy02-amd64-033)
[    4.933870] gpu-7 kernel: NVRM: loading NVIDIA UNIX x86_64 Kernel Module  580.95.05
[    5.101112] gpu-7 kernel: EXT4-fs (nvme0n1p2): re-mounted r/w. Quota mode: none.
[ 1843.308145] gpu-7 kernel: NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.
[ 1843.308210] gpu-7 kernel: nouveau 0000:01:00.0: NVIDIA GA102 (b72000a1)
[ 1900.000000] gpu-7 kernel: Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7
"""  # noqa: E501
# what journalctl answers a user outside the adm and systemd-journal groups (exit 0)
JOURNAL_CLOSED = CommandResult(
    "-- No entries --\n",
    "Hint: You are currently not seeing messages from other users and the system.\n"
    "      Users in groups 'adm', 'systemd-journal' can see all messages.\n",
    0,
)
DMESG_CLOSED = CommandResult("", "dmesg: read kernel buffer failed: Operation not permitted\n", 1)


def runner(answers: dict):
    """A streaming runner answering each command as `answers` says: its stdout line by line."""
    asked = []

    def run(argv, on_line):
        asked.append(argv[0])
        return streamed(answers[argv[0]], on_line)

    return run, asked


def streamed(answer, on_line):
    if isinstance(answer, Unavailable):
        return answer
    for line in answer.stdout.splitlines():
        on_line(line)
    return StreamEnd(answer.stderr, answer.exit_code)


def test_journalctl_first_and_only_the_nvidia_lines_kept():
    run, asked = runner({"journalctl": CommandResult(JOURNAL, "", 0)})
    text = kernel_log.kernel_log(run)
    assert asked == ["journalctl"]
    lines = text.splitlines()
    assert lines[0] == (
        "# nvwizard: the NVIDIA lines of `journalctl -k -b --no-pager -o short-monotonic` "
        "(this boot)"
    )
    assert len(lines) == 5  # the header, NVRM twice, nouveau, Lockdown; not Linux or EXT4
    assert not any("EXT4" in line or "Linux version" in line for line in lines)


def test_a_closed_journal_falls_back_to_dmesg():
    dmesg = "[ 1843.308145] NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.\n"
    run, asked = runner({"journalctl": JOURNAL_CLOSED, "dmesg": CommandResult(dmesg, "", 0)})
    text = kernel_log.kernel_log(run)
    assert asked == ["journalctl", "dmesg"]
    assert text.splitlines()[0] == "# nvwizard: the NVIDIA lines of `dmesg` (this boot)"
    assert text.splitlines()[1] == dmesg.strip()


def test_both_closed_is_unavailable_with_both_reasons():
    run, _ = runner({"journalctl": JOURNAL_CLOSED, "dmesg": DMESG_CLOSED})
    result = kernel_log.kernel_log(run)
    assert isinstance(result, Unavailable)
    assert "shows no kernel messages Hint: You are currently not seeing" in result.reason
    assert "`dmesg` failed (exit 1) dmesg: read kernel buffer failed" in result.reason
    run, _ = runner(
        {"journalctl": Unavailable("command not found: journalctl"), "dmesg": DMESG_CLOSED}
    )
    assert "command not found: journalctl" in kernel_log.kernel_log(run).reason


def test_a_flood_keeps_the_boot_and_the_newest_lines_and_says_how_many_it_left_out():
    flood = "".join(
        f"[ {n}.000000] h kernel: NVRM: Xid (PCI:0000:3b:00): 13, line {n}\n" for n in range(5000)
    )
    run, _ = runner({"journalctl": CommandResult(flood, "", 0)})
    lines = kernel_log.kernel_log(run).splitlines()
    assert len(lines) == 1 + kernel_log.MAX_LINES + 1
    assert lines[1].endswith("line 0")
    assert lines[kernel_log.HEAD_LINES + 1] == "# nvwizard: 3000 lines left out"
    assert lines[-1].endswith("line 4999")


def test_a_journal_of_200k_lines_is_never_held_more_than_the_cap_while_it_streams():
    peak = {"held": 0, "lines": 0}

    def run(argv, on_line):
        kept = on_line.__self__  # the KeptLines being filled
        for n in range(200_000):
            on_line(f"[ {n}.000000] h kernel: NVRM: Xid (PCI:0000:3b:00): 13, line {n}")
            on_line(f"[ {n}.000001] h kernel: EXT4-fs (nvme0n1p2): line {n}")
            held = len(kept.head) + len(kept.tail)
            peak["held"] = max(peak["held"], held)
            peak["lines"] += 2
        return StreamEnd("", 0)

    lines = kernel_log.kernel_log(run).splitlines()
    assert peak == {"held": kernel_log.MAX_LINES, "lines": 400_000}
    assert len(lines) == 1 + kernel_log.MAX_LINES + 1
    assert lines[1].endswith("line 0") and lines[kernel_log.HEAD_LINES].endswith("line 499")
    assert lines[kernel_log.HEAD_LINES + 1] == "# nvwizard: 198000 lines left out"
    assert lines[kernel_log.HEAD_LINES + 2].endswith("line 198500")
    assert lines[-1].endswith("line 199999")


def test_stream_command_hands_over_each_line_as_it_comes_and_keeps_stderr(tmp_path):
    script = tmp_path / "journal.py"
    script.write_text(
        "import sys\n"
        "for n in range(200_000):\n"
        "    print(f'NVRM: line {n}')\n"
        "print('bad', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    seen = []
    end = stream_command([sys.executable, str(script)], 30, seen.append)
    assert end == StreamEnd("bad\n", 3)
    assert len(seen) == 200_000 and seen[0] == "NVRM: line 0" and seen[-1] == "NVRM: line 199999"


def test_stream_command_past_its_timeout_or_missing_is_unavailable(tmp_path):
    seen = []
    started = time.monotonic()
    late = stream_command(["sh", "-c", "echo NVRM first; exec sleep 30"], 0.5, seen.append)
    assert time.monotonic() - started < 10
    assert late == Unavailable("`sh -c 'echo NVRM first; exec sleep 30'` timed out after 0.5 s")
    assert seen == ["NVRM first"]
    missing = stream_command(["no-such-command-nvw"], 5, seen.append)
    assert missing == Unavailable("command not found: no-such-command-nvw")


class ClosedLogHost(LocalHost):
    """This machine, its kernel log closed to the user (both commands answer as they do)."""

    def _stream(self, argv, on_line):
        if argv[0] in ("journalctl", "dmesg"):
            return streamed(JOURNAL_CLOSED if argv[0] == "journalctl" else DMESG_CLOSED, on_line)
        return super()._stream(argv, on_line)


def test_capture_notes_a_closed_kernel_log_and_writes_no_file(tmp_path):
    result = capture(tmp_path / "bundle", ClosedLogHost(str(tmp_path / "root")))
    assert "kernel-log.txt" not in result.written
    assert not (tmp_path / "bundle" / "kernel-log.txt").exists()
    notes = (tmp_path / "bundle" / "capture-notes.txt").read_text()
    assert "kernel-log.txt: the kernel log cannot be read: " in notes
