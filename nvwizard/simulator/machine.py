"""`SimulatedMachine`: the machine behind a bundle or demo host. Its files are the bundle's with
its changes on top; commands go to commands.py's handlers; its state (state.py) is its own.

The handlers (commands.py, boot.py and what they import, ~30 ms) load on the first command or
reboot: building a demo host, and detection on it, only read files.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from nvwizard.host.apt_show_query import apt_show_answer
from nvwizard.host.base import RunningCommand
from nvwizard.host.bundle import read_bundle_file, read_bundle_os_release
from nvwizard.simulator.script import FAIL_ENV, Invocation, Script, SimulatedCommand, demo_speed
from nvwizard.simulator.stack_files import cuda_sample
from nvwizard.simulator.state import BootResult, MachineState, StateFile

APT_LISTING = "apt-cache-show.txt"


class SimulatedMachine:
    """Answers a bundle or demo host's reads and commands; never runs a real command.

    `bundle` is the bundle's folder, read as captured; `state` is everything the machine
    changed since (a fresh one: the bundle as it is). With `saved_to`, the state is written
    there after every command that changed it, so a later process can load it and go on where
    this one stopped.
    """

    def __init__(
        self,
        bundle: Path,
        state: MachineState | None = None,
        saved_to: StateFile | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ):
        self.bundle = Path(bundle)
        self._os_release: Mapping[str, str] | None = None
        self.state = state if state is not None else MachineState()
        self.saved_to = saved_to
        self._sleep = sleep
        self._saved_text = self._text()  # as loaded (or as the bundle is): nothing to save yet
        self._boots_before = len(self.state.boots)

    # -- the machine's files --

    def read(self, source: str) -> str | None:
        """A source as the machine's commands show it now. Only `apt-cache show` differs from
        the stored file: it answers the query a real host runs (host/apt_show_query.py), while
        the stored listing is all the simulated apt knows."""
        if source == APT_LISTING:
            listing = self.stored(APT_LISTING)
            kernel = (self.stored("uname-r.txt") or "").strip()
            return None if listing is None else apt_show_answer(listing, kernel)
        return self.stored(source)

    def stored(self, source: str) -> str | None:
        """A source as stored now: changed by the simulation, else the bundle's."""
        files = self.state.files
        if source in files:
            return files[source]
        if source == "cuda-sample.txt":  # a program's run, answered from the machine's state
            return cuda_sample(self)
        return read_bundle_file(self.bundle, source)

    def os_release(self) -> Mapping[str, str]:
        """The bundle's os-release fields, read by distro once (a simulation never changes
        them); empty when the bundle has none."""
        if self._os_release is None:
            self._os_release = read_bundle_os_release(self.bundle) or {}
        return self._os_release

    def write(self, source: str, text: str | None) -> None:
        """Replace what later reads of `source` return (None: the source is gone)."""
        self.state.files[source] = text

    def write_file(self, path: str, content: str, mode: int = 0o644) -> None:
        """A file a plan's step writes (an apt pin, a sources list): see repositories.py."""
        # lazy: repositories loads the package model, which detection on a demo never needs
        from nvwizard.simulator.repositories import write_file

        write_file(self, path, content)
        self.save()

    def save(self) -> None:
        """Write the state to `saved_to`, when there is one and the state changed since it was
        loaded or last saved (a read-only command, or one that changed nothing, writes nothing)."""
        if self.saved_to is None or not self.state.changed:
            return
        text = self._text()
        if text != self._saved_text:
            self.saved_to.save(self.state)
            self._saved_text = text

    def refuse_if_changed_elsewhere(self) -> None:
        """RefusedError (one line) when another process changed the saved machine since this
        one loaded it: checked under the apply lock before an apply, whose plan was made for
        the machine as loaded (see state.py's StateFile)."""
        if self.saved_to is not None:
            self.saved_to.refuse_if_changed_elsewhere()

    def _text(self) -> str:
        return json.dumps(self.state.to_json(), sort_keys=True)

    # -- commands --

    def start(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        purged: Collection[str] = (),
        unheld: Collection[str] = (),
    ) -> RunningCommand:
        """`purged`, `unheld`: an `apt-get -s` answers as if these packages were purged
        already, and those released from their hold."""
        settings = {**os.environ, **(env or {})}
        speed = demo_speed(settings)
        failing = settings.get(FAIL_ENV, "").strip()
        call = Invocation(
            self, [str(a) for a in argv], failing, speed, frozenset(purged), frozenset(unheld)
        )
        from nvwizard.simulator.commands import answer  # lazy: on first use, see the docstring

        return SimulatedCommand(answer(call), speed, self._sleep, ended=self.save)

    # -- reboots --

    def boot(self) -> BootResult:
        """Reboot the machine now, without the pause `reboot` takes."""
        from nvwizard.simulator.boot import boot  # lazy: on first use, see the docstring

        result = boot(self)
        self.save()
        return result

    def wait_for_scheduled_reboot(
        self, env: Mapping[str, str] | None = None, sleep: Callable[[float], object] | None = None
    ) -> bool:
        """Let the time of a scheduled `shutdown -r +N` pass (a few seconds per minute at
        demo speed 1), then boot. False when no reboot is scheduled any more. `sleep` replaces
        the machine's own for this wait (the wizard's can be cut short)."""
        from nvwizard.simulator.tools import wait_for_scheduled_reboot  # lazy: see the docstring

        settings = {**os.environ, **(env or {})}
        call = Invocation(self, ["shutdown", "-r"], "", demo_speed(settings))

        def script() -> Script:
            booted = yield from wait_for_scheduled_reboot(call)
            return 0 if booted else 1

        command = SimulatedCommand(script(), call.speed, sleep or self._sleep, ended=self.save)
        return command.wait() == 0

    def catch_up(self, now: float | None = None) -> BootResult | None:
        """The time that passed while no process simulated this machine: a scheduled reboot
        that has come due since has happened. Returns that boot, if there was one."""
        due = self.state.reboot_due_at
        if self.state.scheduled_reboot is None or due is None:
            return None
        if due > (time.time() if now is None else now):
            return None
        return self.boot()

    # -- what changed --

    def changes(self) -> str:
        """What differs from the bundle, in a few words: "20 packages removed, 9 installed,
        rebooted" ("changed" when no package did)."""
        from nvwizard.simulator.model import MachineModel  # lazy: only for a changed demo

        before = MachineModel(SimulatedMachine(self.bundle)).installed
        now = MachineModel(self).installed
        was = {n: p.version for n, p in before.items() if p.present}
        has = {n: p.version for n, p in now.items() if p.present}
        counts = (
            (len(was.keys() - has.keys()), "removed"),
            (len(has.keys() - was.keys()), "installed"),
            (sum(1 for n in was.keys() & has.keys() if was[n] != has[n]), "upgraded"),
        )
        words = [f"{count} {verb}" for count, verb in counts if count]
        if words:
            words[0] = words[0].replace(
                " ", " package " if words[0].startswith("1 ") else " packages ", 1
            )
        boots = len(self.state.boots)
        if boots:
            words.append("rebooted" if boots == 1 else f"rebooted {boots} times")
        if self.state.scheduled_reboot is not None:
            words.append("a reboot scheduled")
        return ", ".join(words) or "changed"

    @property
    def scheduled_reboot(self) -> str | None:
        """ "+1", "23:30": the reboot `shutdown` scheduled, None when none is."""
        return self.state.scheduled_reboot

    @property
    def booted_at(self) -> float | None:
        """When the machine last booted (time.time()); None: not since it was its bundle."""
        return self.state.boots[-1].at if self.state.boots else None

    @property
    def last_boot(self) -> BootResult | None:
        """What the last reboot brought up since this object was made (None: no reboot)."""
        boots = self.state.boots
        return boots[-1] if len(boots) > self._boots_before else None
