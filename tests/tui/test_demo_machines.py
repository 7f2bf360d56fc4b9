"""The wizard on every demo machine, with the real layers below it (keys only)."""

from __future__ import annotations

import os

import pytest

from nvwizard.host.demo import DEMOS
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from nvwizard.tui.tour import TOUR_DAY, demo_app, settle
from tests.waiting import wait_in_app

SIZE = (80, 24)
WITH_GPU = [d.name for d in DEMOS if d.name != "vm-no-gpu"]


def screen_name(app) -> str:
    return type(app.screen).__name__


def text_of(app, selector: str) -> str:
    widget = app.screen.query_one(selector)
    if hasattr(widget, "plain"):  # LinesView: the lines, not the wrapped rows
        return widget.plain
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


@pytest.mark.parametrize("name", [d.name for d in DEMOS])
async def test_detect_summarises_each_demo_machine(name):
    report = build_report(demo_host(name), TOUR_DAY)  # the day demo_app judges on
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
async def test_whole_path_through_the_reboot_to_a_passing_verify(name):
    """Detect -> (Purge) -> Select -> Install -> Reboot now -> the machine comes up -> Verify."""
    app = demo_app(name)
    async with app.run_test(size=SIZE) as pilot:
        seen = await walk_to_reboot(pilot)
        assert seen[-1] == "RebootScreen", (seen, app.state.outcome)
        assert app.state.outcome.status == "done"
        assert ("PurgeScreen" in seen) == bool(app.state.proposed_purge)
        driver = app.state.plan.driver
        assert driver == app.state.report.recommended_driver

        await choose(pilot, "now")  # "Reboot now" (a fresh machine offers loading it first)
        await settle(pilot)

        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["DetectScreen", "VerifyScreen"]
        checks = text_of(app, "#checks")
        if name == "gtx1080-secureboot":
            # The supported 580 has no signed modules for this kernel (the ended 570 had):
            # the DKMS module loads only once its MOK is enrolled at the console, and Verify
            # says so instead of passing.
            assert not app.state.verify_result.ok and "MOK" in checks, checks
            return
        assert app.state.verify_result.ok, checks
        assert "✗" not in checks and "The driver works. Nothing left to do." in checks
        label = demo_host(name).label  # what `nvwizard detect --demo NAME` says now
        assert label.startswith(f"demo {name} (after your changes: ") and "rebooted" in label
        assert f"DEMO: nothing on this machine is changed ({label})" in text_of(app, "#banner")
        await pilot.press("n")  # back to the fresh Detect summary
        await settle(pilot)
        summary = text_of(app, "#summary")
        assert screen_name(app) == "DetectScreen"
        assert f"Loaded module: nvidia {app.state.report.loaded_module.version}" in summary
        assert not app.state.report.reboot_required


@pytest.mark.parametrize("button_id", ["now", "soon"])
async def test_after_its_reboot_the_wizard_names_the_machine_as_the_command_line_does(button_id):
    """After the wizard's own simulated reboot, the banner and Detect's "✓ Detected" line
    still said "demo NAME" as at the start, while `nvwizard detect --demo NAME` said "demo NAME
    (after your changes: ..., rebooted)": the wizard shows the label the machine has now."""
    name = "rtx3090-fresh"
    app = demo_app(name)
    async with app.run_test(size=SIZE) as pilot:
        assert app.state.host.label == f"demo {name}"
        await walk_to_reboot(pilot)
        await choose(pilot, button_id)  # Reboot now / In one minute
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["DetectScreen", "VerifyScreen"]
        label = demo_host(name).label  # the command line's, from the saved machine
        assert label == f"demo {name} (after your changes: 11 packages installed, rebooted)"
        assert app.state.host.label == label
        banner = f"DEMO: nothing on this machine is changed ({label})"
        assert banner in text_of(app, "#banner")  # Verify's
        detect = app.screen_stack[1]
        assert banner in str(detect.query_one("#banner").render())
        assert f"✓ Detected {label}" in str(detect.query_one("#progress").render())


