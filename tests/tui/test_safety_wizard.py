"""Issue 9, the wizard's side: bad places for the journal, the quit keys after a simulated
reboot, advice when the simulation stops, one truth on the Purge screen, and the cosmetics."""

from __future__ import annotations

from nvwizard.tui.tour import demo_app, settle
from tests.tui.test_demo_machines import choose, screen_name, text_of, walk_to_reboot
from tests.waiting import wait_in_app

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


def _state_dir_under_a_file(monkeypatch, tmp_path) -> str:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(blocker / "state"))
    return f"{blocker} is not a directory (from NVWIZARD_STATE_DIR={blocker}/state"


async def test_a_state_folder_that_cannot_be_written_is_said_on_screen_and_nothing_starts(
    monkeypatch, tmp_path
):
    """The CLI's one line on Detect and on Install; Install stays disabled; no traceback."""
    words = _state_dir_under_a_file(monkeypatch, tmp_path)
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert words in text_of(app, "#summary").replace("\n", " ")
        await pilot.press("n", "n", "enter")  # Purge, confirmed
        await settle(pilot)
        await pilot.press("n")  # Select
        await settle(pilot)
        await pilot.press("n")  # Stack
        await settle(pilot)
        assert screen_name(app) == "InstallScreen" and app.screen.phase == "confirm"
        assert words in text_of(app, "#plan").replace("\n", " ")
        assert app.screen.query_one("#apply").disabled
        await pilot.press("n", "enter")
        await settle(pilot)
        assert app.screen.phase == "confirm" and app.state.outcome is None
        assert app.controllers.install is not None and app.controllers.install.run is None
        await pilot.press("q")  # nothing runs: q quits at once
        await settle(pilot)
        assert not app.is_running


async def test_a_folder_broken_after_the_plan_was_shown_stops_the_install_before_it_starts(
    monkeypatch, tmp_path
):
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for keys in (("n",), ("n", "enter"), ("n",), ("n",)):
            await pilot.press(*keys)
            await settle(pilot)
        assert screen_name(app) == "InstallScreen"
        assert not app.screen.query_one("#apply").disabled
        words = _state_dir_under_a_file(monkeypatch, tmp_path)
        await pilot.press("n", "enter")  # Install
        await settle(pilot)
        assert app.screen.phase == "confirm" and app.controllers.install.run is None
        assert words in text_of(app, "#plan").replace("\n", " ")
        assert app.screen.query_one("#apply").disabled
        assert words in text_of(app, "#hint").replace("\n", " ")


async def test_purge_screen_counts_and_keeps_what_the_plan_purges_and_keeps():
    """hgx-h100: the new branch replaces fabric manager and NSCQ 535, so the plan purges 20,
    not the 18 driver packages alone; the Purge screen says 20, the Install screen too, and a
    ticked kept package leaves the Kept list."""
    from nvwizard.plan.build import build_plan, default_choices
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    report = build_report(demo_host("hgx-h100"))
    planned = build_plan(report, default_choices(report))
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        count = len(planned.purge_list)
        assert count == 20 and "nvidia-fabricmanager-535" in planned.purge_list
        assert str(app.screen.query_one("#confirm").label) == f"Purge {count} packages"
        intro = text_of(app, "#intro")
        assert f"Purge {count} of the installed" in intro
        kept_part = intro.split("Kept unless ticked:")[1]
        assert "nvidia-fabricmanager-535" not in kept_part
        assert "nvidia-container-toolkit-base" in kept_part
        await pilot.press("end", "space")  # tick the last row: nvidia-container-toolkit-base
        await settle(pilot)
        assert "nvidia-container-toolkit-base" in app.state.ticked
        intro = text_of(app, "#intro")
        assert "nvidia-container-toolkit-base" not in intro.split("Kept unless ticked:")[1]
        assert str(app.screen.query_one("#confirm").label) == f"Purge {count + 1} packages"
        await pilot.press("n", "enter")
        await settle(pilot)
        for _ in range(2):  # Select, Stack: the defaults
            await pilot.press("n")
            await settle(pilot)
        assert screen_name(app) == "InstallScreen"
        plan = app.state.plan
        assert sorted(app.state.ticked) == plan.purge_list
        assert f"Purge {count + 1} packages, as ticked on the Purge screen" in text_of(app, "#plan")
        assert plan.step("purge").title.startswith(f"Purge the {count + 1} NVIDIA driver packages")


