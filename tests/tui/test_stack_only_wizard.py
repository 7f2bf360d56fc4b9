"""The wizard on a machine that already runs the planned driver (installed by `nvwizard
install`, rebooted): the Install screen shows only what the Stack screen adds (no purge, no
driver install, no reboot) or that there is nothing to do; r asks for the whole reinstall
(and back); the Purge screen proposes to keep the running driver; after a stack-only apply
the wizard goes to Verify, not to the Reboot screen."""

from __future__ import annotations

from textual.widgets import Button

from nvwizard.cli.main import main
from nvwizard.tui.tour import demo_app, settle, walk_to
from nvwizard.tui.widgets.footer import shown_keys
from tests.tui.test_demo_machines import screen_name, text_of

FRESH = "rtx3090-fresh"
DRIVER = "nvidia-driver-595-server-open"
SIZE = (80, 24)
DRIVER_KINDS = {"purge", "autoremove", "install", "stop-services", "reboot"}


def installed_and_rebooted(capsys) -> None:
    assert main(["install", "--demo", FRESH, "--yes"]) == 0
    assert main(["reboot", "--demo", FRESH, "--yes"]) == 0
    capsys.readouterr()


def footer(app) -> dict[str, str]:
    return {key.description: key.key_display for key in shown_keys(app.screen)}


def button(app, button_id: str) -> Button:
    return app.screen.query_one(f"#{button_id}", Button)


def plan_text(app) -> str:
    return " ".join(text_of(app, "#plan").split())


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def to_install(pilot, purge_keys: tuple[str, ...], cuda: bool) -> None:
    """Detect -> Purge (`purge_keys`) -> Select (the recommended driver) -> Stack (the newest
    toolkit the driver runs, or none) -> Install."""
    await settle(pilot)
    await press(pilot, "n")
    assert screen_name(pilot.app) == "PurgeScreen"
    await press(pilot, *purge_keys)
    assert screen_name(pilot.app) == "SelectScreen"
    await press(pilot, "enter")
    assert screen_name(pilot.app) == "StackScreen"
    await press(pilot, *(("down", "down", "enter") if cuda else ("enter",)))
    assert screen_name(pilot.app) == "InstallScreen" and pilot.app.screen.phase == "confirm"


async def test_the_purge_screen_proposes_to_keep_the_running_driver(capsys):
    installed_and_rebooted(capsys)
    app = demo_app(FRESH)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        assert screen_name(app) == "PurgeScreen"
        intro = " ".join(text_of(app, "#intro").split())
        assert intro.startswith(f"{DRIVER} runs (installed and loaded): kept as it is")
        assert str(button(app, "decline").label) == "Keep the running driver"
        assert str(button(app, "confirm").label) == "Purge 11 packages and reinstall"
        await press(pilot, "n")
        assert app.focused is button(app, "decline")  # n/Enter keeps; purging is a choice


async def test_a_cuda_toolkit_is_added_beside_the_running_driver_then_verify(capsys):
    installed_and_rebooted(capsys)
    app = demo_app(FRESH)
    async with app.run_test(size=SIZE) as pilot:
        await to_install(pilot, ("n", "enter"), cuda=True)
        plan = app.state.plan
        assert plan.keeps_driver and not plan.needs_reboot
        assert plan.purge_list == [] and plan.install_list == []
        assert plan.stack_list == ["cuda-toolkit-13-2"]
        assert not {step.kind for step in plan.steps} & DRIVER_KINDS
        text = plan_text(app)
        assert text.startswith(f"Driver {DRIVER} runs: it stays as it is")
        assert "nothing is purged, no driver is installed, no reboot is needed" in text
        assert "Purge " not in text and "remove: nothing" in text
        assert footer(app).get("Reinstall driver") == "r" and "Keep driver" not in footer(app)

        await press(pilot, "n", "enter")  # Install: run these steps
        for _ in range(100):
            if app.state.outcome is not None:
                break
            await pilot.pause(0.05)
        await settle(pilot)
        assert app.state.outcome.ok and not app.state.outcome.reboot_required
        outcome = text_of(app, "#outcome")
        assert "The driver stayed as it runs: no reboot is needed." in outcome
        assert str(button(app, "to-reboot").label) == "Next: Verify"
        await press(pilot, "n")
        assert screen_name(app) == "VerifyScreen"  # not the Reboot screen
        assert app.state.verify_result is not None and app.state.verify_result.ok
        assert text_of(app, "#hint") == "n or b: back to the Install screen; q quits."


async def test_r_shows_the_whole_reinstall_and_r_again_keeps_the_driver(capsys):
    installed_and_rebooted(capsys)
    app = demo_app(FRESH)
    async with app.run_test(size=SIZE) as pilot:
        await to_install(pilot, ("n", "enter"), cuda=True)
        await press(pilot, "r")
        plan = app.state.plan
        assert app.state.reinstall and not plan.keeps_driver and plan.needs_reboot
        headless = "nvidia-headless-no-dkms-595-server-open"
        assert headless in plan.purge_list and headless in plan.install_list
        text = plan_text(app)
        assert "It runs already: reinstalled as you asked. r: keep it instead" in text
        assert "Purge 11 packages, as ticked on the Purge screen" in text
        assert footer(app).get("Keep driver") == "r" and "Reinstall driver" not in footer(app)
        await press(pilot, "r")
        assert not app.state.reinstall and app.state.plan.keeps_driver
        assert app.state.plan.purge_list == []


