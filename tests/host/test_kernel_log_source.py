"""kernel-log.txt on a live machine: journalctl, else dmesg, never as root; closed to the user
is "not available" with the reasons, never an error. The commands are faked (their real
answers to a user without the rights), the choosing and filtering are real."""

from __future__ import annotations

from nvwizard.host import kernel_log
from nvwizard.host.capture import capture
from nvwizard.host.local import LocalHost
from nvwizard.host.reading import CommandResult, Unavailable

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
    asked = []

    def run(argv):
        asked.append(argv[0])
        return answers[argv[0]]

    return run, asked


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


class ClosedLogHost(LocalHost):
    """This machine, its kernel log closed to the user (both commands answer as they do)."""

    def _run(self, argv):
        if argv[0] in ("journalctl", "dmesg"):
            return JOURNAL_CLOSED if argv[0] == "journalctl" else DMESG_CLOSED
        return super()._run(argv)


def test_capture_notes_a_closed_kernel_log_and_writes_no_file(tmp_path):
    result = capture(tmp_path / "bundle", ClosedLogHost(str(tmp_path / "root")))
    assert "kernel-log.txt" not in result.written
    assert not (tmp_path / "bundle" / "kernel-log.txt").exists()
    notes = (tmp_path / "bundle" / "capture-notes.txt").read_text()
    assert "kernel-log.txt: the kernel log cannot be read: " in notes