async def test_ticking_the_container_toolkit_keeps_none_of_what_its_autoremove_takes():
    """hgx-h100: with the toolkit ticked, autoremove takes its libraries. The Purge screen marks
    them `auto` and leaves them out of the Kept list; the Install screen keeps nothing, and the
    simulation does not stop on them."""
    toolkit = "nvidia-container-toolkit"
    parts = ["libnvidia-container-tools", "libnvidia-container1", "nvidia-container-toolkit-base"]
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        packages = app.screen.query_one("#packages")
        packages.select(toolkit)
        await settle(pilot)
        assert toolkit in app.state.ticked
        for name in parts:
            assert str(packages.get_option(name).prompt).startswith(f"auto  {name} ")
        assert "Kept unless ticked" not in text_of(app, "#intro")
        assert text_of(app, "#extras").endswith(" ".join(["dkms", *parts]))
        packages.deselect(toolkit)
        await settle(pilot)
        assert str(packages.get_option(parts[0]).prompt).startswith(f"keep  {parts[0]} ")
        assert parts[0] in text_of(app, "#intro").split("Kept unless ticked:")[1]
        packages.select(toolkit)
        await settle(pilot)
        await pilot.press("n", "enter")
        await settle(pilot)
        for _ in range(2):  # Select, Stack: the defaults
            await pilot.press("n")
            await settle(pilot)
        assert screen_name(app) == "InstallScreen"
        await wait_in_app(pilot, lambda: app.screen.phase == "confirm", "the plan")
        plan_text = text_of(app, "#plan").replace("\n", " ")
        assert "Purge 21 packages, as ticked on the Purge screen; kept: nothing" in plan_text
        assert "autoremove would remove kept packages" not in plan_text
        assert app.state.plan.autoremoved_list == parts
        assert not app.screen.query_one("#apply").disabled


def test_the_purge_screen_takes_apts_answer_over_the_known_dependencies():
    """Before the autoremove simulation answers, the toolkit's parts are marked by what they
    are known to need; once it answers for these ticks, by what apt says (a part installed by
    hand stays); an answer for other ticks is not used."""
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host
    from nvwizard.tui.backend import LayersBackend
    from nvwizard.tui.controllers.purge import PurgeController
    from nvwizard.tui.state import WizardState

    host = demo_host("hgx-h100")
    state = WizardState(host=host, report=build_report(host))
    controller = PurgeController(state, LayersBackend())
    parts = {"libnvidia-container-tools", "libnvidia-container1", "nvidia-container-toolkit-base"}
    assert controller.autoremoved() == set()
    controller.set_ticked(state.ticked | {"nvidia-container-toolkit"})
    assert controller.autoremoved() == parts
    ticks = frozenset(state.ticked)
    controller.simulated(ticks, ["dkms", "libnvidia-container-tools"])  # the rest by hand
    assert controller.autoremoved() == {"libnvidia-container-tools"}
    intro = controller.intro()
    assert intro.endswith(
        "Kept unless ticked: libnvidia-container1, nvidia-container-toolkit-base."
    )
    controller.set_ticked(ticks - {"nvidia-driver-535-server"})
    assert controller.autoremoved() == parts  # the answer was for other ticks


async def _to_install_with(pilot, driver: str) -> None:
    """From Purge (confirmed as it is) through Select (`driver`) and Stack to Install."""
    from textual.widgets import DataTable

    app = pilot.app
    await pilot.press("n", "enter")
    await settle(pilot)
    table = app.screen.query_one(DataTable)
    rows = [row.value for row in table.rows]
    while rows[table.cursor_row] != driver:
        await pilot.press("down" if rows.index(driver) > table.cursor_row else "up")
    await pilot.press("enter")  # Select -> Stack
    await settle(pilot)
    await pilot.press("n")  # Stack -> Install
    await settle(pilot)
    assert screen_name(app) == "InstallScreen"
    await wait_in_app(pilot, lambda: app.screen.phase == "confirm", "the plan and its simulation")


