"""The Select screen's driver table fits an 80x24 terminal on every demo: no sideways
scrolling (Debian's long driver names, a Version column and "ended YYYY-MM" cells made it 92
columns wide on debian12-t4), and nothing it says is left out."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from nvwizard.host.demo import DEMOS
from nvwizard.report.lifecycle import end_of_life_cell
from nvwizard.tui.tour import demo_app
from tests.tui.test_demo_machines import SIZE, screen_name, to_screen

WITH_DRIVERS = [d.name for d in DEMOS if d.name != "vm-no-gpu"]  # no GPU: no Select screen


def shown(table: DataTable) -> str:
    """Every cell's text, header included."""
    header = " ".join(str(c.label) for c in table.columns.values())
    rows = [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
    return " ".join([header, *rows])


@pytest.mark.parametrize("name", WITH_DRIVERS)
async def test_the_driver_table_fits_80_columns(name):
    app = demo_app(name)
    async with app.run_test(size=SIZE) as pilot:
        await to_screen(pilot, "SelectScreen")
        assert screen_name(app) == "SelectScreen"
        table = app.screen.query_one("#drivers", DataTable)
        await pilot.pause()
        assert table.virtual_size.width <= table.scrollable_content_region.width, name
        assert not table.show_horizontal_scrollbar
        text = " ".join(shown(table).split())
        controller = app.screen.controller
        for candidate in controller.candidates():  # the information stays
            assert candidate.flavour in text
            assert " ".join(end_of_life_cell(candidate).split()) in text.replace("\n", " ")
            if controller.shows_versions():
                assert candidate.version and candidate.version.split("-")[0] in text


async def test_the_two_line_table_is_only_for_a_narrow_terminal():
    """debian12-t4 at 100 columns keeps a line per driver and its Version column; back at 80
    it takes two lines a driver, the cursor where it was."""
    app = demo_app("debian12-t4")
    async with app.run_test(size=(100, 24)) as pilot:
        await to_screen(pilot, "SelectScreen")
        table = app.screen.query_one("#drivers", DataTable)
        await pilot.pause()
        labels = [str(c.label) for c in table.columns.values()]
        assert "Version" in labels and table.virtual_size.height == 1 + table.row_count
        await pilot.press("down")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        labels = [str(c.label) for c in table.columns.values()]
        assert "Driver, version" in labels and "Version" not in labels
        assert table.virtual_size.height == 1 + 2 * table.row_count
        assert table.cursor_row == 1
        assert table.virtual_size.width <= table.scrollable_content_region.width
