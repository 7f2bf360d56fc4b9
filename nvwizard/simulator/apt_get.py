"""`apt-get` (and `apt`): update; install, purge, remove, autoremove, autopurge.

With `-s` it prints apt's summary and `Inst`/`Conf`/`Remv`/`Purg` lines and changes nothing.
Otherwise it waits for (or fails on) a held dpkg lock, prints the summary, downloads, and has
dpkg_actions.py remove, unpack and configure each package, then saves the model. With
`-o APT::Status-Fd=N`, `dlstatus:`/`pmstatus:` lines go to the "status" stream.
"""

from __future__ import annotations

from collections.abc import Sequence

from nvwizard.simulator import held
from nvwizard.simulator.apt_options import AptRequest, parse_apt_argv
from nvwizard.simulator.boot import rewrite_nvidia_smi, touches_nvidia_smi, write_module_on_disk
from nvwizard.simulator.dpkg_actions import (
    configure_packages,
    errors_summary,
    remove_package,
    run_triggers,
    unpack_package,
)
from nvwizard.simulator.kernel_modules import touches_kernel_modules
from nvwizard.simulator.model import MachineModel
from nvwizard.simulator.output import size_to_str, wrapped
from nvwizard.simulator.progress import Progress
from nvwizard.simulator.repositories import nvidia_repository_url, refresh_offers
from nvwizard.simulator.resolver import Resolver, Transaction
from nvwizard.simulator.script import (
    PACE,
    Invocation,
    Lines,
    Pause,
    Script,
    err,
    out,
    status,
)

LOCK_RELEASED_AFTER_S = 4  # a simulated lock holder (unattended-upgrades) finishes after this
READING_DATABASE_BASE = 187_000  # "(Reading database ... N files and directories ...)"

_CHANGING_COMMANDS = ("install", "purge", "remove", "autoremove", "autopurge")


def apt_get(call: Invocation, args: Sequence[str]) -> Script:
    request = parse_apt_argv(args)
    if isinstance(request, str):
        yield err(request)
        return 100
    model = MachineModel(call.machine)
    if call.purged:
        if not request.simulate:
            yield err("E: only a simulation (-s) can assume packages purged")
            return 100
        model.forget(call.purged)
    if call.unheld:
        if not request.simulate:
            yield err("E: only a simulation (-s) can assume holds released")
            return 100
        model.release_holds(call.unheld)
    if request.command == "update":
        return (yield from _update(model))
    if request.command not in _CHANGING_COMMANDS:
        yield err(f"E: Invalid operation {request.command}")
        return 100
    if not request.simulate:
        if model.interrupted():
            yield err(
                "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to "
                "correct the problem. "
            )
            return 100
        locked = yield from _wait_for_lock(model, request.lock_timeout)
        if not locked:
            return 100
    yield out("Reading package lists...")
    yield Pause(PACE["read-lists"])
    yield out("Building dependency tree...")
    yield out("Reading state information...")
    resolver = Resolver(model)
    tx = _resolve(resolver, request)
    if tx.errors:
        for line in tx.errors:
            yield err(line)
        return 100
    for note in tx.notes:
        yield out(note)
    in_the_way = held.held_in_the_way(model, tx)
    if tx.unmet or in_the_way:
        tx.unmet += held.breaks_lines(model, tx, in_the_way)
        yield from _unmet(tx, held.BREAKS if in_the_way else None)
        return 100
    if request.command not in ("autoremove", "autopurge"):
        tx.no_longer_required = [n for n in resolver.autoremovable(tx.remove) if n not in tx.remove]
    named = held.held_named(model, tx)
    yield from _summary(model, tx, request, named)
    if named and "allow-held" not in request.flags and not request.simulate:
        yield err(held.HELD_CHANGED)
        return 100
    if request.simulate:
        yield from _simulation_lines(model, tx)
        return 0
    if not (tx.install or tx.remove or model.unfinished()):
        return 0
    more_than_asked = tx.remove or any(n not in tx.requested for n in tx.install)
    if more_than_asked and "yes" not in request.flags:
        yield out("Do you want to continue? [Y/n] Abort.")
        return 1
    return (yield from _apply(call, model, tx, request))


def _resolve(resolver: Resolver, request: AptRequest) -> Transaction:
    """The transaction a changing command asks for (errors in it when it cannot)."""
    command = request.command
    if command == "install":
        return resolver.install(request.packages, recommends="no-recommends" not in request.flags)
    if command in ("purge", "remove"):
        # `remove --purge` purges what it removes; only `purge` also takes packages of which
        # nothing but config files is left
        tx = resolver.remove(request.packages, purge=command == "purge")
        tx.purge = command == "purge" or "purge" in request.flags
        if "autoremove" in request.flags:
            tx.remove = sorted(set(tx.remove) | set(resolver.autoremovable(tx.remove)))
        return tx
    tx = Transaction(purge=command == "autopurge" or "purge" in request.flags)
    for name in request.packages:
        if not resolver.known(name):
            tx.errors.append(f"E: Unable to locate package {name}")
    tx.remove = resolver.autoremovable()
    return tx