async def test_a_dragged_package_is_named_with_what_to_do_and_following_it_works():
    """535-server-open keeps fabric manager 535, whose purge the driver's drags along: the
    Install screen names it and says to tick it on Purge; b three times lands there with the
    list focused (Down, Space work at once); ticked, the plan goes."""
    fabric = "nvidia-fabricmanager-535"
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#packages").deselect(fabric)  # keep it (as if unticked)
        await settle(pilot)
        assert fabric not in app.state.ticked
        await _to_install_with(pilot, "nvidia-driver-535-server-open")
        plan_text = text_of(app, "#plan").replace("\n", " ")
        assert app.screen.query_one("#apply").disabled
        assert f"purge would also remove packages you did not confirm: {fabric}" in plan_text
        assert f"{fabric} cannot stay without the driver: press b three times" in plan_text
        await pilot.press("b", "b", "b")
        await settle(pilot)
        assert screen_name(app) == "PurgeScreen"
        packages = app.screen.query_one("#packages")
        assert app.focused is packages
        rows = [packages.get_option_at_index(i).value for i in range(packages.option_count)]
        while rows[packages.highlighted] != fabric:
            await pilot.press("down")
        await pilot.press("space")
        await settle(pilot)
        assert fabric in app.state.ticked
        await _to_install_with(pilot, "nvidia-driver-535-server-open")
        assert not app.screen.query_one("#apply").disabled, text_of(app, "#plan")
        assert fabric in app.state.plan.purge_list


async def test_verify_on_a_machine_without_an_nvidia_gpu_says_so_plainly():
    """Driver packages installed, no GPU: `v` opens Verify, which says what `nvwizard verify`
    says (the engine's line), not six failed checks."""
    from tests.tui.fakes import FakeBackend, fake_report
    from tests.tui.test_walk_fake import make_app

    backend = FakeBackend(fake_report(gpus=False, installed=True))
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert screen_name(app) == "VerifyScreen"
        checks = text_of(app, "#checks")
        assert (
            checks == "No NVIDIA GPU found on demo fake-hgx: there is no NVIDIA driver to verify."
        )
        assert app.state.verify_result is None
        await pilot.press("n")  # back to Detect, as after any verification
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"


def test_the_wizard_and_the_cli_say_the_same_line_without_a_gpu(capsys):
    from nvwizard.cli.main import main
    from nvwizard.simulator import demo_host
    from nvwizard.tui.backend import LayersBackend

    assert main(["verify", "--demo", "vm-no-gpu"]) == 3
    said = capsys.readouterr().out.strip()
    assert said.startswith("No NVIDIA GPU found on demo vm-no-gpu")
    assert LayersBackend().nothing_to_verify(demo_host("vm-no-gpu")) == said


async def test_an_unknown_cuda_and_support_show_as_a_dash_as_the_cli_shows_them():
    from dataclasses import replace

    from textual.widgets import DataTable

    from tests.tui.fakes import FakeBackend, fake_report
    from tests.tui.test_walk_fake import make_app

    report = fake_report()
    first = report.driver_candidates[0]
    report.driver_candidates[0] = replace(first, cuda=None, support=None)
    app = make_app(FakeBackend(report))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")  # Purge
        await settle(pilot)
        await pilot.press("n", "enter")  # Select
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        row = [str(cell) for cell in table.get_row(first.package)]
        assert row[-3:] == ["-", first.end_of_life, "-"], row
        assert "?" not in row


class GatedBackend:
    """The stand-in backend whose apply waits before each step until the test lets it go."""

    def __new__(cls, before: str = "StepStarted"):
        """`before`: the event (a class name of engine/events.py) each step waits before."""
        import threading

        from nvwizard.engine import events as ev
        from tests.tui.fakes import FakeBackend, FakeRun

        backend = FakeBackend()
        backend.gate = threading.Semaphore(0)
        held = getattr(ev, before)

        def start_apply(host, plan, sink):
            def gated(event):
                if isinstance(event, held):
                    assert backend.gate.acquire(timeout=120), "the test never let the step go"
                sink(event)

            backend.run = FakeRun(plan, gated)
            return backend.run

        backend.start_apply = start_apply
        return backend


async def _start_the_gated_install(pilot) -> None:
    from tests.tui.test_walk_fake import settle as settle_fake

    app = pilot.app
    await settle_fake(pilot)
    for keys in (("n",), ("n", "enter"), ("n",), ("n",)):  # Purge, confirmed; Select; Stack
        await pilot.press(*keys)
        await settle_fake(pilot)
    assert screen_name(app) == "InstallScreen" and app.screen.phase == "confirm"
    await pilot.press("n", "enter")  # Install: the worker waits at the first step
    await pilot.pause(0.1)
    assert app.screen.phase == "running"


def _log_text(app) -> str:
    return "\n".join(app.screen.query_one("#full-log").lines)


