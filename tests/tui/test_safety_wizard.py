"""Issue 9, the wizard's side: bad places for the journal, the quit keys after a simulated
reboot, advice when the simulation stops, one truth on the Purge screen, and the cosmetics."""

from __future__ import annotations

from nvwizard.tui.tour import demo_app, settle
from tests.tui.test_demo_machines import choose, screen_name, text_of, walk_to_reboot

SIZE = (80, 24)


async def test_after_the_simulated_reboot_q_quits_and_help_opens():
    """No install runs after the reboot: `?` opens the help and `q` quits without asking."""
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        seen = await walk_to_reboot(pilot)
        assert seen[-1] == "RebootScreen"
        await choose(pilot, "now")
        await settle(pilot)
        assert screen_name(app) == "VerifyScreen"
        await pilot.press("question_mark")
        await settle(pilot)
        assert screen_name(app) == "HelpScreen"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert screen_name(app) != "QuitDuringInstallScreen"
        assert not app.is_running and app.return_code == 0
