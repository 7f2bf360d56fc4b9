"""The Install and Reboot screens when Secure Boot is on and DKMS built the module: on this
machine, the import to run before the reboot and MOK Manager at the boot (the install cannot
queue the enrolment: apt runs non-interactively); on a demo, that its simulated boot rejects
the module, so no reboot loads it there."""

from __future__ import annotations

from nvwizard.plan.models import Choices, Plan
from nvwizard.tui.controllers.install import InstallController
from nvwizard.tui.controllers.reboot import RebootController
from nvwizard.tui.controllers.secure_boot import installed_lines, reboot_lines
from nvwizard.tui.state import WizardState
from tests.tui.fakes import FakeBackend, FakeHost

MOK_DER = "/var/lib/shim-signed/mok/MOK.der"


def state_with(kind: str, certificate: str | None) -> WizardState:
    label = "this machine" if kind == "local" else "demo gtx1080-secureboot"
    state = WizardState(host=FakeHost(kind=kind, label=label))
    state.plan = Plan(
        steps=[],
        choices=Choices(driver="nvidia-driver-580-server"),
        host_label=label,
        driver="nvidia-driver-580-server",
        flavour="580-server",
        branch=580,
        modules="dkms",
        mok_certificate=certificate,
    )
    return state


def texts(lines) -> list[str]:
    return [line.text for line in lines]


def test_on_this_machine_the_reboot_screen_says_the_import_and_the_console_step():
    state = state_with("local", MOK_DER)
    assert texts(reboot_lines(state)) == [
        "! Secure Boot rejects the module DKMS built until its key is enrolled. Before the "
        "reboot, in a terminal (it asks twice for a one-time password):",
        f"  sudo mokutil --import {MOK_DER}",
        "  Then at the boot, on the console or BMC (not over SSH): MOK Manager (press a key "
        "within 10 seconds) -> Enroll MOK -> Continue -> Yes -> the password.",
        "",
    ]
    explained = texts(RebootController(state, FakeBackend()).explanation())
    assert f"  sudo mokutil --import {MOK_DER}" in explained
    assert explained.index(f"  sudo mokutil --import {MOK_DER}") < explained.index(
        "After the reboot, log in again and run:"
    )
    later = RebootController(state, FakeBackend()).later()
    assert later == (
        "No reboot now. Reboot when it suits you, then run `sudo nvwizard`. Before that reboot, "
        f"enrol DKMS's key: `sudo mokutil --import {MOK_DER}`, then MOK Manager on the console "
        "at the boot."
    )
    (line,) = texts(installed_lines(state))
    assert "the Reboot screen (n) says how, before the reboot" in line


def test_on_a_demo_the_screens_say_no_reboot_loads_it_and_ask_for_no_mokutil():
    state = state_with("demo", MOK_DER)
    said = texts(reboot_lines(state)) + texts(installed_lines(state))
    assert said[0] == (
        "! Secure Boot is on and DKMS built the module: on this demo the simulated boot rejects "
        "the module, as a real machine's does until its key is enrolled, and the simulator "
        "cannot enrol a key, so it loads on the demo neither now nor after a reboot."
    )
    assert not [line for line in said if "mokutil" in line or "sudo" in line]


def test_signed_modules_need_nothing_said():
    for kind in ("local", "demo"):
        state = state_with(kind, None)
        assert reboot_lines(state) == installed_lines(state) == []
        explained = texts(RebootController(state, FakeBackend()).explanation())
        assert not [line for line in explained if "Secure Boot" in line]


def test_the_install_screens_outcome_carries_the_line():
    state = state_with("local", MOK_DER)
    state.outcome = _done()
    lines = texts(InstallController(state, FakeBackend()).outcome_lines())
    assert lines[0].startswith("✓ Installed.")
    assert lines[1].startswith("! Secure Boot rejects the module DKMS built")


def _done():
    from nvwizard.engine import events as ev

    return ev.Outcome(status=ev.DONE, reboot_required=True)


def test_on_a_demo_the_install_and_reboot_screens_say_one_thing_about_loading_it():
    """The demo's module loads neither now nor at its reboot: no line may offer either (the
    Install screen said "Press n to load it: now where that is safe, or by a reboot" above
    the line saying no reboot loads it; the Reboot screen "The new driver runs once loaded")."""
    from nvwizard.tui.controllers.secure_boot import done_hint, next_label

    state = state_with("demo", MOK_DER)
    state.outcome = _done()
    installed = texts(InstallController(state, FakeBackend()).outcome_lines())
    assert installed[0] == "✓ Installed."
    assert installed[1].endswith("so it loads on the demo neither now nor after a reboot.")
    said = [*installed, done_hint(state), next_label(state)]
    said += texts(RebootController(state, FakeBackend()).explanation())
    assert not [line for line in said if "load it" in line or "runs once loaded" in line]
    assert "names a driver that loads here" in " ".join(said)
    # where the module loads, n still offers it
    real = state_with("local", MOK_DER)
    real.outcome = _done()
    assert "Press n to load it" in texts(InstallController(real, FakeBackend()).outcome_lines())[0]
    assert next_label(real) == "Next: load it or reboot"


def test_reboot_later_on_a_kept_demo_offers_no_activate_that_loads_nothing():
    """On a demo kept in the state directory, "Reboot later" named `nvwizard activate` as a
    way to load the driver, which the demo's boot and modprobe reject under Secure Boot with
    a module DKMS built (the end of `install` and `status` offer it nowhere there)."""
    for certificate in (MOK_DER, None):
        state = state_with("demo", certificate)
        state.host.saved_in = "/state/demo-machines/gtx1080-secureboot.json"
        later = RebootController(state, FakeBackend()).later()
        assert later.startswith("No reboot now. Reboot the demo when it suits you: ")
        assert ("nvwizard activate" in later) == (certificate is None), later


async def test_the_purge_screen_does_not_call_a_rejected_driver_running(capsys):
    """Installed with a DKMS-built module that the demo's Secure Boot rejects, and rebooted:
    the plan keeps the driver (nothing to reinstall), but nouveau runs, not it. The Purge
    screen says what the Install screen says, never 'runs (installed and loaded)'."""
    from textual.widgets import Button

    from nvwizard.cli.main import main
    from nvwizard.tui.tour import demo_app, settle
    from tests.tui.test_demo_machines import screen_name, text_of

    demo = "gtx1080-secureboot"
    accept = ["--accept", "secure-boot-dkms-only"]
    assert main(["install", "--demo", demo, "--yes", *accept]) == 0
    assert main(["reboot", "--demo", demo, "--yes", "--accept", "no-next-boot-module"]) == 0
    capsys.readouterr()
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.state.detected.loaded_module is None or (
            app.state.detected.loaded_module.name != "nvidia"
        )
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "PurgeScreen"
        intro = " ".join(text_of(app, "#intro").split())
        assert "installed and loaded" not in intro and " runs " not in intro
        assert intro.startswith(
            "nvidia-driver-580-server is installed, but Secure Boot rejects the module DKMS built"
        )
        keep = app.screen.query_one("#decline", Button)
        assert str(keep.label) == "Keep the installed driver"
        assert "Keep the running driver" not in text_of(app, "#hint")
        await pilot.press("n")
        assert app.focused is keep  # keeping is still the proposal: a reinstall changes nothing