async def choose(pilot, button_id: str) -> None:
    """Press a Reboot screen button by keys: focus it with Tab, then Enter."""
    app = pilot.app
    for _ in range(6):
        if app.focused is not None and app.focused.id == button_id:
            break
        await pilot.press("tab")
    assert app.focused.id == button_id
    await pilot.press("enter")


async def to_screen(pilot, wanted: str) -> None:
    await settle(pilot)
    for _ in range(4):
        name = screen_name(pilot.app)
        if name == wanted:
            return
        await pilot.press(*(("n", "enter") if name == "PurgeScreen" else ("n",)))
        await settle(pilot)


async def to_install_confirm(pilot) -> None:
    await settle(pilot)
    for _ in range(4):
        name = screen_name(pilot.app)
        if name == "InstallScreen":
            return
        await pilot.press(*(("n", "enter") if name == "PurgeScreen" else ("n",)))
        await settle(pilot)


async def test_a_failing_postinst_shows_what_failed_and_the_repair(monkeypatch):
    from nvwizard.plan.build import build_plan, default_choices

    report = build_report(demo_host("hgx-h100"))
    failing = build_plan(report, default_choices(report)).install_list[0]
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", failing)
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await to_install_confirm(pilot)
        await pilot.press("n", "enter")
        await settle(pilot)
        outcome = app.state.outcome
        assert outcome.status == "failed"
        text = text_of(app, "#outcome")
        assert "FAILED" in text and outcome.message[:40] in text.replace("\n", " ")
        assert f"log: {outcome.log_path}" in text
        assert outcome.log_path.startswith(os.environ["NVWIZARD_LOG_DIR"])
        # the demo's repair: its Repair button (after the wizard, status's words); never this
        # computer's `dpkg --configure -a`
        assert "repair: Enter repairs the demo's package manager" in text
        assert "dpkg" not in text and "sudo" not in text
        saved = os.environ["NVWIZARD_STATE_DIR"] + "/demo-machines/hgx-h100.json"
        said = (
            f"run `nvwizard install --demo hgx-h100 --driver {app.state.plan.driver}` again (its "
            "plan first repairs what the demo's package manager left unfinished), or reset the "
            f"demo to its bundle: `rm {saved}`."
        )
        assert app.controllers.install.parting() == (
            f"nvwizard: the install on {app.state.host.label} failed. Next: {said}"
        )
        farewell = app.controllers.install.farewell()  # had it been quit while running
        assert farewell.endswith(f"Next: {said}") and "dpkg" not in farewell
        assert app.focused.id == "repair"
        assert not app.screen.can_go_next()  # no way on to the reboot after a failure
        monkeypatch.delenv("NVWIZARD_DEMO_FAIL")  # the cause is fixed: the repair now succeeds
        await pilot.press("enter")
        await settle(pilot)
        progress = app.controllers.install.progress
        assert app.state.outcome.status == "done", progress.lines[-30:]
        assert "dpkg --configure -a" in "\n".join(progress.lines)
        # plan/build.py's repair plan from a fresh detection: only that report knows which
        # packages the failure left unfinished, and the verify step checks exactly those
        assert list(progress.titles.values()) == [
            "Repair the package manager",
            "Check the repaired packages",
            "Check that dpkg is healthy",
        ]
        assert set(progress.status.values()) == {"done"}
        verify_line = next(line for line in progress.lines if line.startswith("$ dpkg-query -W"))
        assert failing in verify_line.split()


async def test_quitting_after_a_failed_demo_install_says_how_to_repair_the_demo(
    monkeypatch, capsys
):
    """The Install screen has room for the Repair button's line only: leaving, the wizard
    says what repairs the demo from the command line (it said nothing)."""
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "nvidia-kernel-common-595-server")
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await to_install_confirm(pilot)
        await pilot.press("n", "enter")
        await settle(pilot)
        assert app.state.outcome.status == "failed"
        parting = app.controllers.install.parting()
        assert parting.startswith("nvwizard: the install on demo rtx3090-fresh")
        assert "Next: run `nvwizard install --demo rtx3090-fresh --driver " in parting
        await pilot.press("q")
        await wait_until_gone(pilot)
    assert app.return_code == 1  # the install failed (install's code)
    said = capsys.readouterr().err  # printed once the terminal is restored, wrapped
    assert "".join(said.split()) == "".join(parting.split())


