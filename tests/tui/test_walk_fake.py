"""The wizard's screens and keys, on a stand-in backend (fast, exact, no demo data needed)."""

from __future__ import annotations

from textual.widgets import Button, Log

from nvwizard.tui.app import WizardApp
from nvwizard.tui.state import WizardState
from tests.tui.fakes import FakeBackend, FakeHost

SIZE = (80, 24)


def make_app(backend: FakeBackend | None = None, host=None) -> WizardApp:
    return WizardApp(WizardState(host=host or FakeHost()), backend or FakeBackend(), spinners=False)


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
        assert screen_name(app) == "StackScreen"
        await pilot.press("enter")  # no toolkit: skipped
        await settle(pilot)
        assert screen_name(app) == "InstallScreen"
        await pilot.press("n")
        assert app.focused.id == "apply"
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.outcome.status == "done"
        assert "purge [line 0]" in "\n".join(app.screen.query_one(Log).lines)
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "RebootScreen"
        await pilot.press("enter")  # "In one minute" has the focus
        await settle(pilot)
        assert backend.reboots == [1]
        # the stand-in machine is a demo: it comes up again, Detect runs anew, Verify opens
        assert backend.boots == 1
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["DetectScreen", "VerifyScreen"]
    plan = backend.plans[-1]
    assert plan.choices.driver == "nvidia-driver-580-server-open"
    assert plan.choices.purge and plan.choices.headless


async def test_on_a_real_machine_the_reboot_ends_the_session_instead_of_verifying():
    backend = FakeBackend()
    app = make_app(backend, host=FakeHost(kind="local", label="this machine"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go("reboot")
        await settle(pilot)
        await pilot.press("enter")  # "In one minute"
        await settle(pilot)
        assert backend.reboots == [1] and backend.boots == 0
        assert screen_name(app) == "RebootScreen"
        assert "DEMO: would schedule the reboot" in str(app.screen.query_one("#result").render())
        assert app.state.verify_pending  # the next `nvwizard` opens Verify (the state file)
