"""Select: the candidate drivers, why each fits or not, and headless or desktop."""

from __future__ import annotations

from dataclasses import dataclass, replace

from nvwizard.detect.debversion import upstream_part
from nvwizard.report.lifecycle import end_of_life_cell
from nvwizard.report.models import DriverCandidate
from nvwizard.tui.controllers.lines import DANGER, HEADING, WARN, Line
from nvwizard.tui.state import WizardState
from nvwizard.tui.types import WizardBackend

_SEVERITY_TONE = {"info": HEADING, "warn": WARN, "block": DANGER}
HEADER = ("", "Driver", "Module", "Kind", "Support", "EOL", "CUDA")
VERSION_COLUMN = 2  # where the Version column goes, when it is shown (`shows_versions`)
# the table's rows at most, header included (#drivers' max-height in the stylesheet): more
# rows bring a vertical scrollbar, as wide as SCROLLBAR
TABLE_MAX_HEIGHT = 10
SCROLLBAR = 2
CELL_PADDING = 1  # DataTable's on each side of a cell
HEADLESS_QUESTION = (
    "Does this machine run a desktop? Nothing detected shows it either way, so a headless "
    "server is assumed. If it has one: Tab to the box below, Space to untick it."
)


@dataclass(frozen=True)
class DriverTable:
    """What the Select screen's table shows: its header, a row of cells per driver (a cell of
    two lines holds a newline), and each row's height."""

    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    row_height: int = 1

    def width(self) -> int:
        """The columns it takes on the terminal, cell padding and vertical scrollbar included."""
        columns = list(zip(self.header, *self.rows, strict=True))
        text = sum(
            max(len(line) for cell in column for line in cell.split("\n")) for column in columns
        )
        scrollbar = SCROLLBAR if 1 + len(self.rows) * self.row_height > TABLE_MAX_HEIGHT else 0
        return text + 2 * CELL_PADDING * len(self.header) + scrollbar


def _two_lines(cells: tuple[str, ...], versions: bool) -> tuple[str, ...]:
    """A row's `cells` in two lines: the Version column's cell under the driver's (`versions`:
    the row has one), and "ended 2026-06" as "ended" over the date."""
    found = list(cells)
    if versions:
        found[1] = f"{found[1]}\n{found.pop(VERSION_COLUMN)}"
    eol = HEADER.index("EOL")
    found[eol] = found[eol].replace(" ", "\n", 1)
    return tuple(found)


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

    def table(self, width: int) -> DriverTable:
        """The driver table for a terminal `width` columns wide: a line per driver where that
        fits; else two lines per driver, the version under the driver's name (Debian's long
        names) and an ended branch's date under "ended", so nothing scrolls sideways and
        nothing is left out."""
        candidates = self.candidates()
        plain = DriverTable(self.header(), [self.cells(c) for c in candidates])
        if plain.width() <= width:
            return plain
        header = [*HEADER]
        if self.shows_versions():
            header[HEADER.index("Driver")] = "Driver, version"
        rows = [_two_lines(self.cells(c), self.shows_versions()) for c in candidates]
        return DriverTable(tuple(header), rows, row_height=2)

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
