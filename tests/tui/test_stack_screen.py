"""The Stack screen on the demo machines (real layers): the toolkits the chosen driver runs,
the ceiling in one sentence, cuDNN and the container toolkit, remembered across Back, and the
extra steps on the Install screen."""

from __future__ import annotations

from textual.widgets import Checkbox, DataTable

from nvwizard.tui.tour import demo_app, settle
from tests.tui.test_disabled_variant_demo import walk_to_select

SIZE = (100, 32)


def keys_of(table: DataTable) -> list[str]:
    return [row.key.value for row in table.ordered_rows]


async def to_stack(pilot) -> None:
    await walk_to_select(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "StackScreen"


async def test_hgx_lists_what_the_driver_runs_and_the_install_screen_shows_the_stack():
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await to_stack(pilot)
        table = app.screen.query_one("#toolkits", DataTable)
        keys = keys_of(table)
        assert keys[:3] == ["none", "13.3", "13.2"] and table.cursor_row == 0  # none: skip
        assert table.get_row("13.2")[0].plain == "★"
        assert table.get_row("13.3")[0].plain == "✗" and "strike" in str(
            table.get_row("13.3")[1].style
        )
        explained = app.screen.query_one("#stack-explain").plain
        assert explained.startswith("Branch 595 runs toolkits up to CUDA 13.2")
        await pilot.press("down", "down")
        await settle(pilot)
        assert "cuda-toolkit-13-2 from NVIDIA's CUDA repository" in app.screen.query_one(
            "#stack-explain"
        ).plain.replace("\n", " ")
        await pilot.press("tab", "space")  # cuDNN
        assert app.screen.query_one("#cudnn", Checkbox).value
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "InstallScreen"
        plan = app.state.plan
        assert plan.stack_list == ["cuda-toolkit-13-2", "cudnn9-cuda-13"]
        titles = [s.title for s in plan.steps]
        assert "Keep NVIDIA's CUDA repository from supplying the driver" in titles
        assert "Install CUDA toolkit 13.2" in titles
        shown = app.screen.query_one("#plan").plain
        assert "Then the developer stack: cuda-toolkit-13-2, cudnn9-cuda-13" in shown
        assert "writes /etc/apt/preferences.d/nvwizard-cuda-repository-drivers" in shown

        await pilot.press("b")  # back to Stack: the choice is remembered
        await settle(pilot)
        assert type(app.screen).__name__ == "StackScreen"
        table = app.screen.query_one("#toolkits", DataTable)
        assert keys_of(table)[table.cursor_row] == "13.2"
        assert app.screen.query_one("#cudnn", Checkbox).value


async def test_a_pascal_gpu_gets_no_cuda_13_and_a_crossed_row_is_refused():
    app = demo_app("gtx1080-secureboot")
    notices: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await to_stack(pilot)
        table = app.screen.query_one("#toolkits", DataTable)
        keys = keys_of(table)
        starred = [k for k in keys if table.get_row(k)[0].plain == "★"]
        assert starred == ["12.9"]  # branch 580 runs 13.0, but CUDA 13 dropped Pascal
        # the GPU rules it out, not the driver: the row says which
        assert table.get_row("13.0")[3].plain == "no: CUDA 13 dropped Pascal"
        assert table.get_row("12.9")[3].plain == "yes"
        original = app.screen.notify
        app.screen.notify = lambda message, **kw: (  # type: ignore[method-assign]
            notices.append(message),
            original(message, **kw),
        )
        await pilot.press(*["down"] * keys.index("13.0"))
        await settle(pilot)
        assert "no longer compiles for Pascal" in app.screen.query_one("#stack-explain").plain
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "StackScreen"
        assert notices and "13.0" in notices[0] and "Pascal" in notices[0]


TOOLKIT = "nvidia-container-toolkit"


async def _purge_screen_ticks(pilot, tick_toolkit: bool) -> None:
    """From wherever the wizard is to Stack through Purge, with the toolkit ticked or not."""
    app = pilot.app
    while type(app.screen).__name__ != "PurgeScreen":
        await pilot.press("n" if type(app.screen).__name__ == "DetectScreen" else "b")
        await settle(pilot)
    packages = app.screen.query_one("#packages")
    (packages.select if tick_toolkit else packages.deselect)(TOOLKIT)
    await settle(pilot)
    await pilot.press("n", "enter")  # Purge, confirmed
    await settle(pilot)
    await pilot.press("enter")  # Select: the recommended driver
    await settle(pilot)
    assert type(app.screen).__name__ == "StackScreen"


async def test_hgx_a_container_toolkit_ticked_for_purging_is_offered_to_install_again():
    """Ticked on Purge, the toolkit is not shown "installed, in Docker" on Stack: the toggle
    says the purge removes it and is unticked; ticked, the plan purges it and installs it again.
    A tick given while the toolkit stayed does not become a reinstall once it is purged."""
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _purge_screen_ticks(pilot, tick_toolkit=True)
        container = app.screen.query_one("#container", Checkbox)
        label = str(container.label)
        assert label == "Container toolkit: the purge removes it; tick to install it again, fresh"
        assert not container.value
        container.value = True
        await pilot.press("enter")  # the table has the focus: "none", then Install
        await settle(pilot)
        assert type(app.screen).__name__ == "InstallScreen"
        plan = app.state.plan
        assert TOOLKIT in plan.purge_list and plan.stack_list == [TOOLKIT]
        assert plan.step("container-toolkit") is not None
        shown = _plan_text(app)
        assert "Then the developer stack: nvidia-container-toolkit" in shown
        # the simulation's note lists it with what the purge and autoremove took
        fresh = shown.split("note: purged, then installed fresh (configuration files return")[1]
        fresh = fresh.split("packaged ones):")[1]
        assert (
            "libnvidia-container1 nvidia-container-toolkit nvidia-container-toolkit-base" in fresh
        )
        assert "is purged and not installed again" not in shown

        await _purge_screen_ticks(pilot, tick_toolkit=False)  # it stays: installed, ticked
        container = app.screen.query_one("#container", Checkbox)
        assert (
            str(container.label)
            == "Container toolkit: GPUs inside containers (installed, in Docker)"
        )
        assert container.value
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.plan.stack_list == [] and TOOLKIT not in app.state.plan.purge_list

        await _purge_screen_ticks(pilot, tick_toolkit=True)  # that tick was for keeping it
        assert not app.screen.query_one("#container", Checkbox).value
        await pilot.press("enter")
        await settle(pilot)
        assert TOOLKIT in app.state.plan.purge_list and app.state.plan.stack_list == []
        # purged, not installed again: Docker's daemon.json still names its nvidia runtime
        shown = _plan_text(app)
        assert "! nvidia-container-toolkit is purged and not installed again, but Docker's " in (
            shown
        )
        assert "tick Container toolkit on Stack" in shown
        notes = [n.split(" ! ")[0] for n in shown.split("note: ")[1:]]
        assert not [n for n in notes if "installed fresh" in n and TOOLKIT in n]


def _plan_text(app) -> str:
    """The Install screen's plan, its wrapped lines joined back into one text."""
    return " ".join(app.screen.query_one("#plan").plain.split())


def shown_line(box: Checkbox) -> str:
    """The box's line as drawn on the screen (one line: the wizard draws it without a border)."""
    return box.render_line(0).text


async def test_a_tickbox_says_ticked_or_not_without_colour(monkeypatch):
    """NO_COLOR: Textual's Checkbox drew ▐X▌ ticked and unticked, only the X's grey differed."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_select(pilot)
        headless = app.screen.query_one("#headless", Checkbox)
        assert headless.value and "▐X▌ Headless" in shown_line(headless)
        await pilot.press("enter")
        await settle(pilot)
        cudnn = app.screen.query_one("#cudnn", Checkbox)
        assert not cudnn.value and "▐ ▌ cuDNN" in shown_line(cudnn)
        await pilot.press("tab", "space")
        await settle(pilot)
        assert cudnn.value and "▐X▌ cuDNN" in shown_line(cudnn)
        await pilot.press("space")
        await settle(pilot)
        assert not cudnn.value and "▐ ▌ cuDNN" in shown_line(cudnn)


async def test_the_rtx5090_distro_toolkit_is_crossed_out_for_the_gpu_not_offered():
    """Ubuntu 24.04's nvidia-cuda-toolkit is 12.0: branch 595 runs it, Blackwell does not."""
    app = demo_app("rtx5090-workstation")
    async with app.run_test(size=SIZE) as pilot:
        await to_stack(pilot)
        table = app.screen.query_one("#toolkits", DataTable)
        row = table.get_row("distro")
        assert row[0].plain == "✗" and row[3].plain == "no: Blackwell needs 12.8+"
        assert table.get_row("12.6")[3].plain == "no: Blackwell needs 12.8+"
        assert table.get_row("13.2")[3].plain == "yes"


async def test_at_80x24_the_toolkit_table_fits_without_scrolling_sideways():
    """hgx has CUDA 12.2 from NVIDIA's repository: the 'none' row names it, and its whole
    text is on screen at 80x24 (it was cut at 'keep what is installed: 12.2 (nvidia-re')."""
    app = demo_app("hgx-h100")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_stack(pilot)
        table = app.screen.query_one("#toolkits", DataTable)
        assert table.max_scroll_x == 0, table.virtual_size
        none_row = " ".join(cell.plain for cell in table.get_row("none"))
        assert "12.2" in none_row and "keep" in none_row
        explained = app.screen.query_one("#stack-explain").plain
        assert "12.2 (nvidia-repo)" in explained  # which one, from where: below the table