async def test_quit_during_a_demo_install_asks_then_stops_after_the_step(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "1")  # slow enough to still be running
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await to_install_confirm(pilot)
        await pilot.press("n", "enter")
        progress = app.controllers.install.progress
        await wait_in_app(pilot, lambda: bool(progress.lines), "the install's first line")
        assert app.controllers.install.running
        await pilot.press("b")  # no going back while installing
        await pilot.press("q")
        await pilot.pause()
        assert screen_name(app) == "QuitDuringInstallScreen"
        await pilot.press("tab", "enter")  # "Stop after this step, quit"
        await app.workers.wait_for_complete()
        # the wizard leaves once the screen has the outcome (at its next drain)
        await wait_until_gone(pilot)
    assert app.controllers.install.progress.outcome.status == "cancelled"
    assert app.return_code == 1  # cancelled: install's code
    assert app.controllers.install.run.engine.cancelled


async def wait_until_gone(pilot) -> None:
    for _ in range(200):
        if not pilot.app.is_running:
            return
        await pilot.pause(0.05)
    raise AssertionError("the wizard did not leave")


async def test_reboot_in_one_minute_on_a_demo_goes_on_to_verify():
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_reboot(pilot)
        explanation = text_of(app, "#explain")
        # it said "After the reboot, log in again and run: sudo nvwizard", which looks at this
        # computer: the demo's reboot is the wizard's to follow, and its verify is its own
        assert "the wizard detects it again and opens Verify" in explanation
        assert "nvwizard verify --demo rtx3090-fresh   (the same checks)" in explanation
        assert "sudo" not in explanation
        await choose(pilot, "soon")  # "In one minute"
        await settle(pilot)
        message = app.controllers.reboot.result
        assert message.startswith("DEMO:") and "nothing real is rebooted" in message
        assert "shutdown -c" in message
        assert screen_name(app) == "VerifyScreen" and app.state.verify_result.ok


async def test_later_on_a_demo_says_how_the_demo_reboots_not_this_computer():
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_reboot(pilot)
        await choose(pilot, "later")
        await settle(pilot)
        said = app.controllers.reboot.result
        assert said == (
            "No reboot now. Reboot the demo when it suits you: `nvwizard reboot --demo "
            "rtx3090-fresh` reboots it, or `nvwizard activate --demo rtx3090-fresh` loads it "
            "without a reboot where that is safe; then run `nvwizard verify --demo rtx3090-fresh`."
        )


async def test_a_load_that_fails_on_a_demo_offers_the_demos_reboot_not_this_computers(
    monkeypatch,
):
    """The activation's next action said "Reboot to load the new driver (`sudo reboot`), then
    run `sudo nvwizard verify`": the demo reboots by the buttons below it."""
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "load:nvidia")
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_reboot(pilot)
        await choose(pilot, "activate")
        activate = app.controllers.activate
        await wait_in_app(pilot, lambda: activate.outcome is not None, "the load's outcome")
        await settle(pilot)
        outcome = text_of(app, "#outcome")
        assert outcome.startswith("✗ Not activated: the new driver did not load")
        assert "The reboot loads it: choose below." in outcome
        assert "sudo" not in outcome and "nvwizard install" not in outcome


