"""Keyboard contract and the unhappy paths, on the stand-in backend."""

from __future__ import annotations

from textual.widgets import Button, Checkbox, DataTable, SelectionList

from nvwizard.tui.screens.help import HELP_TEXT
from nvwizard.tui.widgets.plain_text import PlainText
from tests.tui.fakes import FakeBackend, FakeHost, fake_report
from tests.tui.test_walk_fake import SIZE, make_app, screen_name, settle


def text_of(app, selector: str) -> str:
    widget = app.screen.query_one(selector)
    if hasattr(widget, "plain"):  # LinesView: the lines, not the wrapped rows
        return widget.plain
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


async def to_select(pilot) -> None:
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    await pilot.press("n", "enter")
    await settle(pilot)


async def test_back_navigation_keeps_the_choices():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_select(pilot)
        assert screen_name(app) == "SelectScreen"
        await pilot.press("escape")
        await settle(pilot)
        assert screen_name(app) == "PurgeScreen"
        await pilot.press("b")
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"
        await pilot.press("b")  # nothing before Detect
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"
        await pilot.press("n")
        await settle(pilot)
        packages = app.screen.query_one(SelectionList)
        assert set(packages.selected) == {"nvidia-driver-535-server", "nvidia-utils-535-server"}


async def test_space_toggles_and_kept_packages_can_be_opted_in():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("space")  # untick nvidia-driver-535-server
        await pilot.press("j", "j", "space")  # tick the kept container toolkit
        await settle(pilot)
        assert app.state.ticked == {"nvidia-utils-535-server", "nvidia-container-toolkit"}
        assert "Purge 2 packages" in str(app.screen.query_one("#confirm", Button).label)
        assert "PURGE nvidia-container-toolkit" in str(
            app.screen.query_one(SelectionList).get_option("nvidia-container-toolkit").prompt
        )
        await pilot.press("n", "enter")
        await settle(pilot)
        await pilot.press("enter")  # recommended driver
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
    choices = backend.plans[-1].choices
    assert choices.keep == ("nvidia-driver-535-server",)
    assert choices.also_purge == ("nvidia-container-toolkit",)


async def test_purge_screen_lists_gpu_processes_and_autoremove_extras():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        extras = text_of(app, "#extras")
        assert "python3 (pid 4242, alice)" in extras
        assert "will die" in extras
        assert "autoremove will also remove: libnvidia-compute-535-server" in extras


async def test_declined_purge_keeps_the_installed_driver():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("tab", "tab")  # list -> Purge -> Keep
        assert app.focused.id == "decline"
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(app) == "SelectScreen"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
        plan_text = text_of(app, "#plan")
    assert backend.plans[-1].choices.purge is False
    assert "Purge" not in plan_text


