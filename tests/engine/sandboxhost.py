"""A LocalHost whose commands run with the apt sandbox's environment (real apt and dpkg)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from nvwizard.host.base import RunningCommand
from nvwizard.host.local import LocalHost
from nvwizard.host.local_command import LocalCommand


class SandboxHost(LocalHost):
    label = "apt sandbox"

    def __init__(self, sandbox):
        super().__init__()
        self.sandbox = sandbox
        self.started: list[list[str]] = []

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        self.started.append(list(argv))
        return LocalCommand(list(argv), {**self.sandbox.env, **(env or {})})

    def write_file(self, path: str, content: str, mode: int = 0o644) -> None:
        """A step's files go into the sandbox root, where the sandbox's apt reads them."""
        LocalHost(root=str(self.sandbox.root)).write_file(path, content, mode)
