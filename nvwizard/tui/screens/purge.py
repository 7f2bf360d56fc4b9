"""Screen 2, Purge: the exact packages to remove, each toggleable, confirmed explicitly."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, SelectionList

from nvwizard.tui import flow
from nvwizard.tui.controllers.lines import DIM, Line
from nvwizard.tui.controllers.purge import PurgeController
from nvwizard.tui.screens.base import WizardScreen
from nvwizard.tui.widgets.lines_view import LinesView
from nvwizard.tui.widgets.package_list import PackageList
from nvwizard.tui.widgets.plain_text import PlainText


class PurgeScreen(WizardScreen):
    STEP = flow.PURGE
    controller: PurgeController

    class ExtrasSimulated(Message):
        """What autoremove would also remove after a purge of `ticked`, or why that is
        unknown."""

        def __init__(
            self, ticked: frozenset[str], extras: list[str], error: Exception | None = None
        ) -> None:
            super().__init__()
            self.ticked = ticked
            self.extras = extras
            self.error = error

    def body(self) -> ComposeResult:
        yield PlainText("", id="intro")
        yield PackageList(self.controller.rows(), monochrome=self.app.no_color, id="packages")
        yield LinesView(id="extras")
        with Horizontal(id="actions"):
            yield Button("Purge", id="confirm", variant="error", compact=True)
            yield Button(self.controller.keep_label, id="decline", compact=True)

    def on_mount(self) -> None:
        packages = self.query_one(PackageList)
        packages.highlighted = 0
        packages.focus()
        # The autoremove simulation after the first frame: with thousands of packages it is
        # seconds' worth of a thread, which would delay the screen and its first key.
        self._update(simulate=False)
        self.call_after_refresh(self._simulate_extras)
        if self.controller.keeps_running_driver:
            keep = self.controller.keep_label
            self.hint(f"n/Enter moves to {keep}; the Purge button reinstalls.")
        else:
            self.hint("n/Enter moves to the Purge button; Enter on it confirms.")

    def on_screen_resume(self) -> None:
        """Back here from a later screen (b, or the Install screen's advice to tick a
        package): the list has the focus, so Down and Space work at once."""
        self.query_one(PackageList).focus()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        self.controller.set_ticked(set(event.selection_list.selected))
        self._update()

    def _update(self, simulate: bool = True) -> None:
        count = self.controller.ticked_count
        self._show_rows()
        confirm = self.query_one("#confirm", Button)
        confirm.label = f"Purge {count} package{'s' if count != 1 else ''}"
        if self.controller.keeps_running_driver:
            confirm.label = f"{confirm.label} and reinstall"
        confirm.disabled = count == 0
        self.query_one("#extras", LinesView).show(
            self.controller.gpu_processes() + [_line("autoremove: simulating…")]
        )
        if simulate:
            self._simulate_extras()

    def _show_rows(self) -> None:
        """The rows' PURGE/keep/auto and the intro, for the ticks and what autoremove takes."""
        autoremoved = self.controller.autoremoved()
        self.query_one(PackageList).show_marks(self.state.ticked, autoremoved)
        self.query_one("#intro", PlainText).update(self.controller.intro())

    @work(thread=True, exclusive=True, exit_on_error=False, group="extras")
    def _simulate_extras(self) -> None:
        ticked = frozenset(self.state.ticked)
        try:
            ticked, extras = self.controller.autoremove_extras()
        except Exception as error:  # said on the screen: the simulation is advice
            self.post_from_worker(self.ExtrasSimulated(ticked, [], error))
        else:
            self.post_from_worker(self.ExtrasSimulated(ticked, extras))

    def on_purge_screen_extras_simulated(self, message: ExtrasSimulated) -> None:
        if message.error is not None:
            text = f"autoremove: simulation failed ({message.error})"
        else:
            extras = message.extras
            text = "autoremove will also remove: " + (" ".join(extras) if extras else "nothing")
            self.controller.simulated(message.ticked, extras)
            self._show_rows()
        self.query_one("#extras", LinesView).show(self.controller.gpu_processes() + [_line(text)])

    def next(self) -> None:
        confirm = self.query_one("#confirm", Button)
        keep = self.controller.keeps_running_driver or confirm.disabled
        (self.query_one("#decline", Button) if keep else confirm).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self.controller.confirm()
        else:
            self.controller.decline()
        self.go(flow.SELECT)


def _line(text: str) -> Line:
    return Line(text, DIM)
