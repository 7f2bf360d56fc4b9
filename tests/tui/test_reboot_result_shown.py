"""At 80x24 the Reboot screen shows what the choice did (Later's next steps, a failed
reboot): the text goes below what the screen explains already, and is scrolled into view,
not left under the fold where only "Press q to quit." told that anything happened."""

from __future__ import annotations

from nvwizard.tui.tour import demo_app, settle
from tests.tui.test_demo_machines import walk_to_reboot

SIZE = (80, 24)


def painted(app) -> str:
    rows = [
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    ]
    return " ".join(" ".join(rows).split())


async def test_later_says_what_next_on_the_screen():
    app = demo_app("gtx1080-secureboot")  # a long explanation: Secure Boot and nouveau
    async with app.run_test(size=SIZE) as pilot:
        seen = await walk_to_reboot(pilot)
        assert seen[-1] == "RebootScreen", seen
        await settle(pilot)
        assert app.screen.focused.id == "soon"
        await pilot.press("right", "enter")  # Later
        await settle(pilot)
        result = app.screen.controller.result
        assert result.startswith("No reboot now.")
        assert result[:60] in painted(app)
