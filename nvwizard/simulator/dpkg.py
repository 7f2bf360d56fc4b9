"""`dpkg --audit | --configure -a | -l | --print-architecture` and `dpkg-query -W | -l`."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from nvwizard.simulator.dpkg_actions import configure_packages, errors_summary
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.output import (
    format_package,
    render_audit,
    render_dpkg_l,
    unescape_showformat,
)
from nvwizard.simulator.packages import Installed
from nvwizard.simulator.progress import Progress
from nvwizard.simulator.repositories import install_keyring
from nvwizard.simulator.resolver import dependency_order
from nvwizard.simulator.script import Invocation, Script, err, out

DEFAULT_SHOWFORMAT = "${binary:Package}\t${Version}\n"


def dpkg(call: Invocation, args: Sequence[str]) -> Script:
    model = MachineModel(call.machine)
    if args[:1] in (["--audit"], ["-C"]):
        text = call.machine.read("dpkg-audit.txt") or ""
        if not text.strip():
            text = render_audit(model.rows())
        for line in text.splitlines():
            yield out(line)
        return 0
    if args[:1] == ["--configure"] and args[1:] in (["-a"], ["--pending"]):
        return (yield from _configure_pending(call, model))
    if args[:1] == ["-l"]:
        return (yield from _list(model, args[1:]))
    if args[:1] == ["--print-architecture"]:
        yield out("amd64")
        return 0
    if args[:1] in (["-i"], ["--install"]) and len(args) == 2:
        return (yield from install_keyring(call, args[1]))
    yield out(call.echo)
    return 0


def _configure_pending(call: Invocation, model: MachineModel) -> Script:
    """`dpkg --configure -a`: finish every unpacked or half-done package, dependencies first."""
    holder = model.frontend_lock_holder()
    if holder is not None:
        yield err(
            f"dpkg: error: dpkg frontend lock was locked by another process with pid {holder.pid}"
        )
        yield err("Note: removing the lock file is always wrong, can damage the locked area")
        yield err("and the entire system. See <https://wiki.debian.org/Teams/Dpkg/FAQ#db-lock>.")
        return 2
    pending = [n for n, p in model.installed.items() if p.status in ("U", "F", "H")]
    failed = yield from configure_packages(
        model,
        dependency_order(model, pending),
        Progress(enabled=False, steps=0),
        call.failing_package,
    )
    yield from errors_summary(failed)
    model.save()
    model.write_back("dpkg-updates.txt", "")
    return 1 if failed else 0


def _matching(rows: list[Installed], pattern: str) -> list[Installed]:
    return [p for p in rows if fnmatch.fnmatchcase(p.name, pattern)]


def _list(model: MachineModel, patterns: Sequence[str]) -> Script:
    """`dpkg -l [pattern...]` (and `dpkg-query -l`)."""
    rows = model.rows()
    if patterns:
        rows = [p for p in rows if any(fnmatch.fnmatchcase(p.name, pat) for pat in patterns)]
    if not rows:
        for pattern in patterns:
            yield err(f"dpkg-query: no packages found matching {pattern}")
        return 1
    for line in render_dpkg_l(rows).splitlines():
        yield out(line)
    return 0


def dpkg_query(call: Invocation, args: Sequence[str]) -> Script:
    model = MachineModel(call.machine)
    fmt = DEFAULT_SHOWFORMAT
    patterns: list[str] = []
    mode = None
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg in ("-W", "--show"):
            mode = "show"
        elif arg in ("-l", "--list"):
            mode = "list"
        elif arg.startswith(("-f=", "--showformat=")):
            fmt = unescape_showformat(arg.split("=", 1)[1])
        elif arg in ("-f", "--showformat") and i + 1 < len(items):
            fmt = unescape_showformat(items[i + 1])
            i += 1
        elif arg.startswith("-"):
            yield err(f"dpkg-query: error: unknown option {arg}")
            return 2
        else:
            patterns.append(arg)
        i += 1
    if mode == "list":
        return (yield from _list(model, patterns))
    if mode is None:
        yield err("dpkg-query: error: need an action option")
        return 2
    rows = model.rows()
    code = 0
    shown: list[Installed] = []
    if patterns:
        for pattern in patterns:
            matches = _matching(rows, pattern)
            if not matches:
                yield err(f"dpkg-query: no packages found matching {pattern}")
                code = 1
            shown += [p for p in matches if p not in shown]
    else:
        shown = rows
    text = "".join(format_package(fmt, p) for p in shown)
    for line in text.splitlines():
        yield out(line)
    return code
