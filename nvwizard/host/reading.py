"""What every local source is made of: a read-only command's output or a small file's text.

Each helper returns the text, or `Unavailable` with the reason a person would want to read in
`capture-notes.txt` ("command not found: lspci", "/proc/modules does not exist"). Commands run
as argv lists (never a shell) with a timeout and the C.UTF-8 locale, so the parsers see
English output.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

COMMAND_TIMEOUT_S = 30
READ_ENV = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "COLUMNS": "200"}


@dataclass(frozen=True)
class Unavailable:
    """A source this machine cannot produce, and why."""

    reason: str


@dataclass(frozen=True)
class CommandResult:
    stdout: str
    stderr: str
    exit_code: int


def run_command(argv: Sequence[str], timeout_s: float) -> CommandResult | Unavailable:
    """Run a read-only command to its end: its output, or why it could not run."""
    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            env={**os.environ, **READ_ENV},
        )
    except FileNotFoundError:
        return Unavailable(f"command not found: {argv[0]}")
    except PermissionError:
        return Unavailable(f"not allowed to run {argv[0]}")
    except subprocess.TimeoutExpired:
        return Unavailable(f"`{shlex.join(argv)}` timed out after {timeout_s:g} s")
    except OSError as error:
        return Unavailable(f"{argv[0]}: {error.strerror or error}")
    return CommandResult(decode(done.stdout), decode(done.stderr), done.returncode)


def command_text(
    argv: Sequence[str], timeout_s: float, keep_stderr: bool = False
) -> str | Unavailable:
    """A command's stdout (then its stderr, when the answer may be an error text).

    A command that prints nothing and fails is unavailable; one that fails with output (mokutil
    on a machine without EFI) answered."""
    result = run_command(argv, timeout_s)
    if isinstance(result, Unavailable):
        return result
    text = result.stdout + (result.stderr if keep_stderr else "")
    if result.exit_code != 0 and not text.strip():
        first = (result.stderr.strip().splitlines() or [""])[0]
        return Unavailable(f"`{shlex.join(argv)}` failed (exit {result.exit_code}) {first}")
    return text


def read_file(path: Path, shown_as: str) -> str | Unavailable:
    """The whole text of a file; `shown_as` is its path on the machine (not under a test root)."""
    try:
        return decode(path.read_bytes())
    except FileNotFoundError:
        return Unavailable(f"{shown_as} does not exist")
    except OSError as error:
        return Unavailable(f"{shown_as}: {error.strerror or error}")


def read_small(path: Path, strip: bool = True, limit: int = 1 << 20) -> str | None:
    """The first `limit` bytes of a file as text, or None when it cannot be read."""
    try:
        with open(path, "rb") as file:
            text = decode(file.read(limit))
    except OSError:
        return None
    return text.strip() if strip else text


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class StreamEnd:
    """How a streamed command ended: its stdout went line by line to the caller."""

    stderr: str
    exit_code: int


STDERR_KEPT = 1 << 16  # of stderr (the reason a command failed), the first 64 KiB


def stream_command(
    argv: Sequence[str], timeout_s: float, on_line: Callable[[str], None]
) -> StreamEnd | Unavailable:
    """Run a read-only command, handing each line of its stdout to `on_line` as it comes,
    so that an output of hundreds of MB (a long-lived server's kernel journal) is never held
    whole. Lines are split as `str.splitlines` splits the whole text. Past `timeout_s` the
    command is killed and unavailable, as `run_command`'s is."""
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **READ_ENV},
        )
    except FileNotFoundError:
        return Unavailable(f"command not found: {argv[0]}")
    except PermissionError:
        return Unavailable(f"not allowed to run {argv[0]}")
    except OSError as error:
        return Unavailable(f"{argv[0]}: {error.strerror or error}")
    timed_out = threading.Event()

    def kill_when_late() -> None:
        if process.poll() is None:
            timed_out.set()
            process.kill()

    stderr = bytearray()
    reader = threading.Thread(target=_drain, args=(process.stderr, stderr), daemon=True)
    timer = threading.Timer(timeout_s, kill_when_late)
    reader.start()
    timer.start()
    read_to_end = False
    try:
        assert process.stdout is not None
        for raw in process.stdout:
            for line in decode(raw).splitlines():
                on_line(line)
        read_to_end = True
    finally:
        if not read_to_end:
            process.kill()  # the caller failed mid-stream: the command must not linger
        exit_code = process.wait()
        timer.cancel()
        reader.join()
        if process.stdout:
            process.stdout.close()
    if timed_out.is_set():
        return Unavailable(f"`{shlex.join(argv)}` timed out after {timeout_s:g} s")
    return StreamEnd(decode(bytes(stderr)), exit_code)


def _drain(pipe: IO[bytes] | None, kept: bytearray) -> None:
    """Read a pipe to its end (the command must never block on it), keeping its start."""
    if pipe is None:
        return
    with pipe:
        while chunk := pipe.read(65536):
            kept += chunk[: max(0, STDERR_KEPT - len(kept))]