async def test_a_dkms_driver_under_secure_boot_fails_verify_with_the_fix():
    """The GTX 1080 demo has Secure Boot on and no signed modules for 580: DKMS builds the
    module, nobody enrolls its key at the console, the module is rejected at the boot."""
    app = demo_app("gtx1080-secureboot")
    async with app.run_test(size=SIZE) as pilot:
        await to_screen(pilot, "SelectScreen")
        for _ in range(20):
            if app.screen.query_one("#drivers").cursor_row == 0:
                break
            await pilot.press("up")
        await pilot.press("down", "down", "n")  # nvidia-driver-580-server
        await settle(pilot)
        seen = await walk_to_reboot(pilot)
        assert seen[-1] == "RebootScreen" and app.state.plan.modules == "dkms"
        explained = " ".join(text_of(app, "#explain").split())
        # before the reboot: it will not load the module (the simulator enrols no key)
        assert "so it loads on the demo neither now nor after a reboot." in explained
        assert "mokutil" not in explained
        await pilot.press("left", "enter")
        await settle(pilot)
        assert screen_name(app) == "VerifyScreen"
        checks = " ".join(text_of(app, "#checks").split())
        assert "✗ module-loaded: the nvidia kernel module is not loaded" in checks
        assert "fix: A reboot does not load it: on this demo the simulated boot rejects" in checks
        # the way to a driver that loads here, in the wizard's keys; a real machine's steps
        assert (
            "install one with Canonical's signed modules (no supported branch has them here: "
            "nvidia-driver-570-server is past its end of life, branch 570 ended 2026-02): b, then "
            "n on the Detect summary, and choose nvidia-driver-570-server on Select."
        ) in checks
        assert "On a real machine: run `sudo mokutil --import" in checks
        assert "Something is wrong: apply the fixes above." in checks


async def test_verify_on_the_nvml_mismatch_demo_names_the_fix():
    app = demo_app("nvml-mismatch")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert screen_name(app) == "VerifyScreen"
        checks = text_of(app, "#checks")
        assert "✗ module-version" in checks and "fix:" in checks
        # the demo's reboot with this wizard's keys, never this computer's `sudo reboot`
        assert (
            "fix: Reboot the demo: install a driver (b, then n on the Detect summary) and "
            "reboot it on the Reboot screen; the wizard verifies it again after the reboot."
        ) in checks
        assert "sudo reboot" not in checks and "sudo nvwizard" not in checks
        await pilot.press("b")
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"


async def test_nothing_to_verify_on_a_fresh_machine():
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"


async def test_reattach_replays_a_background_apply_from_its_journal(monkeypatch):
    """`nvwizard` while (or after) an apply ran in the background: the Install screen with
    the whole log from the journal and the outcome, here a failure with its repair."""
    from nvwizard.engine.journal import Journal
    from nvwizard.engine.runner import Engine
    from nvwizard.plan.build import build_plan, default_choices
    from nvwizard.tui.app import WizardApp
    from nvwizard.tui.backend import LayersBackend
    from nvwizard.tui.state import WizardState

    host = demo_host("hgx-h100")
    report = build_report(host)
    plan = build_plan(report, default_choices(report))
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", plan.install_list[0])
    with Journal.for_host(host) as journal:
        Engine(host, plan, journal=journal).run()

    class Reattaching(LayersBackend):
        def apply_to_follow(self, host):
            return str(journal.events_path)

    app = WizardApp(WizardState(host=demo_host("hgx-h100")), Reattaching(), spinners=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_in_app(pilot, lambda: app.state.outcome is not None, "the replayed outcome")
        assert screen_name(app) == "InstallScreen" and app.screen.following
        assert app.state.outcome.status == "failed"
        lines = app.controllers.install.progress.lines
        assert any(plan.install_list[0] in line for line in lines)
        assert "repair: Enter repairs the demo's package manager" in text_of(app, "#outcome")
        steps = text_of(app, "#steps")
        assert "✓ Refresh the package lists" in steps and "✗ " in steps
        await pilot.press("b")
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"


def test_quitting_cuts_the_simulated_reboot_minute_short(monkeypatch):
    """The wizard's quit sets `hurry`: the worker then boots at once instead of sleeping
    the scheduled minutes (here hours, at this speed) before the process may exit."""
    import threading

    from nvwizard.engine.reboot import schedule_reboot
    from nvwizard.tui.backend import LayersBackend

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "10000")
    host = demo_host("rtx3090-fresh")
    schedule_reboot(host, 1)
    hurry = threading.Event()
    hurry.set()

    assert LayersBackend().await_reboot(host, hurry) is True
    assert "nouveau" in host.read("lsmod.txt")  # it booted, with no driver installed


