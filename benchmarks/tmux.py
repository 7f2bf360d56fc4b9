"""A real terminal for the measurements: a private tmux server, one 80x24 session at a time.

The server is started once, before anything is timed (`TmuxServer`), and each measured
session is a new session on it: a timing then never includes starting a tmux server.
"""

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
_servers = count()


class TmuxError(RuntimeError):
    pass


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


class TmuxServer:
    """`with TmuxServer() as server:` a private tmux server, started and ready, for sessions.

    An idle placeholder session keeps it alive between the measured ones."""

    def __init__(self) -> None:
        self.socket = f"nvwbench-{os.getpid()}-{next(_servers)}"
        self.env = child_env()

    def tmux(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
        completed = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            env=env or self.env,
            check=False,
        )
        if check and completed.returncode != 0:
            raise TmuxError(f"tmux {' '.join(args)}: {completed.stderr.strip()}")
        return completed.stdout

    def __enter__(self) -> TmuxServer:
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "idle", "cat")
        self.tmux("set-option", "-g", "remain-on-exit", "on", check=False)
        return self

    def __exit__(self, *exc) -> None:
        self.tmux("kill-server", check=False)

    def session(self, argv: Sequence[str], width: int = 80, height: int = 24, **env: str):
        return TmuxSession(argv, width, height, server=self, **env)


class TmuxSession:
    """`with TmuxSession(argv) as pane:` runs argv in a fresh 80x24 session; on the given
    server (already running), else on a private server of its own."""

    def __init__(
        self,
        argv: Sequence[str],
        width: int = 80,
        height: int = 24,
        server: TmuxServer | None = None,
        **env: str,
    ):
        self.server = server
        self.own_server: TmuxServer | None = None
        self.name = f"measured-{next(_sessions)}"
        self.argv = list(argv)
        self.width, self.height = width, height
        self.env = child_env(**env)
        self.started_at = 0.0

    def _tmux(self, *args: str, check: bool = True) -> str:
        assert self.server is not None
        return self.server.tmux(*args, check=check, env=self.env)

    def __enter__(self) -> TmuxSession:
        if self.server is None:
            self.own_server = self.server = TmuxServer().__enter__()
        command = f"cd {shlex.quote(str(REPO_ROOT))} && exec {shlex.join(self.argv)}"
        self.started_at = time.monotonic()
        self._tmux(
            "new-session", "-d", "-s", self.name,
            "-x", str(self.width), "-y", str(self.height), command,
        )  # fmt: skip
        target = f"{self.name}:"
        self.pane_pid = int(self._tmux("display-message", "-p", "-t", target, "#{pane_pid}") or 0)
        return self

    def __exit__(self, *exc) -> None:
        processes = _process_tree(self.pane_pid)
        self._tmux("kill-session", "-t", self.name, check=False)
        if self.own_server is not None:
            self.own_server.__exit__()
        # A killed terminal should end the app (SIGHUP); whatever outlives it is ended here,
        # so a stuck child never keeps eating the machine's CPU after the benchmark.
        _, alive = psutil.wait_procs(processes, timeout=3)
        for process in alive:
            with contextlib.suppress(psutil.Error):
                process.kill()
        self.survivors = len(alive)

    def capture(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", f"{self.name}:", check=False)

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", f"{self.name}:", *keys)

    def wait_for_each(self, texts: Sequence[str], timeout_s: float) -> list[float]:
        """Poll the pane until every one of `texts` has appeared; returns when each was first
        seen. One capture serves them all: texts painted in the same frame are seen at the
        same moment (waiting for them one after the other added a capture's time, ~10 ms)."""
        seen: dict[str, float] = {}
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pane = self.capture()
            now = time.monotonic()
            for text in texts:
                if text in pane:
                    seen.setdefault(text, now)
            if len(seen) == len(texts):
                return [seen[text] for text in texts]
            time.sleep(POLL_S)
        missing = [text for text in texts if text not in seen]
        raise TmuxError(f"{missing!r} did not appear within {timeout_s} s; pane:\n{self.capture()}")

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