def _release_files(model: MachineModel) -> list[tuple[str, str]]:
    """(archive URL, suite) of each InRelease apt fetches, in the order the sources first name
    them: one per archive and suite, however many lines (components, deb-src) name it."""
    wanted = [(s.uri_key.replace("$(ARCH)", "amd64"), s.suite) for s in model.sources]
    return list(dict.fromkeys(wanted)) or [model.archive()]


def _update(model: MachineModel) -> Script:
    for number, (url, suite) in enumerate(_release_files(model), start=1):
        yield Pause(PACE["update-source"])
        # a flat repository (suite "/", NVIDIA's) is printed without a suite, as apt does
        yield out(
            f"Hit:{number} {url}  InRelease"
            if suite == "/"
            else f"Hit:{number} {url} {suite} InRelease"
        )
    yield out("Reading package lists...")
    yield Pause(PACE["read-lists"])
    refresh_offers(model.machine, model.os.get("ID"), model.os.get("VERSION_ID"))
    return 0


def _wait_for_lock(model: MachineModel, timeout: int) -> Lines[bool]:
    """Wait for the frontend lock's holder, as `-o DPkg::Lock::Timeout` does; False: gave up.

    The simulated holder finishes after LOCK_RELEASED_AFTER_S seconds and stays finished."""
    holder = model.frontend_lock_holder()
    if holder is None:
        return True
    held = (
        f"Could not get lock {holder.lock_path}. It is held by process {holder.pid} ({holder.name})"
    )
    gave_up = (
        f"E: Unable to acquire the dpkg frontend lock ({holder.lock_path}), is another "
        "process using it?"
    )
    if timeout <= 0:
        yield err(f"E: {held}")
        yield err(gave_up)
        return False
    for _ in range(min(timeout, LOCK_RELEASED_AFTER_S)):
        yield Pause(PACE["lock-wait"])
        yield out(f"Waiting for cache lock: {held}...")
    if timeout < LOCK_RELEASED_AFTER_S:
        yield err(gave_up)
        return False
    model.state.lock_released = True
    model.write_back("dpkg-lock.txt", "")
    return True


def _unmet(tx: Transaction, error: str | None = None) -> Lines[None]:
    """apt's report of dependencies it cannot satisfy, and its error (`error`: another one
    than "held broken packages", such as the resolver's breaks over a held package)."""
    yield out("Some packages could not be installed. This may mean that you have")
    yield out("requested an impossible situation or if you are using the unstable")
    yield out("distribution that some required packages have not yet been created")
    yield out("or been moved out of Incoming.")
    yield out("The following information may help to resolve the situation:")
    yield out("")
    yield out("The following packages have unmet dependencies:")
    for line in tx.unmet:
        yield out(line)
    yield err(error or "E: Unable to correct problems, you have held broken packages.")


def _package_list(heading: str, names: list[str]) -> Lines[None]:
    yield out(heading)
    for line in wrapped(names):
        yield out(line)


def _summary(
    model: MachineModel, tx: Transaction, request: AptRequest, held: list[str]
) -> Lines[None]:
    """apt's lists of what changes, the counts, and (when applying) download and disk sizes."""
    if tx.no_longer_required:
        many = len(tx.no_longer_required) > 1
        yield from _package_list(
            "The following packages were automatically installed and are no longer required:"
            if many
            else "The following package was automatically installed and is no longer required:",
            tx.no_longer_required,
        )
        yield out(f"Use 'apt autoremove' to remove {'them' if many else 'it'}.")
    new = [n for n in tx.install if n not in model.installed or not model.installed[n].present]
    upgraded = [n for n in tx.install if n not in new]
    additional = sorted(n for n in tx.install if n not in tx.requested)
    if additional:
        yield from _package_list("The following additional packages will be installed:", additional)
    if tx.remove:
        mark = "*" if tx.purge else ""
        yield from _package_list(
            "The following packages will be REMOVED:", [f"{n}{mark}" for n in tx.remove]
        )
    if new:
        yield from _package_list("The following NEW packages will be installed:", sorted(new))
    if upgraded:
        yield from _package_list("The following packages will be upgraded:", sorted(upgraded))
    if held:
        yield from _package_list("The following held packages will be changed:", held)
    unfinished = model.unfinished()
    yield out(
        f"{len(upgraded)} upgraded, {len(new)} newly installed, {len(tx.remove)} to remove "
        "and 0 not upgraded."
    )
    if unfinished:
        yield out(f"{len(unfinished)} not fully installed or removed.")
    if request.simulate or not (tx.install or tx.remove or unfinished):
        return
    download = sum(model.offers[n].size for n in tx.install)
    if tx.install:
        yield out(f"Need to get {size_to_str(download)} of archives.")
    added = sum(model.offers[n].installed_kib for n in tx.install) * 1000
    freed = sum(model.offers[n].installed_kib for n in tx.remove if n in model.offers) * 1000
    if added >= freed:
        yield out(
            f"After this operation, {size_to_str(added - freed)} of additional disk "
            "space will be used."
        )
    else:
        yield out(f"After this operation, {size_to_str(freed - added)} disk space will be freed.")