def test_a_real_machine_never_waits_for_a_simulated_boot():
    from nvwizard.host.local import LocalHost
    from nvwizard.tui.backend import LayersBackend

    assert LayersBackend().await_reboot(LocalHost()) is False


def test_the_wizard_s_reboot_of_a_demo_kept_in_the_state_dir_is_seen_by_later_commands(
    tmp_path, monkeypatch
):
    """The wizard's backend installs and reboots the demo; a new host on the same state
    directory (a later `nvwizard detect --demo`, `verify --demo`) comes up with that driver."""
    from nvwizard.plan.build import build_plan, default_choices
    from nvwizard.tui.backend import LayersBackend

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(tmp_path / "log"))
    backend = LayersBackend()
    host = demo_host("rtx3090-fresh")
    report = build_report(host)
    plan = build_plan(report, default_choices(report))
    outcome = backend.start_apply(host, plan, lambda event: None).run()
    assert outcome.status == "done", outcome.message
    backend.reboot(host, 1)
    assert backend.await_reboot(host) is True

    later = build_report(demo_host("rtx3090-fresh"))
    assert later.source.startswith("demo rtx3090-fresh (after your changes: ")
    assert later.loaded_module is not None and not later.reboot_required
    assert {p.name for p in later.installed_packages} >= set(plan.install_list)


