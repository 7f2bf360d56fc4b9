"""The Reboot screen's fourth choice, "Load it now, no reboot": offered (by default on a fresh
machine) when the decision says it is safe, disabled with the reason otherwise; the steps as
they run, and the fallback to the reboot."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Button

from nvwizard.detect.models import LsmodEntry
from nvwizard.tui.app import WizardApp
from nvwizard.tui.state import WizardState
from nvwizard.tui.tour import demo_app, settle
from tests.tui.fakes import FRESH_MACHINE, FakeBackend, FakeHost
from tests.tui.test_demo_machines import screen_name, text_of, walk_to_reboot
from tests.tui.test_disabled_variant_demo import walk_to_select

SIZE = (80, 24)


async def until(pilot, condition, tries: int = 100) -> None:
    """Let the UI run until `condition()` holds (the activation's log drains on a timer)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the wizard never got there")


def button(app, button_id: str) -> Button:
    return app.screen.query_one(f"#{button_id}", Button)


# -- on demo machines, with the real layers ---------------------------------------------------


async def test_the_fresh_rtx3090_loads_in_place_from_the_reboot_screen():
    app = demo_app("rtx3090-fresh")
    async with app.run_test(size=SIZE) as pilot:
        assert (await walk_to_reboot(pilot))[-1] == "RebootScreen"
        await settle(pilot)
        assert not button(app, "activate").disabled
        assert app.focused is button(app, "activate")  # the default offer on a fresh machine
        assert "✓ Load it now, no reboot: nothing holds the driver: unload nouveau" in text_of(
            app, "#decision"
        )
        await pilot.press("enter")
        await until(pilot, lambda: app.controllers.activate.outcome is not None)
        await settle(pilot)
        outcome = text_of(app, "#outcome")
        driver = app.state.plan.driver
        assert f"✓ Activated: {driver} 595.58.03 is loaded without a reboot." in outcome
        steps = text_of(app, "#steps")
        assert "✓ Unload nouveau" in steps and "✓ Load the new driver" in steps
        assert not app.screen.query_one("#actions").display  # nothing left to choose
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "VerifyScreen" and app.state.verify_result.ok
        # Verify opened over the Reboot screen: its hint names where n and b go back to
        assert text_of(app, "#hint") == "n or b: back to the Reboot screen; q quits."
        await pilot.press("b")
        await settle(pilot)
        assert screen_name(app) == "RebootScreen"


async def test_the_hgx_with_training_jobs_offers_only_the_reboot_and_says_why():
    app = demo_app("hgx-h100")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_reboot(pilot)
        await settle(pilot)
        assert button(app, "activate").disabled
        assert app.focused is button(app, "soon")
        decision = " ".join(text_of(app, "#decision").split())
        assert decision.startswith(
            "Load it now, no reboot: not possible, the jobs using the GPU must stop first: "
            "8 processes, python3 of mlops (pid 1843117 and 7 more)."
        )
        # the install replaced fabric manager: none runs beside the old driver until the reboot
        assert decision.endswith(
            "! The old driver (nvidia 535.247.01) keeps running until the reboot, without "
            "fabric manager: the installed nvidia-fabricmanager-595 (595.58.03) runs only beside "
            "the 595.58.03 driver, so multi-GPU jobs over NVLink cannot start until the reboot."
        )


async def test_the_secure_boot_gtx1080_explains_the_mok_reboot():
    app = demo_app("gtx1080-secureboot")
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_reboot(pilot)
        await settle(pilot)
        assert button(app, "activate").disabled
        decision = " ".join(text_of(app, "#decision").split())
        assert "not possible, Secure Boot is on and the nvidia module was built by DKMS" in decision
        assert "also: nouveau drives the GPU" in decision


# -- on the stand-in backend ------------------------------------------------------------------


def fake_app(backend: FakeBackend, host=None) -> WizardApp:
    return WizardApp(WizardState(host=host or FakeHost()), backend, spinners=False)


async def at_the_reboot_screen(pilot) -> None:
    await settle(pilot)
    pilot.app.go("reboot")
    await settle(pilot)


async def test_a_load_that_fails_offers_the_reboot_with_the_exact_error():
    backend = FakeBackend(activation=FRESH_MACHINE, fail_step="load-nvidia")
    app = fake_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await at_the_reboot_screen(pilot)
        assert app.focused is button(app, "activate")
        await pilot.press("enter")
        await until(pilot, lambda: app.controllers.activate.outcome is not None)
        await settle(pilot)
        outcome = " ".join(text_of(app, "#outcome").split())
        assert outcome.startswith("✗ Not activated: the new driver did not load (")
        assert "nvidia-dkms-580 postinst exit 1" in outcome  # the failing step's own words
        assert "The reboot loads it: choose below." in outcome
        assert not button(app, "now").disabled and button(app, "activate").disabled
        assert app.focused is button(app, "soon")
        assert not app.screen.can_go_next()
        await pilot.press("enter")  # "In one minute"
        await settle(pilot)
        assert backend.reboots == [1]


async def test_not_root_disables_it_with_the_reason():
    backend = FakeBackend(activation=FRESH_MACHINE, refusal="Applying changes needs root.")
    app = fake_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await at_the_reboot_screen(pilot)
        assert button(app, "activate").disabled
        assert "not possible, Applying changes needs root." in text_of(app, "#decision")


async def test_an_upgrade_is_offered_but_not_the_default():
    """Safe, but an old driver must be unloaded and services stopped: the person chooses."""
    upgrade = replace(
        FRESH_MACHINE,
        nouveau=None,
        nouveau_bound=False,
        loaded_version="535.1",
        nvidia_modules=(LsmodEntry("nvidia", 56795136, (), 0),),
    )
    app = fake_app(FakeBackend(activation=upgrade))
    async with app.run_test(size=SIZE) as pilot:
        await at_the_reboot_screen(pilot)
        assert not button(app, "activate").disabled
        assert app.focused is button(app, "soon")
        assert "unload the old nvidia 535.1" in text_of(app, "#decision")


async def test_a_driver_that_runs_already_is_nothing_to_load_not_a_reason_for_a_reboot():
    """It once said "Load it now, no reboot: not possible, nvidia 580.95.05, the installed
    version, is loaded already" and offered the reboot as the way on."""
    running = replace(
        FRESH_MACHINE,
        nouveau=None,
        nouveau_bound=False,
        loaded_version="580.95.05",
        loaded_flavor="open",
        nvidia_modules=(LsmodEntry("nvidia", 56795136, (), 0),),
    )
    backend = FakeBackend(activation=running)
    app = fake_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await at_the_reboot_screen(pilot)
        decision = " ".join(text_of(app, "#decision").split())
        assert decision == (
            "✓ Nothing to load: nvidia 580.95.05, the installed version, is loaded already; "
            "no reboot is needed. n opens Verify, q quits."
        )
        assert "not possible" not in decision
        assert not app.screen.query_one("#actions").display  # no reboot to choose
        assert all(b.disabled for b in app.screen.query(Button)) and app.focused is None
        assert not app.screen.query_one("#explain").display  # nor "After the reboot, ..."
        assert app.screen.can_go_next()
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "VerifyScreen" and backend.reboots == []


async def test_quitting_while_it_loads_asks_first():
    backend = FakeBackend(activation=FRESH_MACHINE)
    app = fake_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await at_the_reboot_screen(pilot)
        activate = app.controllers.activate
        activate.outcome = None
        activate.run = object()  # a run in flight, as the screen sees it
        await pilot.press("q")
        await settle(pilot)
        assert screen_name(app) == "QuitDuringInstallScreen"
        assert "never in between" in str(app.screen.query_one("Static").render())


async def test_the_install_screen_names_load_it_now_not_the_command_lines_option():
    app = demo_app("rtx3090-fresh")  # nouveau is loaded: the plan warns about it
    async with app.run_test(size=SIZE) as pilot:
        await walk_to_select(pilot)
        await pilot.press("enter")  # the recommended driver
        await settle(pilot)
        await pilot.press("enter")  # Stack: none
        await settle(pilot)
        assert screen_name(app) == "InstallScreen"
        shown = " ".join(text_of(app, "#plan").split())
        assert "nouveau is loaded" in shown
        assert "(Load it now, on the Reboot screen, checks that)" in shown
        assert "--activate" not in shown


def test_a_failed_unload_says_what_the_old_driver_lacks_until_the_reboot():
    """On a demo the outcome's next action (its command-line reboot) is not shown, so the
    missing fabric manager is said on its own; not where no old driver runs any more."""
    from nvwizard.engine import events as ev
    from nvwizard.report.activation import LOAD, Activation
    from nvwizard.tui.controllers.activate import ActivateController

    meanwhile = "The old driver (nvidia 535.247.01) keeps running until the reboot, without x."
    controller = ActivateController(WizardState(host=FakeHost()), FakeBackend())
    controller.activation = Activation(LOAD, "nothing holds it", until_reboot=meanwhile)
    said = []
    for step in ("unload-nvidia", "load-nvidia"):
        controller.outcome = ev.Outcome(status=ev.FAILED, failed_step=step, message="x")
        said.append([line.text.strip() for line in controller.outcome_lines()])
    assert meanwhile in said[0]
    assert meanwhile not in said[1]
