"""Which handler answers a command: apt-get, dpkg, apt-mark, systemctl, shutdown, modprobe and
rmmod, a tool whose output the bundle captured, a tool with no effect, or "not found"."""

from __future__ import annotations

import os

from nvwizard.simulator.apt_get import apt_get
from nvwizard.simulator.apt_sources import add_apt_source, is_add_apt_source
from nvwizard.simulator.dpkg import dpkg, dpkg_query
from nvwizard.simulator.modprobe import modprobe, rmmod
from nvwizard.simulator.repositories import curl
from nvwizard.simulator.script import Invocation, Script, err, out
from nvwizard.simulator.stack_tools import docker, nvcc, nvidia_ctk
from nvwizard.simulator.tools import (
    NO_EFFECT_TOOLS,
    apt_mark,
    captured,
    captured_source,
    reboot,
    shutdown,
    systemctl,
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
    "curl": curl,
    "nvidia-ctk": nvidia_ctk,
    "docker": docker,
    "nvcc": nvcc,
    "modprobe": modprobe,
    "rmmod": rmmod,
}


def answer(call: Invocation) -> Script:
    """The script that answers one command: a handler, a captured output, or "not found"."""
    if not call.argv:
        yield err("simulated: empty command")
        return 127
    if is_add_apt_source(call.argv):  # nvwizard's own, run by its Python
        return (yield from add_apt_source(call, call.argv[4:]))
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
