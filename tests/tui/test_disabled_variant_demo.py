"""The Select screen on the GTX 1080 demo (real layers): the -open variants apt offers are
shown disabled with the reason, and choosing one is refused with that reason."""

from __future__ import annotations

from textual.widgets import DataTable

from nvwizard.tui.tour import demo_app, settle

SIZE = (100, 32)
DISABLED = "nvidia-driver-580-open"


async def walk_to_select(pilot) -> None:
    app = pilot.app
    await settle(pilot)
    for _ in range(4):
        if type(app.screen).__name__ == "SelectScreen":
            return
        await pilot.press("n")
        await settle(pilot)
        if type(app.screen).__name__ == "PurgeScreen":
            await pilot.press("n", "enter")
            await settle(pilot)
    raise AssertionError(f"never reached Select: {type(app.screen).__name__}")


async def test_a_disabled_variant_is_shown_and_refused_with_the_reason():
    app = demo_app("gtx1080-secureboot")
    notices: list[tuple[str, str]] = []
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_select(pilot)
        recommended = app.state.report.recommended_driver
        table = app.screen.query_one(DataTable)
        keys = [row.key.value for row in table.ordered_rows]
        assert DISABLED in keys and recommended in keys
        candidate = app.state.report.candidate(DISABLED)
        assert not candidate.runnable and "Pascal" in candidate.reason

        row = table.get_row(DISABLED)
        assert row[0].plain == "✗" and "strike" in str(row[1].style)

        original_notify = app.screen.notify
        app.screen.notify = lambda message, **kw: (  # type: ignore[method-assign]
            notices.append((message, kw.get("severity", ""))),
            original_notify(message, **kw),
        )
        steps = keys.index(DISABLED) - table.cursor_row
        await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
        await settle(pilot)
        assert keys[table.cursor_row] == DISABLED
        explained = app.screen.query_one("#explain").plain
        assert "Cannot run here" in explained and candidate.reason in explained.replace("\n", " ")

        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "SelectScreen"
        assert app.state.driver == recommended  # the choice did not change
        ((message, severity),) = notices
        assert severity == "error"
        assert message.startswith("580-open cannot run here: ") and candidate.reason in message


async def test_the_eol_column_says_a_dead_branch_is_dead_at_80x24():
    """hgx-h100 offers 610 (NFB, ended 2026-08), 590 (superseded by 595), 570 (ended)."""
    app = demo_app("hgx-h100")
    async with app.run_test(size=(80, 24)) as pilot:
        await walk_to_select(pilot)
        table = app.screen.query_one(DataTable)
        eol = {row.key.value: table.get_row(row.key)[5].plain for row in table.ordered_rows}
        assert eol["nvidia-driver-610-server-open"] == "ended 2026-08"
        assert eol["nvidia-driver-570-server"] == "ended 2026-02"
        assert eol["nvidia-driver-590-server"] == "superseded"
        assert eol["nvidia-driver-595-server-open"] == "2027-03"
        # the CUDA column after it still fits the 80 columns
        assert sum(column.get_render_width(table) for column in table.ordered_columns) <= 78
