"""The Purge screen's tickbox shows X when its package is ticked and is empty when not (the
README's promise for NO_COLOR=1, where the box's colour says nothing)."""

from __future__ import annotations

import pytest

from nvwizard.tui.tour import demo_app, settle

SIZE = (80, 24)


def painted(app) -> list[str]:
    return [
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    ]


@pytest.mark.parametrize("no_color", [False, True])
async def test_an_unticked_package_has_an_empty_box(monkeypatch, no_color):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "PurgeScreen"
        await pilot.press("space")  # the first row, highlighted: unticked
        await settle(pilot)
        assert "libnvidia-cfg1-535-server" not in app.state.ticked
        rows = [row.strip() for row in painted(app)]
        assert any(r.startswith("▐ ▌ keep  libnvidia-cfg1-535-server 535.") for r in rows), rows
        assert any(r.startswith("▐X▌ PURGE libnvidia-common-535-server 535.") for r in rows)
        await pilot.press("space")  # ticked again
        await settle(pilot)
        rows = [row.strip() for row in painted(app)]
        assert any(r.startswith("▐X▌ PURGE libnvidia-cfg1-535-server 535.") for r in rows)


async def test_a_package_with_only_its_config_files_left_says_so():
    app = demo_app("gtx1080-secureboot")  # two remnants of 470, nothing installed
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "PurgeScreen"
        screen = " ".join(" ".join(painted(app)).split())
        assert (
            "PURGE nvidia-compute-utils-470 470.256.02-0ubuntu0.22.04.1 "
            "(removed already: only its config files are left)"
        ) in screen
