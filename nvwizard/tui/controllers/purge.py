"""Purge: the exact packages to remove, what is kept and why, and what else would go."""

from __future__ import annotations

from dataclasses import dataclass, replace

from nvwizard.errors import NvwizardError
from nvwizard.knowledge.packages import keep_reason, left_to_autoremove
from nvwizard.knowledge.secure_boot import import_certificate
from nvwizard.tui.controllers.choices import refined_choices, unticked, without_the_purge
from nvwizard.tui.controllers.lines import DANGER, Line
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend

SHOWN_PROCESSES = 4  # the rest are counted; the Detect findings name them all
CONFIG_ONLY = "removed already: only its config files are left"  # dpkg's rc


@dataclass(frozen=True)
class PurgeRow:
    name: str
    version: str | None
    ticked: bool
    keep_reason: str | None  # set for packages a purge keeps by default, and why (or why not)


class PurgeController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend
        # what `apt-get autoremove` also removes after a purge of these ticks, once simulated
        self._extras: tuple[frozenset[str], list[str]] = (frozenset(), [])
        self._plan_purge()

    def _plan_purge(self) -> None:
        """Once per detection: the plan layer's purge and kept lists for the driver chosen so
        far (the recommended one at first), so that what this screen counts, ticks and keeps
        is what the plan purges (another branch's fabric manager, say, which the new branch
        replaces). Without a plan (no driver to install) Detect's split stays."""
        state = self.state
        choices = refined_choices(state, self.backend)
        if state.purge_planned or choices is None:
            return
        chosen = replace(choices, driver=state.driver or choices.driver)
        try:
            purge, kept = self.backend.planned_purge(state.detected, chosen)
            # the plan layer's one decision (settle): the planned driver is the one that runs
            probe = self.backend.build_plan(state.detected, without_the_purge(chosen))
        except NvwizardError:  # no plan for this driver: the Install screen says why
            return
        state.proposed_purge, state.proposed_keep = purge, kept
        state.ticked = set(purge)
        state.purge_planned = True
        state.runs_planned_driver = probe.keeps_driver or probe.nothing_to_do
        state.kept_driver_key = probe.mok_certificate if state.runs_planned_driver else None
        if state.runs_planned_driver and not state.reinstall:
            state.purge = False  # kept unless the Purge button asks for the reinstall

    def rows(self) -> list[PurgeRow]:
        installed = self.state.detected.installed_packages
        versions = {p.name: p.version for p in installed}
        config_only = {p.name for p in installed if p.state == "rc"}
        rows = [
            PurgeRow(
                name,
                versions.get(name),
                name in self.state.ticked,
                CONFIG_ONLY if name in config_only else keep_reason(name),
            )
            for name in self.state.proposed_purge
        ]
        rows += [
            PurgeRow(k.name, versions.get(k.name), k.name in self.state.ticked, k.reason)
            for k in self.state.proposed_keep
        ]
        return rows

    def intro(self) -> str:
        if self.keeps_running_driver:
            driver = self.state.driver or (self.state.choices and self.state.choices.driver)
            if self.state.kept_driver_key is not None:  # installed, its module rejected
                state = (
                    f"{driver} is installed, but Secure Boot rejects the module DKMS built "
                    f"until its key is enrolled (`{import_certificate(self.state.kept_driver_key)}`"
                    ", then MOK Manager at the next boot); a reinstall builds the same module: "
                    "kept as it is"
                )
            else:
                state = f"{driver} runs (installed and loaded): kept as it is"
            return (
                f"{state}, nothing purged and no reboot; Install adds only what Stack asks. "
                "The ticks below apply only if you purge to reinstall it or to change the "
                "driver."
            )
        gone = self.autoremoved()
        kept = [name for name in self._unticked() if name not in gone]
        text = f"Purge {self.ticked_count} of the installed NVIDIA packages (Space toggles)."
        if kept:
            text += f" Kept unless ticked: {', '.join(kept)}."
        return text

    def set_ticked(self, names: set[str]) -> None:
        known = set(self.state.proposed_purge) | {k.name for k in self.state.proposed_keep}
        self.state.ticked = names & known

    def _unticked(self) -> list[str]:
        return unticked(self.state)

    def autoremoved(self) -> set[str]:
        """The unticked packages that go all the same: autoremove takes them, as only ticked
        packages need them (the container toolkit's libraries, when it is ticked). apt's answer
        once simulated for these ticks; until then, the known dependencies."""
        ticks, extras = self._extras
        if ticks == self.state.ticked:
            return set(extras).intersection(self._unticked())
        return set(left_to_autoremove(self.state.ticked, self._unticked()))

    def autoremove_extras(self) -> tuple[frozenset[str], list[str]]:
        """Runs in a worker: what `apt-get autoremove` would also remove after this purge,
        with the ticks it was asked for (they may have changed since)."""
        state = self.state
        ticked = frozenset(state.ticked)
        return ticked, self.backend.autoremove_extras(state.host, state.detected, sorted(ticked))

    def simulated(self, ticked: frozenset[str], extras: list[str]) -> None:
        """The autoremove simulation's answer for `ticked` (kept while they stay ticked)."""
        self._extras = (ticked, extras)

    def gpu_processes(self) -> list[Line]:
        processes = self.state.detected.gpu_jobs  # NVIDIA's GPU services are not jobs
        if not processes:
            return []
        lines = [Line(f"! {len(processes)} process(es) use the GPU and will die:", DANGER)]
        shown = processes[:SHOWN_PROCESSES]
        lines.append(
            Line(
                "  " + ", ".join(f"{p.name} (pid {p.pid}, {p.user or '?'})" for p in shown), DANGER
            )
        )
        if len(processes) > len(shown):
            lines.append(Line(f"  ... and {len(processes) - len(shown)} more", DANGER))
        return lines

    @property
    def keep_label(self) -> str:
        if self.keeps_running_driver and self.state.kept_driver_key is None:
            return "Keep the running driver"
        return "Keep the installed driver"

    @property
    def keeps_running_driver(self) -> bool:
        """The driver planned so far is the one that runs: the plan keeps it, unless the
        Purge button asks for the purge (then Install reinstalls it)."""
        return self.state.runs_planned_driver

    def confirm(self) -> None:
        """Purge: with the running driver planned, an explicit ask for its reinstall (the
        Install screen shows it, and r there keeps the driver instead)."""
        self.state.purge = True
        self.state.reinstall = self.state.runs_planned_driver

    def decline(self) -> None:
        """Keep the installed driver: the install goes on top of it (nothing to install
        when it is the planned driver and runs: then only the stack is added)."""
        self.state.purge = False
        self.state.reinstall = False

    @property
    def ticked_count(self) -> int:
        return len(self.state.ticked)