def _simulation_lines(model: MachineModel, tx: Transaction) -> Lines[None]:
    """apt-get -s: `Remv`/`Purg`, then `Inst` and `Conf` lines in dependency order."""
    release = model.release()
    for name in tx.remove:
        version = model.installed[name].version
        yield out(f"{'Purg' if tx.purge else 'Remv'} {name} [{version}]")
    for name in tx.install:
        offer = model.offers[name]
        old = model.installed.get(name)
        was = f" [{old.version}]" if old and old.present else ""
        where = "NVIDIA" if offer.origin == "NVIDIA" else release
        yield out(f"Inst {name}{was} ({offer.version} {where} [{offer.arch}])")
    for name in tx.install:
        offer = model.offers[name]
        where = "NVIDIA" if offer.origin == "NVIDIA" else release
        yield out(f"Conf {name} ({offer.version} {where} [{offer.arch}])")


def _apply(call: Invocation, model: MachineModel, tx: Transaction, request: AptRequest) -> Script:
    """Download, remove, unpack, configure, run the triggers; save the model."""
    progress = Progress.for_transaction(request.status_fd, len(tx.remove), len(tx.install))
    # packages that stay or become automatically installed unless named on the command line
    auto_unless_requested = {n for n in tx.install if n not in model.installed or n in model.auto}
    if tx.install:
        yield from _download(model, tx, request)
    if request.status_fd:
        yield status(f"pmstatus:dpkg-exec:{progress.percent():.4f}:Running dpkg")
    if tx.remove or tx.install:
        yield out("(Reading database ... ")
        yield out(
            f"(Reading database ... {READING_DATABASE_BASE + 37 * len(model.installed)} "
            "files and directories currently installed.)"
        )
    for name in tx.remove:
        yield from remove_package(model, name, tx.purge, progress)
    for name in tx.install:
        yield from unpack_package(model, name, progress)
    for name in tx.remove:
        model.auto.discard(name)
    for name in tx.install:
        if name in tx.requested:
            model.auto.discard(name)
        elif name in auto_unless_requested:
            model.auto.add(name)
    to_configure = [n for n in model.unfinished() if n not in tx.install] + list(tx.install)
    failed = yield from configure_packages(model, to_configure, progress, call.failing_package)
    yield from run_triggers(model, [*tx.install, *tx.remove], to_configure)
    yield from errors_summary(failed)
    model.save()
    if touches_kernel_modules([*tx.install, *tx.remove]):
        model.mark_reboot_required([n for n in tx.install if touches_kernel_modules([n])])
        write_module_on_disk(model)
    if touches_nvidia_smi([*tx.install, *tx.remove]):
        rewrite_nvidia_smi(call.machine, model)
    if failed:
        yield err("E: Sub-process /usr/bin/dpkg returned an error code (1)")
        return 100
    return 0


def _download(model: MachineModel, tx: Transaction, request: AptRequest) -> Lines[None]:
    """apt's `Get:N URI SUITE/COMPONENT INDEX-ARCH PACKAGE ARCH VERSION [SIZE]` lines (a flat
    repository's: `Get:N URI  PACKAGE VERSION [SIZE]`), each package from its own suite."""
    index_arch = model.machine.read("dpkg-architecture.txt") or "amd64"
    total = len(tx.install)
    for number, name in enumerate(tx.install, start=1):
        offer = model.offers[name]
        component = offer.section.split("/")[0] if "/" in offer.section else "main"
        if request.status_fd:
            pct = (number - 1) / total * 100
            yield status(f"dlstatus:{number}:{pct:.4f}:Retrieving file {number} of {total}")
        yield Pause(PACE["get"])
        flat = nvidia_repository_url(model.sources, name) if offer.origin == "NVIDIA" else None
        if flat:
            where = f"{flat}  {name}"
        else:
            url, suite = model.download_from(offer)
            where = f"{url} {suite}/{component} {index_arch.strip()} {name} {offer.arch}"
        yield out(f"Get:{number} {where} {offer.version} [{size_to_str(offer.size)}]")
    if request.status_fd:
        yield status(f"dlstatus:{total}:100.0000:Retrieving file {total} of {total}")
    download = sum(model.offers[n].size for n in tx.install)
    seconds = max(1, round(total * PACE["get"]))
    yield out(
        f"Fetched {size_to_str(download)} in {seconds}s ({size_to_str(download / seconds)}/s)"
    )
