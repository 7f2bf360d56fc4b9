"""`reboot_required` after an apply that stopped short says what happened: a reboot loads a new
driver only once its packages are installed. Nothing installed (a failure before the install
step, or in it: its packages are left half-configured and need the repair, not a reboot)
-> false; a failure after the driver was installed -> true."""

from __future__ import annotations

from nvwizard.engine.runner import CANCELLED, FAILED, Engine
from nvwizard.plan import models as pm
from tests.engine.fakehost import FakeHost, Script
from tests.engine.test_runner import INSTALL, VERIFY, make_plan, step

PURGE = step("purge", pm.PURGE, ["apt-get", "purge", "-y", "nvidia-driver-535"])
PERSISTENCED = step("persistenced", pm.PERSISTENCED, ["systemctl", "enable", "x.service"])
BROKEN_POSTINST = Script(
    [("stderr", "dpkg: error processing package nvidia-utils-580 (--configure):")], exit_code=100
)


def test_a_failed_driver_install_after_the_purge_needs_the_repair_not_a_reboot():
    host = FakeHost({("apt-get", "install"): BROKEN_POSTINST})
    outcome = Engine(host, make_plan(PURGE, INSTALL, VERIFY)).run()
    assert outcome.status == FAILED and outcome.failed_step == "install"
    assert outcome.steps_done == ("purge",)
    assert not outcome.reboot_required


def test_a_failure_after_the_driver_was_installed_needs_the_reboot_to_load_it():
    host = FakeHost({("systemctl",): Script([("stderr", "Failed to enable")], exit_code=1)})
    outcome = Engine(host, make_plan(PURGE, INSTALL, PERSISTENCED)).run()
    assert outcome.status == FAILED and outcome.failed_step == "persistenced"
    assert outcome.reboot_required


def test_cancelled_after_the_purge_only_needs_no_reboot():
    def cancel_once_purged(event) -> None:
        if event.step == "purge":
            engine.cancel()

    engine = Engine(FakeHost({}), make_plan(PURGE, INSTALL), listeners=[cancel_once_purged])
    outcome = engine.run()
    assert outcome.status == CANCELLED and outcome.steps_done == ("purge",)
    assert not outcome.reboot_required