async def test_the_full_log_follows_the_install_while_it_runs():
    from tests.tui.test_walk_fake import make_app

    backend = GatedBackend()
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await _start_the_gated_install(pilot)
        backend.gate.release()  # the first step
        progress = app.controllers.install.progress
        await wait_in_app(pilot, lambda: "[line 2]" in "".join(progress.lines), "the first step")
        await pilot.press("l")
        await pilot.pause(0.1)
        assert screen_name(app) == "LogScreen"
        assert "[line 2]" in _log_text(app)
        second = list(progress.status)[1]
        assert f"{second} [line 0]" not in _log_text(app)
        backend.gate.release()  # the second step, while the full log is open
        await wait_in_app(pilot, lambda: f"{second} [line 2]" in _log_text(app), "the new lines")
        assert f"Full log: {len(progress.lines)} lines" in text_of(app, "#stepbar")
        backend.gate.release(100)


async def test_stop_after_this_step_says_where_it_stops_then_where_it_stopped():
    """The apply runs in the wizard's process: the wizard stays on screen saying which step
    it waits for, then leaves with one line saying where it stopped and what next."""
    from tests.tui.test_walk_fake import make_app

    backend = GatedBackend(before="StepFinished")  # each step runs until the test lets it end
    app = make_app(backend)
    said: list[str | None] = []
    real_exit = app.exit
    app.exit = lambda *args, **kwargs: (
        said.append(kwargs.get("message")) or real_exit(*args, **kwargs)
    )
    async with app.run_test(size=SIZE) as pilot:
        await _start_the_gated_install(pilot)
        first = next(iter(app.controllers.install.progress.titles.values()))
        await wait_in_app(pilot, lambda: app.controllers.install.running_step, "the first step")
        await pilot.press("q")
        await pilot.pause(0.1)
        assert screen_name(app) == "QuitDuringInstallScreen"
        await pilot.press("tab", "enter")  # "Stop after this step, quit"
        await wait_in_app(pilot, lambda: "Stopping" in text_of(app, "#hint"), "the notice")
        assert app.is_running and screen_name(app) == "InstallScreen"
        assert f"Stopping the install after the running step ({first})" in text_of(app, "#hint")
        backend.gate.release(100)  # the step ends; the apply stops before the next one
        await wait_in_app(pilot, lambda: said, "the wizard to leave")
    assert said == [
        f"nvwizard: the install stopped as asked, after: {first}; the rest did not run. "
        "Run nvwizard again to finish it."
    ]


async def test_a_terminal_smaller_than_80x24_gets_a_notice_that_goes_when_it_grows():
    app = demo_app("hgx-h100")
    async with app.run_test(size=(70, 20)) as pilot:
        await settle(pilot)
        notice = app.screen.query_one("#too-small")
        assert notice.display
        assert text_of(app, "#too-small") == "! Terminal 70x20, smaller than 80x24: enlarge it."
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert not app.screen.query_one("#too-small").display
        await pilot.resize_terminal(100, 23)
        await pilot.press("n")  # the next screen says it too
        await settle(pilot)
        assert screen_name(app) == "PurgeScreen"
        assert text_of(app, "#too-small") == "! Terminal 100x23, smaller than 80x24: enlarge it."
        assert app.screen.query_one("#too-small").display


async def test_a_declined_purge_plans_no_keep_and_no_also_purge_from_the_ticks():
    """hgx-h100: ticks changed, then "Keep the installed driver": the plan purges nothing, and
    the ticks are not passed as --keep/--also-purge, which the plan refuses without a purge."""
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        packages = app.screen.query_one("#packages")
        packages.deselect("nvidia-driver-535-server")
        packages.select("nvidia-container-toolkit")
        await settle(pilot)
        await pilot.press("tab", "tab", "enter")  # list -> Purge -> Keep the installed driver
        await settle(pilot)
        assert screen_name(app) == "SelectScreen" and not app.state.purge
        for _ in range(2):  # Select, Stack: the defaults
            await pilot.press("n")
            await settle(pilot)
        assert screen_name(app) == "InstallScreen"
        await wait_in_app(pilot, lambda: app.screen.phase == "confirm", "the plan")
        plan = app.state.plan
        # nothing of the driver is purged: only the other branch's fabric manager and NSCQ,
        # which would stay beside the new branch's (NVSwitch board), and no autoremove
        assert plan is not None and plan.step("autoremove") is None
        assert plan.purge_list == ["libnvidia-nscq-535", "nvidia-fabricmanager-535"]
        assert (plan.choices.purge, plan.choices.keep, plan.choices.also_purge) == (False, (), ())
