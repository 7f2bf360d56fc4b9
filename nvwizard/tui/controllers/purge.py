"""Purge: the exact packages to remove, what is kept and why, and what else would go."""

from __future__ import annotations

from dataclasses import dataclass

from nvwizard.tui.controllers.lines import DANGER, Line
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend

SHOWN_PROCESSES = 4  # the rest are counted; the Detect findings name them all


@dataclass(frozen=True)
class PurgeRow:
    name: str
    version: str | None
    ticked: bool
    keep_reason: str | None  # set for packages kept unless the user opts in


class PurgeController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend

    def rows(self) -> list[PurgeRow]:
        versions = {p.name: p.version for p in self.state.detected.installed_packages}
        rows = [
            PurgeRow(name, versions.get(name), name in self.state.ticked, None)
            for name in self.state.proposed_purge
        ]
        rows += [
            PurgeRow(k.name, versions.get(k.name), k.name in self.state.ticked, k.reason)
            for k in self.state.proposed_keep
        ]
        return rows

    def intro(self) -> str:
        kept = [k.name for k in self.state.proposed_keep]
        text = f"Purge {self.ticked_count} of the installed NVIDIA packages (Space toggles)."
        if kept:
            text += f" Kept unless ticked: {', '.join(kept)}."
        return text

    def set_ticked(self, names: set[str]) -> None:
        known = set(self.state.proposed_purge) | {k.name for k in self.state.proposed_keep}
        self.state.ticked = names & known

    def autoremove_extras(self) -> list[str]:
        """Runs in a worker: what `apt-get autoremove` would also remove after this purge."""
        state = self.state
        return self.backend.autoremove_extras(state.host, state.detected, sorted(state.ticked))

    def gpu_processes(self) -> list[Line]:
        processes = self.state.detected.gpu_processes
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

    def confirm(self) -> None:
        self.state.purge = True

    def decline(self) -> None:
        """Keep the installed driver: the install goes on top of it."""
        self.state.purge = False

    @property
    def ticked_count(self) -> int:
        return len(self.state.ticked)
