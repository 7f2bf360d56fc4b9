"""The wizard's screens and keys, on a stand-in backend (fast, exact, no demo data needed)."""

from __future__ import annotations

from textual.widgets import Button, Log

from nvwizard.tui.app import WizardApp
from nvwizard.tui.state import WizardState
from tests.tui.fakes import FakeBackend, FakeHost

SIZE = (80, 24)


def make_app(backend: FakeBackend | None = None, host=None) -> WizardApp:
    return WizardApp(WizardState(host=host or FakeHost()), backend or FakeBackend(), animate=False)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)


def screen_name(app) -> str:
    return type(app.screen).__name__


async def test_whole_path_detect_purge_select_install_reboot():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "PurgeScreen"
        await pilot.press("n")  # moves to the confirm button
        assert isinstance(app.focused, Button) and app.focused.id == "confirm"
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(app) == "SelectScreen"
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(app) == "InstallScreen"
        await pilot.press("n")
        assert app.focused.id == "apply"
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.outcome.result == "done"
        assert "purge [line 0]" in "\n".join(app.screen.query_one(Log).lines)
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "RebootScreen"
        await pilot.press("enter")  # "In one minute" has the focus
        await settle(pilot)
        assert backend.reboots == [1]
    plan = backend.plans[-1]
    assert plan.choices.driver == "nvidia-driver-580-server-open"
    assert plan.choices.purge and plan.choices.headless
