"""The reboot after a driver change: scheduled so an SSH session can end cleanly, cancellable.

`shutdown -r +1` (or `now`) and `shutdown -c` run as argv lists through the host, so a demo
or bundle host only simulates them. On this machine the state file then says a reboot is
scheduled and a verification is pending: the next `nvwizard` after the reboot opens Verify.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

from nvwizard.engine.state import read_state, write_state
from nvwizard.errors import NvwizardError
from nvwizard.host.base import Host


def reboot_argv(delay_minutes: int | None) -> list[str]:
    """`shutdown -r +N`, or `shutdown -r now` for no delay."""
    if delay_minutes is None or delay_minutes <= 0:
        return ["shutdown", "-r", "now"]
    return ["shutdown", "-r", f"+{int(delay_minutes)}"]


CANCEL_ARGV = ["shutdown", "-c"]


def _run(host: Host, argv: list[str]) -> list[str]:
    try:
        command = host.start(argv)
        lines = [out.text for out in command.lines()]
        code = command.wait()
    except OSError as error:
        raise NvwizardError(f"cannot run {shlex.join(argv)}: {error.strerror or error}") from None
    if code != 0:
        why = next((line for line in reversed(lines) if line.strip()), f"exit code {code}")
        raise NvwizardError(f"{shlex.join(argv)} failed: {why}")
    return lines


def _mark(host: Host, state_dir: Path | None, scheduled: bool) -> None:
    if not host.is_real:
        return
    state = read_state(state_dir)
    pending = True if scheduled else state.verify_pending
    write_state(replace(state, reboot_scheduled=scheduled, verify_pending=pending), state_dir)


def schedule_reboot(
    host: Host, delay_minutes: int | None = 1, state_dir: Path | None = None
) -> str:
    """Schedule the reboot; returns what to tell the person."""
    argv = reboot_argv(delay_minutes)
    _mark(host, state_dir, scheduled=True)
    try:
        _run(host, argv)
    except NvwizardError:
        _mark(host, state_dir, scheduled=False)
        raise
    after = "After it, log in again and run `sudo nvwizard` (or `sudo nvwizard verify`)."
    if argv[-1] == "now":
        return f"Rebooting now: this SSH session will drop. {after}"
    return (
        f"Reboot scheduled in {delay_minutes} minute(s): this SSH session will drop then. "
        f"Cancel with `sudo shutdown -c`. {after}"
    )


def cancel_reboot(host: Host, state_dir: Path | None = None) -> str:
    _run(host, CANCEL_ARGV)
    _mark(host, state_dir, scheduled=False)
    return "The scheduled reboot is cancelled; the new driver is used only after a reboot."