async def test_a_kept_demo_s_banner_shows_its_changes_whole_at_80_columns(tmp_path, monkeypatch):
    from nvwizard.tui.app import WizardApp
    from nvwizard.tui.backend import LayersBackend
    from nvwizard.tui.state import WizardState

    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    kept = demo_host("hgx-h100", state_dir=tmp_path)
    assert kept.start(["apt-get", "-y", "purge", "nvidia-driver-535-server"]).wait() == 0
    host = demo_host("hgx-h100", state_dir=tmp_path)
    assert "(after your changes: " in host.label

    app = WizardApp(WizardState(host=host), LayersBackend(), spinners=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        banner = app.screen.query_one("#banner")
        text = str(banner.render())
        assert text == f"DEMO: nothing on this machine is changed ({host.label})"
        assert 80 < len(text) <= 2 * 80
        assert banner.region.height == 2  # one row would cut the changes off


@pytest.mark.parametrize("content", ["[1,2]", '{"finished":"y"}', '{"events":7}', "{trunc"])
async def test_a_damaged_state_file_is_said_on_detect_and_the_wizard_goes_on(places, content):
    """Facts of a demo machine, treated as this machine (so the state file is read)."""
    from nvwizard.host.bundle import BundleHost
    from nvwizard.host.demo import find_demo
    from nvwizard.tui.app import WizardApp
    from nvwizard.tui.backend import LayersBackend
    from nvwizard.tui.state import WizardState

    state, _ = places
    state.mkdir(parents=True)
    (state / "state.json").write_text(content)
    host = BundleHost(find_demo("hgx-h100").path, kind="local", label="this machine")
    app = WizardApp(WizardState(host=host), LayersBackend(), spinners=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_name(app) == "DetectScreen"
        summary = text_of(app, "#summary").replace("\n", " ")
        assert f"! the state file {state / 'state.json'} is damaged (" in summary
        assert "move it aside" in summary
        assert app.state.follow is None and not app.state.verify_pending
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "PurgeScreen"  # still usable


async def test_the_purge_screen_counts_the_jobs_not_nvidias_gpu_services():
    """hgx-h100: 8 training processes and the daemons of nvidia-persistenced and fabric
    manager hold the GPU; the daemons go and come back with the driver: they are no jobs."""
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await to_screen(pilot, "PurgeScreen")
        extras = text_of(app, "#extras")
        assert "8 process(es) use the GPU and will die" in extras
        assert "nvidia-persiste" not in extras and "nv-fabricmanage" not in extras


async def test_the_wizards_plan_on_the_hgx_pins_the_repository_and_carries_the_holds():
    """The hgx demo has NVIDIA's CUDA repository configured, unpinned, and its fabric manager
    held: the wizard's plan (the same builder as `plan` and `export`) writes the pin before
    the install and holds the new fabric manager after it, and shows both."""
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await to_install_confirm(pilot)
        ids = [s.id for s in app.state.plan.steps]
        assert ids.index("cuda-pin") < ids.index("install")
        shown = " ".join(text_of(app, "#plan").split())
        assert "Keep NVIDIA's CUDA repository from supplying the driver" in shown
        hold = app.state.plan.step("hold")
        assert hold.commands == [
            ["apt-mark", "hold", "nvidia-fabricmanager-595", "libnvidia-nscq-595"]
        ]
        assert "Held by an administrator: libnvidia-nscq-535, nvidia-fabricmanager-535." in shown


async def test_select_on_bookworm_shows_the_versions_and_recommends_the_newer_build():
    """debian12-t4: both nvidia-driver (535.309.01, bookworm-security) and
    nvidia-tesla-535-driver (535.216.03) are branch 535; Select shows what apt would install
    and puts the star on the newer build, and the older one's explanation says so."""
    from textual.widgets import DataTable

    app = demo_app("debian12-t4")
    async with app.run_test(size=(100, 32)) as pilot:
        await to_screen(pilot, "SelectScreen")
        table = app.screen.query_one(DataTable)
        assert [str(c.label) for c in table.ordered_columns][1:3] == ["Driver", "Version"]
        current = table.get_row("nvidia-driver")
        tesla = table.get_row("nvidia-tesla-535-driver")
        assert (current[0].plain, current[2].plain) == ("★", "535.309.01")
        assert (tesla[0].plain, tesla[2].plain) == ("", "535.216.03")
        keys = [row.key.value for row in table.ordered_rows]
        steps = keys.index("nvidia-tesla-535-driver") - table.cursor_row
        await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
        await settle(pilot)
        explained = " ".join(text_of(app, "#explain").split())
        assert "nvidia-driver 535.309.01-0+deb12u1, of the same branch, is a newer build" in (
            explained
        )


async def test_the_headless_box_moves_the_recommendation_and_the_plan_follows():
    """rtx5090-workstation runs a desktop: -open comes first. Ticking Headless ranks for a
    server: the ★ and the cursor move to -server-open, and the plan installs that; unticking
    moves them back (README rule 5)."""
    from textual.widgets import DataTable

    app = demo_app("rtx5090-workstation")
    async with app.run_test(size=(100, 32)) as pilot:
        await to_screen(pilot, "SelectScreen")
        table = app.screen.query_one(DataTable)

        def starred() -> str:
            rows = table.ordered_rows
            return next(r.key.value for r in rows if table.get_row(r.key)[0].plain == "★")

        def highlighted() -> str:
            return table.ordered_rows[table.cursor_row].key.value

        assert starred() == highlighted() == "nvidia-driver-595-open"
        assert not app.state.headless
        await pilot.press("tab", "space")
        await settle(pilot)
        assert app.state.headless
        assert starred() == highlighted() == "nvidia-driver-595-server-open"
        assert "Headless install\n" in text_of(app, "#explain")
        await pilot.press("space")
        await settle(pilot)
        assert starred() == highlighted() == "nvidia-driver-595-open"
        assert "Desktop install\n" in text_of(app, "#explain")
        await pilot.press("space", "shift+tab")
        await settle(pilot)
        await to_install_confirm(pilot)
        assert app.state.plan is not None
        assert app.state.plan.driver == "nvidia-driver-595-server-open"
        assert app.state.plan.choices.headless and app.state.plan.choices.persistenced
