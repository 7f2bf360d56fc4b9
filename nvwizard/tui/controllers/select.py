"""Select: the candidate drivers, why each fits or not, and headless or desktop."""

from __future__ import annotations

from dataclasses import replace

from nvwizard.detect.debversion import upstream_part
from nvwizard.report.lifecycle import end_of_life_cell
from nvwizard.report.models import DriverCandidate
from nvwizard.tui.controllers.lines import DANGER, HEADING, WARN, Line
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend

_SEVERITY_TONE = {"info": HEADING, "warn": WARN, "block": DANGER}
HEADER = ("", "Driver", "Module", "Kind", "Support", "EOL", "CUDA")
VERSION_COLUMN = 2  # where the Version column goes, when it is shown (`shows_versions`)
HEADLESS_QUESTION = (
    "Does this machine run a desktop? Nothing detected shows it either way, so a headless "
    "server is assumed. If it has one: Tab to the box below, Space to untick it."
)


class SelectController:
    def __init__(self, state: WizardState, backend: WizardBackend) -> None:
        self.state = state
        self.backend = backend

    def candidates(self) -> list[DriverCandidate]:
        return list(self.state.detected.driver_candidates)

    def shows_versions(self) -> bool:
        """The Version column (what apt would install), where builds of one branch differ in
        version (Debian's bookworm: nvidia-driver 535.309.01, nvidia-tesla-535-driver
        535.216.03), so the version decides; elsewhere a branch's builds share one version, the
        explanation below says it, and the table keeps to 80 columns."""
        versions: dict[int, set[str]] = {}
        for c in self.candidates():
            if c.version and c.runnable:
                versions.setdefault(c.branch, set()).add(upstream_part(c.version))
        return any(len(found) > 1 for found in versions.values())

    def header(self) -> tuple[str, ...]:
        if not self.shows_versions():
            return HEADER
        return (*HEADER[:VERSION_COLUMN], "Version", *HEADER[VERSION_COLUMN:])

    def cells(self, candidate: DriverCandidate) -> tuple[str, ...]:
        mark = "★" if candidate.recommended else ("✗" if not candidate.runnable else "")
        found = (
            mark,
            candidate.flavour,
            "open" if candidate.open else "proprietary",
            "server" if candidate.server else "desktop",
            candidate.support or "-",
            end_of_life_cell(candidate),
            candidate.cuda or "-",
        )
        if not self.shows_versions():
            return found
        version = upstream_part(candidate.version) if candidate.version else "-"
        return (*found[:VERSION_COLUMN], version, *found[VERSION_COLUMN:])

    def explain(self, candidate: DriverCandidate) -> list[Line]:
        lines: list[Line] = []
        for paragraph in self.backend.explain(candidate, self.state.detected):
            if lines:
                lines.append(Line(""))
            lines.append(Line(paragraph.title, _SEVERITY_TONE.get(paragraph.severity, HEADING)))
            lines.append(Line(paragraph.text))
        return lines

    def highlighted_index(self) -> int:
        """Start on the current choice, else the recommended driver."""
        for index, candidate in enumerate(self.candidates()):
            if candidate.package == self.state.driver:
                return index
        return 0

    def recommended_index(self) -> int:
        for index, candidate in enumerate(self.candidates()):
            if candidate.recommended:
                return index
        return 0

    def choose(self, candidate: DriverCandidate) -> str | None:
        """Record the choice; returns why it is refused, or None."""
        if not candidate.runnable:
            return f"{candidate.flavour} cannot run here: {candidate.reason or 'unknown reason'}"
        self.state.driver = candidate.package
        self.state.plan = None
        return None

    def headless_question(self) -> str | None:
        """The question to ask when detection found no evidence either way, else None."""
        return HEADLESS_QUESTION if self.state.detected.headless is None else None

    def set_headless(self, headless: bool) -> bool:
        """Record the answer and rank the drivers for it (the desktop ranking for a desktop,
        the server ranking headless). True when that moved the recommendation; then the
        choice moves with it where it was the recommended driver."""
        state = self.state
        before = state.detected.recommended_driver
        state.headless = headless
        state.plan = None
        state.report = self.backend.ranked(state.host, headless)
        after = state.report.recommended_driver
        if state.choices is not None:  # persistenced follows the answer, as on the CLI
            persistenced = self.backend.default_choices(state.report).persistenced
            state.choices = replace(state.choices, persistenced=persistenced)
        if after == before:
            return False
        if state.driver == before:
            state.driver = after
        return True
