"""A command started on this machine whose output is streamed line by line (`Host.start`).

The engine runs apt-get, dpkg and the rest through it and shows each line as it comes.
"""

from __future__ import annotations

import errno
import os
import queue
import shutil
import threading
from collections.abc import Iterator, Sequence

from nvwizard.host.base import BURST_LINES, OutputLine, RunningCommand
from nvwizard.host.reading import decode


class LocalCommand(RunningCommand):
    """A child process whose stdout, stderr and (for apt) status pipe are read concurrently.

    When argv asks apt for `-o APT::Status-Fd=3`, the child gets a pipe on fd 3 and its lines
    arrive as stream "status". posix_spawn places the pipes on exact descriptor numbers,
    which subprocess cannot do for fd 3.
    """

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.argv = argv
        streams = ["stdout", "stderr"] + (["status"] if wants_status_fd(argv) else [])
        pipes = {stream: os.pipe() for stream in streams}
        actions: list[tuple] = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)]
        for number, stream in enumerate(streams, start=1):
            actions.append((os.POSIX_SPAWN_DUP2, pipes[stream][1], number))
        try:
            self._pid = os.posix_spawn(executable(argv[0], env), argv, env, file_actions=actions)
        except OSError:
            for read_end, _ in pipes.values():
                os.close(read_end)
            raise
        finally:
            for _, write_end in pipes.values():
                os.close(write_end)
        self.pid = self._pid
        self._queue: queue.Queue[OutputLine | None] = queue.Queue()
        self._open_streams = len(streams)
        self._exit_code: int | None = None
        for stream, (read_end, _) in pipes.items():
            threading.Thread(
                target=self._pump, args=(stream, read_end), daemon=True, name=f"pump-{stream}"
            ).start()

    def _pump(self, stream: str, fd: int) -> None:
        with open(fd, "rb") as pipe:
            for raw in pipe:
                self._queue.put(OutputLine(stream, decode(raw).rstrip("\r\n")))
        self._queue.put(None)

    def lines(self) -> Iterator[OutputLine]:
        for burst in self.bursts():
            yield from burst

    def bursts(self) -> Iterator[list[OutputLine]]:
        """Wait for the next line, then take every line already read with it."""
        while self._open_streams:
            burst: list[OutputLine] = []
            item = self._queue.get()
            while True:
                if item is None:
                    self._open_streams -= 1
                else:
                    burst.append(item)
                if not self._open_streams or len(burst) >= BURST_LINES:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if burst:
                yield burst

    def wait(self) -> int:
        if self._exit_code is None:
            _, status = os.waitpid(self._pid, 0)
            self._exit_code = os.waitstatus_to_exitcode(status)
        return self._exit_code


def executable(name: str, env: dict[str, str]) -> str:
    """The program `name` names, looked up on the PATH of the environment it will run in.

    posix_spawnp searches the calling process's PATH instead, so a sandbox's fake
    `systemctl` or `shutdown` on the passed PATH would lose to the machine's real one.
    """
    if "/" in name:
        return name
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
    return found


def wants_status_fd(argv: Sequence[str]) -> bool:
    """True when argv passes apt `-o APT::Status-Fd=3` (as two arguments or one)."""
    for i, arg in enumerate(argv):
        option = arg[2:] if arg.startswith("-o") and len(arg) > 2 else None
        if arg == "-o" and i + 1 < len(argv):
            option = argv[i + 1]
        if option is not None and option.replace(" ", "").lower() == "apt::status-fd=3":
            return True
    return False
