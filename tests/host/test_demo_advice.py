"""One decision, in demo_advice.py: on a demo under Secure Boot with a module DKMS built, the
simulated boot rejects the module, so after an install no activation is offered; the end of
`install` and `status`'s next step both take it (and status's words) from there."""

from __future__ import annotations

from types import SimpleNamespace

from nvwizard.cli import install_cmd
from nvwizard.engine import attach
from nvwizard.engine.attach import ApplyStatus
from nvwizard.host import demo_advice
from nvwizard.host.demo_advice import demo_reboot_after_install, demo_reboot_to_load
from nvwizard.plan.models import ACTIVATE_PLAN
from nvwizard.report import activation_facts

DEMO = "gtx1080-secureboot"
DRIVER = "nvidia-driver-580-server"
MOK = "/var/lib/shim-signed/mok/MOK.der"
ACCEPT = ["secure-boot-dkms-only"]
REBOOT = f"`nvwizard reboot --demo {DEMO}` reboots it"
ACTIVATE = f"`nvwizard activate --demo {DEMO}` loads it without a reboot where that is safe"


def test_no_activation_is_offered_where_the_simulated_boot_rejects_the_module():
    assert demo_reboot_after_install(DEMO, MOK) == REBOOT
    assert demo_reboot_after_install(DEMO, None) == f"{REBOOT}, or {ACTIVATE}"
    assert demo_reboot_after_install(DEMO, None, activation_ruled_out=True) == REBOOT


def test_status_says_no_reboot_loads_it_and_which_reboot_shows_the_rejection():
    assert demo_reboot_to_load(DEMO, MOK) == (
        "no reboot loads the module DKMS built under Secure Boot on the demo (its simulator "
        f"enrols no key); to see its boot reject it, reboot the demo: {REBOOT}"
    )
    assert demo_reboot_to_load(DEMO, None) == f"reboot the demo: {REBOOT}, or {ACTIVATE}"


def test_the_end_of_install_and_status_take_the_decision_from_the_one_helper(monkeypatch):
    asked: list[tuple] = []

    def decided(demo, mok_certificate, activation_ruled_out=False):
        asked.append((demo, mok_certificate, activation_ruled_out))
        return "HOW"

    monkeypatch.setattr(demo_advice, "demo_reboot_after_install", decided)
    plan = SimpleNamespace(
        driver=DRIVER, mok_certificate=MOK, blockers=[SimpleNamespace(id=ACCEPT[0])]
    )
    host = SimpleNamespace(saved_in="/state/demo-machines/x.json", path=SimpleNamespace(name=DEMO))
    # whether a kernel update waits for the reboot is read from the machine: none here, then one
    waiting: list[str | None] = [None, "a kernel update waits"]
    monkeypatch.setattr(activation_facts, "reboot_comes_first", lambda _host: waiting.pop(0))
    assert install_cmd._demo_reboot(host, SimpleNamespace(plan=plan)) == "HOW"
    assert install_cmd._demo_reboot(host, SimpleNamespace(plan=plan)) == "HOW"
    status = ApplyStatus(
        state="finished", driver=DRIVER, mok_certificate=MOK, blockers=tuple(ACCEPT)
    )
    assert attach._reboot(status, DEMO).endswith("reboot the demo: HOW")
    activation = ApplyStatus(state="finished", driver=DRIVER, purpose=ACTIVATE_PLAN)
    assert attach._reboot(activation, DEMO) == "reboot the demo: HOW"
    assert asked == [
        (DEMO, MOK, False),
        (DEMO, MOK, True),
        (DEMO, MOK, False),
        (DEMO, None, True),
    ]
