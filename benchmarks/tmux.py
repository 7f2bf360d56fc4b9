"""A real terminal for the measurements: a private tmux server, one 80x24 session at a time."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Sequence
from itertools import count

import psutil

from benchmarks.measure import REPO_ROOT, child_env

POLL_S = 0.005
_sessions = count()


class TmuxError(RuntimeError):
    pass


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


class TmuxSession:
    """`with TmuxSession(argv) as pane:` runs argv in a fresh 80x24 pane on a private socket."""

    def __init__(self, argv: Sequence[str], width: int = 80, height: int = 24, **env: str):
        # A fresh server per session: reusing a socket right after kill-server races.
        self.socket = f"nvwbench-{os.getpid()}-{next(_sessions)}"
        self.argv = list(argv)
        self.width, self.height = width, height
        self.env = child_env(**env)
        self.started_at = 0.0

    def _tmux(self, *args: str, check: bool = True) -> str:
        completed = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
        )
        if check and completed.returncode != 0:
            raise TmuxError(f"tmux {' '.join(args)}: {completed.stderr.strip()}")
        return completed.stdout

    def __enter__(self) -> TmuxSession:
        command = f"cd {shlex.quote(str(REPO_ROOT))} && exec {shlex.join(self.argv)}"
        self.started_at = time.monotonic()
        self._tmux(
            "-f", "/dev/null", "new-session", "-d",
            "-x", str(self.width), "-y", str(self.height), command,
        )  # fmt: skip
        self._tmux("set-option", "-g", "remain-on-exit", "on", check=False)
        self.pane_pid = int(self._tmux("display-message", "-p", "#{pane_pid}").strip() or 0)
        return self

    def __exit__(self, *exc) -> None:
        processes = _process_tree(self.pane_pid)
        self._tmux("kill-server", check=False)
        # A killed terminal should end the app (SIGHUP); whatever outlives it is ended here,
        # so a stuck child never keeps eating the machine's CPU after the benchmark.
        _, alive = psutil.wait_procs(processes, timeout=3)
        for process in alive:
            with contextlib.suppress(psutil.Error):
                process.kill()
        self.survivors = len(alive)

    def capture(self) -> str:
        return self._tmux("capture-pane", "-p", check=False)

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def wait_for(self, text: str, timeout_s: float, present: bool = True) -> float:
        """Poll the pane until `text` appears (or, present=False, disappears); returns when."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if (text in self.capture()) == present:
                return time.monotonic()
            time.sleep(POLL_S)
        state = "appear" if present else "disappear"
        raise TmuxError(f"{text!r} did not {state} within {timeout_s} s; pane:\n{self.capture()}")


def _process_tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []
