"""The wizard on every demo machine, with the real layers below it (keys only)."""

from __future__ import annotations

import pytest

from nvwizard.host.demo import DEMOS, demo_host
from nvwizard.report.build import build_report
from nvwizard.tui.tour import demo_app, settle

SIZE = (80, 24)
WITH_GPU = [d.name for d in DEMOS if d.name != "vm-no-gpu"]


def screen_name(app) -> str:
    return type(app.screen).__name__


def text_of(app, selector: str) -> str:
    rendered = app.screen.query_one(selector).render()
    return str(getattr(rendered, "plain", rendered))


@pytest.mark.parametrize("name", [d.name for d in DEMOS])
async def test_detect_summarises_each_demo_machine(name):
    report = build_report(demo_host(name))
    app = demo_app(name)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"
        summary = text_of(app, "#summary")
        assert f"DEMO: nothing on this machine is changed (demo {name})" in text_of(app, "#banner")
        assert report.kernel in summary
        if report.gpus:
            assert report.gpus[0].architecture in summary
        else:
            assert "No NVIDIA GPU found" in summary
            assert "Nothing to install" in text_of(app, "#hint")
        for finding in report.findings:
            assert finding.message[:30] in summary.replace("\n", " ")


async def walk_to_reboot(pilot) -> list[str]:
    """Detect -> (Purge) -> Select -> Install -> Reboot with the defaults; the screens seen."""
    app = pilot.app
    seen = []
    await settle(pilot)
    for _ in range(8):
        seen.append(screen_name(app))
        current = seen[-1]
        if current == "RebootScreen":
            break
        if current == "PurgeScreen":
            await pilot.press("n", "enter")
        elif current == "InstallScreen" and app.screen.phase == "confirm":
            await pilot.press("n", "enter")
        else:
            await pilot.press("n")
        await settle(pilot)
    return seen


@pytest.mark.parametrize("name", WITH_GPU)
async def test_whole_path_to_the_reboot_prompt(name):
    app = demo_app(name)
    async with app.run_test(size=SIZE) as pilot:
        seen = await walk_to_reboot(pilot)
        assert seen[-1] == "RebootScreen", (seen, app.state.outcome)
        assert app.state.outcome.result == "done"
        assert ("PurgeScreen" in seen) == bool(app.state.proposed_purge)
        assert app.state.plan.driver == app.state.report.recommended_driver
