"""The question asked when q is pressed during an install takes ←/→ between its two buttons,
as the Reboot screen's buttons do (the keys table: arrows move). Before, → did nothing there
and Enter then kept watching: a user who chose "Stop after this step" saw the install go on."""

from __future__ import annotations

from nvwizard.tui.tour import demo_app
from tests.tui.test_demo_machines import screen_name, to_install_confirm, wait_until_gone
from tests.waiting import wait_in_app

SIZE = (80, 24)


async def test_right_then_enter_stops_after_the_step(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "1")  # slow enough to still be running
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await to_install_confirm(pilot)
        await pilot.press("n", "enter")
        progress = app.controllers.install.progress
        await wait_in_app(pilot, lambda: bool(progress.lines), "the install's first line")
        await pilot.press("q")
        await pilot.pause()
        assert screen_name(app) == "QuitDuringInstallScreen"
        await pilot.press("right")
        assert app.screen.focused.id == "quit"
        await pilot.press("left")
        assert app.screen.focused.id == "stay"
        await pilot.press("right", "enter")  # "Stop after this step, quit"
        await app.workers.wait_for_complete()
        await wait_until_gone(pilot)
    assert app.controllers.install.run.engine.cancelled
