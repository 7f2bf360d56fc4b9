"""Which machine a command looks at: --machine DIR, --demo [NAME], or this one.

For a bundle or a demo this is where its simulated machine is built and handed to its
`BundleHost` (host never imports the simulator). One simulated machine per host: every command
a front end runs on it (plan, simulate, apply, reboot, verify) sees the same machine.

A demo machine lives on between nvwizard processes when a state directory is set
(NVWIZARD_STATE_DIR): its state is saved in `<state dir>/demo-machines/<name>.json` after each
command that changed it, and the next `--demo NAME` goes on from there; a reboot scheduled
meanwhile has happened once its time (at the demo's pace) has passed. Its label then says so:
"demo hgx-h100 (after your changes: ...)". Deleting that file resets the demo to its bundle.
Without a state directory each process starts from the bundle and saves nothing. A `--machine`
bundle is never saved: it is someone's capture, replayed as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

from nvwizard.errors import UsageError, shown
from nvwizard.host import file_lock
from nvwizard.host.base import Host
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import DEMO_LABEL, default_demo_name, find_demo
from nvwizard.host.record_files import UnusableFile, open_regular
from nvwizard.host.sources import SOURCE_NAMES
from nvwizard.simulator.machine import SimulatedMachine
from nvwizard.simulator.state import StateFile

STATE_DIR_ENV = "NVWIZARD_STATE_DIR"
DEMO_STATE_FOLDER = "demo-machines"


def host_from_args(machine: str | None, demo: str | None) -> Host:
    """A host for the parsed --machine/--demo options. `demo` is "" for a bare `--demo`."""
    if machine is not None:
        return bundle_host(bundle_folder(machine))
    if demo is not None:
        return demo_host(demo or None)
    from nvwizard.host.local import LocalHost  # lazy: psutil and friends, this machine only

    return LocalHost()


def demo_host(name: str | None = None, state_dir: str | Path | None = None) -> BundleHost:
    """The demo machine `name` (None or "": the default) with its simulated machine.

    `state_dir` (default: NVWIZARD_STATE_DIR when set) is where the machine is saved and
    loaded from; without one it starts from the bundle and is not saved."""
    demo = find_demo(name or default_demo_name())
    if state_dir is None and os.environ.get(STATE_DIR_ENV):
        state_dir = os.environ[STATE_DIR_ENV]
    saved_to = demo_state_file(demo.name, state_dir) if state_dir is not None else None
    machine = SimulatedMachine(
        demo.path,
        state=saved_to.load() if saved_to is not None else None,
        saved_to=saved_to,
    )
    machine.catch_up()
    label = demo_label(demo.name, machine)
    saved_in = str(saved_to.path) if saved_to is not None else None
    return BundleHost(demo.path, kind="demo", label=label, simulator=machine, saved_in=saved_in)


def demo_label(name: str, machine: SimulatedMachine) -> str:
    """The host label of the demo machine `name` as `machine` is now: "demo hgx-h100", or
    once it changed "demo hgx-h100 (after your changes: 9 packages installed, rebooted)". The
    wizard asks again after its own simulated reboot, as the next command would."""
    label = f"{DEMO_LABEL}{name}"
    if machine.state.changed:
        label += f" (after your changes: {machine.changes()})"
    return label


def demo_state_file(name: str, state_dir: str | Path) -> StateFile:
    """Where the demo machine `name` is saved in `state_dir`: written under that directory's
    apply lock, so an apply there and any other change to the machine never overlap."""
    state_dir = Path(state_dir)
    return StateFile(
        state_dir / DEMO_STATE_FOLDER / f"{name}.json", lock=state_dir / file_lock.APPLY_LOCK
    )


def bundle_host(path: str | Path) -> BundleHost:
    """The capture bundle in `path` with its simulated machine (for this process only)."""
    path = Path(path)
    machine = SimulatedMachine(path)
    return BundleHost(path, simulator=machine)


def bundle_folder(machine: str) -> Path:
    """The folder `--machine` names, once it is sure to hold a readable bundle."""
    path = Path(machine)
    said = shown(machine)  # the folder as typed, which may be of any length
    try:
        if not path.exists():
            raise UsageError(f"--machine {said}: no such directory")
        if not path.is_dir():
            raise UsageError(f"--machine {said}: not a directory (give the bundle's folder)")
        names = set(os.listdir(path))
    except OSError as error:
        raise UsageError(f"--machine {said}: cannot read it ({error.strerror})") from None
    present = sorted((names & SOURCE_NAMES) - {"machine.txt"})
    unreadable = {name: why for name in present if (why := _unreadable(path / name))}
    if not present:
        raise UsageError(
            f"--machine {said}: no bundle files in it "
            "(expected e.g. lspci-nn.txt, dpkg-l.txt, nvidia-smi.txt; see `nvwizard capture`)"
        )
    if len(unreadable) == len(present):
        some = ", ".join(f"{name}: {why}" for name, why in list(unreadable.items())[:3])
        more = f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
        raise UsageError(f"--machine {said}: its bundle files cannot be read ({some}{more})")
    return path


def _unreadable(file: Path) -> str | None:
    """Why `file` cannot be read, or None when it can: a FIFO or device is never opened (a
    FIFO would wait forever), also when it takes the file's place meanwhile (record_files)."""
    if not file.is_file():
        return "not a regular file"
    try:
        with open_regular(file) as stream:
            stream.read(1)
    except UnusableFile:
        return "not a regular file"
    except OSError as error:
        return error.strerror or str(error)
    return None