async def test_the_purge_button_asks_for_the_reinstall(capsys):
    installed_and_rebooted(capsys)
    app = demo_app(FRESH)
    async with app.run_test(size=SIZE) as pilot:
        await to_install(pilot, ("tab", "enter"), cuda=False)  # Tab: to the Purge button
        plan = app.state.plan
        assert app.state.reinstall and not plan.keeps_driver and not plan.nothing_to_do
        assert len(plan.purge_list) == 11 and plan.needs_reboot
        assert "It runs already: reinstalled as you asked." in plan_text(app)


async def test_nothing_missing_says_so_and_offers_nothing_to_run(capsys):
    installed_and_rebooted(capsys)
    app = demo_app(FRESH)
    async with app.run_test(size=SIZE) as pilot:
        await to_install(pilot, ("n", "enter"), cuda=False)
        plan = app.state.plan
        assert plan.nothing_to_do and plan.steps == []
        assert app.state.simulation is None  # nothing to simulate
        text = plan_text(app)
        assert text.startswith(f"✓ Nothing to do: {DRIVER} is installed and loaded")
        assert "nothing is purged, installed or rebooted" in text
        apply = button(app, "apply")
        assert apply.disabled and str(apply.label) == "Nothing to install"
        await press(pilot, "n")
        assert app.focused is not apply and app.screen.phase == "confirm"
        assert footer(app).get("Reinstall driver") == "r"
        await press(pilot, "r")  # the reinstall only when asked, shown before anything runs
        assert app.state.plan.needs_reboot and not button(app, "apply").disabled
        assert app.state.outcome is None


async def test_the_simulation_shown_names_what_the_stack_installs(capsys):
    """The stack-only plan has no driver install to simulate: apt's answer for the stack is
    what it installs, as `plan --simulate` says ('then the developer stack installs'), never
    'install: nothing'."""
    hgx = "hgx-h100"  # NVIDIA's CUDA repository is there: apt simulates the stack
    assert main(["install", "--demo", hgx, "--yes", "--accept", "gpu-processes"]) == 0
    assert main(["reboot", "--demo", hgx, "--yes"]) == 0
    capsys.readouterr()
    app = demo_app(hgx)
    async with app.run_test(size=SIZE) as pilot:
        await to_install(pilot, ("n", "enter"), cuda=True)
        sim = app.state.simulation
        assert app.state.plan.keeps_driver and sim.install is None and sim.stack.install
        text = plan_text(app)
        assert "install: nothing" not in text
        added = " ".join(sorted(sim.stack.install))
        assert f"install {len(sim.stack.install)}: {added}" in text
        assert "cuda-toolkit-13-2" in added and "remove: nothing" in text


async def test_a_stack_apt_cannot_simulate_yet_is_not_said_to_install_nothing(capsys):
    """rtx3090-fresh has no CUDA repository: the plan adds it, so apt answers for the
    toolkit only in the stack-check step; the screen says so instead of 'install: nothing'."""
    installed_and_rebooted(capsys)
    app = demo_app(FRESH)
    async with app.run_test(size=SIZE) as pilot:
        await to_install(pilot, ("n", "enter"), cuda=True)
        assert app.state.plan.repositories and app.state.simulation.stack is None
        text = plan_text(app)
        assert "install: nothing" not in text and "install: not simulated yet" in text
        assert "apt checks it in the stack-check step" in text


async def wait_for(pilot, ready) -> None:
    for _ in range(100):
        if ready():
            break
        await pilot.pause(0.05)
    await settle(pilot)


async def test_verify_after_a_stack_only_apply_does_not_say_the_machine_rebooted():
    """One session: the driver installed and the demo rebooted, then (back on Detect) a
    toolkit added beside the running driver. Verify after that apply follows no reboot: it
    must not open with 'The machine rebooted'."""
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to(pilot, "08-verify")
        await wait_for(pilot, lambda: screen_name(app) == "VerifyScreen" and app.screen.done)
        assert text_of(app, "#intro").startswith("The machine rebooted.")
        await press(pilot, "n")  # back to the Detect summary of the rebooted machine
        # Purge: keep the running driver; Select: the same; Stack: CUDA 13.1 (the tour's
        # first round installed 13.2)
        await press(pilot, "n", "n", "enter", "enter", "down", "down", "down", "enter")
        assert app.state.plan.keeps_driver and app.state.plan.stack_list == ["cuda-toolkit-13-1"]
        await press(pilot, "n", "enter")
        await wait_for(pilot, lambda: app.state.outcome is not None)
        assert app.state.outcome.ok and not app.state.outcome.reboot_required
        await press(pilot, "n")
        await wait_for(pilot, lambda: screen_name(app) == "VerifyScreen" and app.screen.done)
        assert text_of(app, "#intro") == "Is the installed driver the one that runs?"
