"""At 80x24 the Purge screen shows each package's reason whole: why another branch's fabric
manager is ticked, why the container toolkit stays. A row cut to the width with an ellipsis
hid exactly the words that explain the purge."""

from __future__ import annotations

from nvwizard.knowledge.packages import keep_reason
from nvwizard.tui.tour import demo_app, settle

SIZE = (80, 24)


def painted(app) -> str:
    rows = [
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    ]
    return "\n".join(rows)


def words(text: str) -> str:
    """The text's words, without the tickboxes and the scrollbar."""
    return " ".join(text.translate({ord(c): " " for c in "▐▌X▁▂▃▄▅▆▇█"}).split())


async def test_the_fabric_managers_reason_is_shown_whole_at_80x24():
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "PurgeScreen"
        packages = app.screen.query_one("#packages")
        names = [str(option.value) for option in packages._options]
        seen = set()
        for index, name in enumerate(names):
            packages.highlighted = index  # scrolls the row into view
            await settle(pilot)
            if keep_reason(name) and name not in seen:
                screen = painted(app)
                assert "…" not in screen
                assert words(keep_reason(name)) in words(screen), name
                seen.add(name)
        assert {"nvidia-fabricmanager-535", "nvidia-container-toolkit"} <= seen


async def test_each_tickbox_is_its_own_packages_beside_a_wrapped_row():
    """A wrapped row takes several lines, and its tickbox is on its first line only: every
    other row's box still says whether that row is ticked."""
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        packages = app.screen.query_one("#packages")
        names = [str(option.value) for option in packages._options]
        fabric = names.index("nvidia-fabricmanager-535")
        packages.highlighted = fabric
        await settle(pilot)
        await pilot.press("space")  # unticked: kept
        await settle(pilot)
        assert "nvidia-fabricmanager-535" not in app.state.ticked
        await pilot.press("down")  # the next row in view too
        await settle(pilot)
        lines = painted(app).splitlines()
        first = next(i for i, line in enumerate(lines) if "nvidia-fabricmanager-535 535." in line)
        assert lines[first].lstrip().startswith("▐ ▌ keep  nvidia-fabricmanager-535")
        after = first + 1
        while "nvidia-firmware-535-server" not in lines[after]:
            assert "▐" not in lines[after]  # the reason's own lines: no box of their own
            after += 1
        assert lines[after].lstrip().startswith("▐X▌ PURGE nvidia-firmware-535-server")
        before = next(i for i, line in enumerate(lines) if "nvidia-driver-535-server 535." in line)
        assert lines[before].lstrip().startswith("▐X▌ PURGE nvidia-driver-535-server")
