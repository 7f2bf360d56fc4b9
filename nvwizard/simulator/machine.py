"""`SimulatedMachine.start(argv, env)`: which handler answers a command."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence

from nvwizard.host.base import Host, RunningCommand
from nvwizard.simulator.apt_get import apt_get
from nvwizard.simulator.boot import BootResult, boot
from nvwizard.simulator.dpkg import dpkg, dpkg_query
from nvwizard.simulator.model import unrecorded_state
from nvwizard.simulator.script import (
    FAIL_ENV,
    Invocation,
    Script,
    SimulatedCommand,
    demo_speed,
    err,
    out,
)
from nvwizard.simulator.tools import (
    NO_EFFECT_TOOLS,
    apt_mark,
    captured,
    captured_source,
    reboot,
    shutdown,
    systemctl,
    wait_for_scheduled_reboot,
)

HANDLERS = {
    "apt-get": apt_get,
    "apt": apt_get,
    "dpkg": dpkg,
    "dpkg-query": dpkg_query,
    "apt-mark": apt_mark,
    "systemctl": systemctl,
    "shutdown": shutdown,
    "reboot": reboot,
}


class SimulatedMachine:
    """Answers `start(argv, env)` for a bundle or demo host; never runs a real command."""

    def __init__(self, bundle_host: Host, sleep: Callable[[float], None] = time.sleep):
        self.host = bundle_host
        self._sleep = sleep

    def start(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        purged: Collection[str] = (),
    ) -> RunningCommand:
        """`purged`: an `apt-get -s` answers as if these packages were purged already."""
        settings = {**os.environ, **(env or {})}
        fail = settings.get(FAIL_ENV, "").strip()
        call = Invocation(self.host, [str(a) for a in argv], fail, frozenset(purged))
        return SimulatedCommand(answer(call), demo_speed(settings), self._sleep)

    def boot(self) -> BootResult:
        """Reboot the machine now, without the pause `reboot` takes."""
        return boot(self.host)

    def wait_for_scheduled_reboot(self, env: Mapping[str, str] | None = None) -> bool:
        """Let the time of a scheduled `shutdown -r +N` pass (a few seconds per minute at
        demo speed 1), then boot. False when no reboot is scheduled any more."""
        settings = {**os.environ, **(env or {})}
        call = Invocation(self.host, ["shutdown", "-r"], "")

        def script() -> Script:
            booted = yield from wait_for_scheduled_reboot(call)
            return 0 if booted else 1

        return SimulatedCommand(script(), demo_speed(settings), self._sleep).wait() == 0

    @property
    def scheduled_reboot(self) -> str | None:
        """ "+1", "23:30": the reboot `shutdown` scheduled, None when none is."""
        return unrecorded_state(self.host).scheduled_reboot

    @property
    def last_boot(self) -> BootResult | None:
        """What the last simulated reboot brought up (None: not rebooted in this process)."""
        boots = unrecorded_state(self.host).boots
        return boots[-1] if boots else None


def answer(call: Invocation) -> Script:
    """The script that answers one command: a handler, a captured output, or "not found"."""
    if not call.argv:
        yield err("simulated: empty command")
        return 127
    tool = os.path.basename(call.argv[0])
    handler = HANDLERS.get(tool)
    if handler is not None:
        return (yield from handler(call, call.argv[1:]))
    source = captured_source(call.argv)
    if source is not None:
        return (yield from captured(call, source))
    if tool in NO_EFFECT_TOOLS:
        yield out(call.echo)
        return 0
    yield err(f"simulated: {tool}: command not found on the simulated machine")
    return 127
