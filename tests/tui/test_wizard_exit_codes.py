"""The wizard's exit code says how its install ended, with `nvwizard install`'s meanings (a
script, or the prompt of the shell it returns to, sees a failure): 0 when the install succeeded
or none ran, 1 when it failed or was cancelled (also once a repair followed the failure: no
driver was installed), 130 when the wizard is left while the install goes on in the background
(as `install` interrupted with Ctrl+C)."""

from __future__ import annotations

from nvwizard.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from nvwizard.tui.tour import demo_app, settle
from tests.tui.test_demo_machines import SIZE, screen_name, to_install_confirm, wait_until_gone
from tests.tui.test_keys_fake import to_select
from tests.tui.test_walk_fake import make_app

FAILING = "nvidia-kernel-common-595-server"  # a postinst of the rtx3090-fresh plan


async def install_on_the_demo(pilot) -> None:
    await to_install_confirm(pilot)
    await pilot.press("n", "enter")
    await settle(pilot)


async def test_a_successful_install_exits_0():
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await install_on_the_demo(pilot)
        assert app.state.outcome.status == "done"
        await pilot.press("q")
        await wait_until_gone(pilot)
    assert app.return_code == EXIT_OK


async def test_a_failed_install_exits_1(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", FAILING)
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await install_on_the_demo(pilot)
        assert app.state.outcome.status == "failed"
        await pilot.press("q")
        await wait_until_gone(pilot)
    assert app.return_code == EXIT_FAILED


async def test_a_repaired_failure_still_exits_1(monkeypatch):
    """The repair succeeds, but it installs no driver: the install still failed."""
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", FAILING)
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await install_on_the_demo(pilot)
        assert app.focused.id == "repair"
        monkeypatch.delenv("NVWIZARD_DEMO_FAIL")
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.outcome.status == "done"  # the repair's
        await pilot.press("q")
        await wait_until_gone(pilot)
    assert app.return_code == EXIT_FAILED


class BackgroundRun:
    """An apply the detached worker runs: leaving the wizard does not stop it."""

    detached = True

    def cancel(self) -> None:
        pass


async def test_leaving_while_the_install_goes_on_in_the_background_exits_130():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_select(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
        assert screen_name(app) == "InstallScreen"
        app.screen.phase = "running"  # as if the worker were still busy
        app.controllers.install.run = BackgroundRun()
        app.state.outcome = None
        await pilot.press("q")
        await pilot.pause()
        assert screen_name(app) == "QuitDuringInstallScreen"
        await pilot.press("tab", "enter")  # "Quit, it goes on"
        await wait_until_gone(pilot)
    assert app.return_code == EXIT_INTERRUPTED