async def test_purge_is_skipped_when_nothing_is_installed():
    app = make_app(FakeBackend(fake_report(installed=False)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "for Select" in text_of(app, "#hint")
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "SelectScreen"


async def test_a_disabled_variant_is_refused_with_its_reason():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_select(pilot)
        table = app.screen.query_one(DataTable)
        await pilot.press("k", "down", "down")
        assert table.cursor_row == 2
        explanation = text_of(app, "#explain")
        assert "Cannot run here" in explanation
        assert "does not support Hopper" in explanation
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(app) == "SelectScreen"
        assert app.state.driver == "nvidia-driver-580-server-open"
        await pilot.press("up")
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "StackScreen"
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "InstallScreen"
        assert app.state.driver == "nvidia-driver-580-server"


async def test_space_on_headless_chooses_a_desktop_install():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await to_select(pilot)
        await pilot.press("tab")
        assert isinstance(app.focused, Checkbox)
        await pilot.press("space")
        await pilot.press("shift+tab", "enter")
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
    assert backend.plans[-1].choices.headless is False


async def test_a_failed_step_shows_the_log_path_and_runs_the_repair():
    backend = FakeBackend(fail_step="install")
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await to_select(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
        await pilot.press("n", "enter")
        await settle(pilot)
        outcome = text_of(app, "#outcome")
        assert "FAILED" in outcome and "postinst exit 1" in outcome
        assert "log: /var/log/nvwizard/apply-test.log" in outcome
        # the fake host is a demo: the Repair button repairs it, not this computer's dpkg
        assert "repair: Enter repairs the demo's package manager" in outcome
        assert app.focused.id == "repair"
        detections = backend.detections
        await pilot.press("n")  # not to the reboot: the focused repair button
        await settle(pilot)
        assert len(backend.repair_plans) == 1
        assert backend.detections == detections + 1  # the repair is planned from a fresh report
        assert app.state.outcome.status == "done"
        steps = text_of(app, "#steps")  # the repair plan's own steps, not the failed install's
        assert "✓ Repair the package manager" in steps
        assert "✓ Check that dpkg is healthy" in steps
        assert "Install" not in steps
        await pilot.press("l")
        await settle(pilot)
        assert screen_name(app) == "LogScreen"
        full_log = "\n".join(app.screen.query_one("Log").lines)
        assert "==> Install nvidia-driver-" in full_log  # the failed apply's log is kept
        assert "==> Repair the package manager" in full_log
        await pilot.press("escape")
        await settle(pilot)
        assert screen_name(app) == "InstallScreen"


async def test_install_is_refused_without_root_on_a_real_machine():
    backend = FakeBackend(refusal="Applying changes needs root: quit and run `sudo nvwizard`.")
    app = make_app(backend, host=FakeHost(kind="local", label="this machine"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "sudo nvwizard" in text_of(app, "#summary")
        assert not app.screen.query_one("#banner").display
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("n", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
        apply = app.screen.query_one("#apply", Button)
        assert apply.disabled and "sudo" in str(apply.label)
        assert "sudo nvwizard" in text_of(app, "#hint")


async def test_no_gpu_on_this_machine_offers_the_demo():
    backend = FakeBackend(fake_report(gpus=False, installed=False))
    app = make_app(backend, host=FakeHost(kind="local", label="this machine"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No NVIDIA GPU found" in text_of(app, "#summary")
        assert "nvwizard --demo" in text_of(app, "#summary")
        assert "Press d" in text_of(app, "#hint")
        await pilot.press("n")  # nothing to install: stays
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"
        backend.report = fake_report()
        await pilot.press("d")
        await settle(pilot)
        assert app.state.host.kind == "demo"
        assert app.screen.query_one("#banner").display
        assert "H100" in text_of(app, "#summary")


async def test_quit_while_installing_asks_and_can_stay():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_select(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
        screen = app.screen
        assert screen_name(app) == "InstallScreen"
        screen.phase = "running"  # as if the engine were still busy
        app.controllers.install.run = object()
        app.state.outcome = None
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert screen_name(app) == "QuitDuringInstallScreen"
        assert "never" in text_of(app, "Static")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert app.is_running


async def test_q_quits_when_nothing_runs():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_help_lists_the_keyboard_contract_and_closes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert screen_name(app) == "HelpScreen"
        text = text_of(app, "Static")
        for key in ("Enter or n", "Escape or b", "q or Ctrl+C", "j k", "Space", "l "):
            assert key in text
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "DetectScreen"


async def test_help_fits_its_box_at_80x24_without_a_wrapped_line():
    """A line wider than the box wraps to its left edge, out of its column ('one)')."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = app.screen.query_one(PlainText)
        assert text.size.height == len(HELP_TEXT.splitlines())
        assert max(len(line) for line in HELP_TEXT.splitlines()) <= text.size.width


async def test_verify_opens_first_when_pending_and_shows_fixes():
    app = make_app(FakeBackend(verify_pending=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_name(app) == "VerifyScreen"
        checks = text_of(app, "#checks")
        assert "✓ module loaded" in checks
        assert "✗ nvidia-smi: NVML mismatch" in checks and "fix: reboot" in checks
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"


def _inside(widget, screen) -> bool:
    region = widget.region
    return region.width > 0 and screen.region.contains_region(region)


async def test_buttons_and_footer_stay_visible_at_80x24_and_after_resizes():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await to_select(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        screen = app.screen
        for selector in ("#apply", "WizardFooter", "#hint", "#banner"):
            assert _inside(screen.query_one(selector), screen), selector
        await pilot.resize_terminal(60, 20)  # smaller than promised: still no crash
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert _inside(screen.query_one("#apply"), screen)
        await pilot.press("n", "enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        for selector in ("#now", "#soon", "#later", "WizardFooter"):
            assert _inside(app.screen.query_one(selector), app.screen), selector


async def test_select_asks_about_a_desktop_when_headless_is_unknown():
    """Issue 11 item 4: with no evidence either way, Select asks, and Tab, Space answers."""
    import dataclasses

    from nvwizard.tui.controllers.select import HEADLESS_QUESTION

    unknown = FakeBackend()
    assert unknown.report.headless is None
    app = make_app(unknown)
    async with app.run_test(size=SIZE) as pilot:
        await to_select(pilot)
        question = app.screen.query_one("#headless-question")
        assert question.display and text_of(app, "#headless-question") == HEADLESS_QUESTION
        assert app.state.headless is True  # assumed until answered
        await pilot.press("tab", "space")
        assert isinstance(app.focused, Checkbox) and app.state.headless is False
    known = FakeBackend(report=dataclasses.replace(fake_report(), headless=True))
    app = make_app(known)
    async with app.run_test(size=SIZE) as pilot:
        await to_select(pilot)
        assert not app.screen.query_one("#headless-question").display
