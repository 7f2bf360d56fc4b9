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


async def test_later_offers_no_load_without_a_reboot_the_screen_ruled_out():
    """On the A100 after its unattended upgrade the screen has just said the driver cannot be
    loaded without a reboot (a kernel update waits for one): Later's next steps name the
    demo's reboot, not `nvwizard activate`."""
    app = demo_app("nvml-mismatch")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_reboot(pilot)
        await settle(pilot)
        assert app.screen.activate.ruled_out
        app.screen.query_one("#later").focus()
        await pilot.press("enter")
        await settle(pilot)
        result = app.screen.controller.result
        assert "`nvwizard reboot --demo nvml-mismatch` reboots it" in result
        assert "nvwizard activate" not in result


async def test_later_still_offers_the_load_where_it_is_safe():
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_reboot(pilot)
        await settle(pilot)
        assert app.screen.activate.possible
        app.screen.query_one("#later").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "`nvwizard activate --demo rtx3090-fresh` loads it" in app.screen.controller.result


async def test_a_further_reason_wraps_under_its_own_text():
    """ "also: nouveau drives the GPU ..." wraps with its continuation under its text, not two
    columns right of it."""
    app = demo_app("gtx1080-secureboot")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_reboot(pilot)
        await settle(pilot)
        rows = [
            "".join(segment.text for segment in strip)
            for strip in app.screen._compositor.render_strips()
        ]
        first = next(i for i, row in enumerate(rows) if row.lstrip().startswith("also: "))
        text_column = rows[first].index("also: ") + len("also: ")
        continuation = rows[first + 1]
        assert len(continuation) - len(continuation.lstrip()) == text_column, rows[
            first : first + 2
        ]
