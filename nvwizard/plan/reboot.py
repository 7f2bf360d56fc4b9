"""`nvwizard reboot`'s plan: the reboot that loads the installed driver, alone.

Its one step is the install's own reboot step (services.py's `reboot_step`, the last step of
`install --reboot`): `shutdown -r +1` with the same message, applied, shown and journaled as
an install's steps are (the detached worker on this machine, in-process on a demo), so the
state file then says a reboot is scheduled and a verification is due. The plan names the
driver installed now, as an activation's does (its flavour is what `verify` expects to find
loaded after the boot), and under Secure Boot with a module DKMS built, the key's
certificate: that boot rejects the module until the key is enrolled.
"""

from __future__ import annotations

from nvwizard.knowledge.packages import parse_driver_package
from nvwizard.knowledge.secure_boot import dkms_certificate
from nvwizard.plan import models as pm
from nvwizard.plan.demo_words import for_demo
from nvwizard.plan.models import Choices, Plan
from nvwizard.plan.services import reboot_step
from nvwizard.report.activation import ActivationFacts


def build_reboot_plan(facts: ActivationFacts, host_label: str) -> Plan:
    """The reboot of the machine `facts` were read on, to load the driver installed there."""
    driver = parse_driver_package(facts.driver)
    plan = Plan(
        steps=[reboot_step()],
        choices=Choices(driver=facts.driver, purge=False, headless=not facts.desktop, reboot=True),
        host_label=host_label,
        driver=facts.driver,
        flavour=driver.flavour if driver else "",
        branch=facts.branch,
        modules=facts.module_source or "",
        purpose=pm.REBOOT_PLAN,
        mok_certificate=dkms_certificate(facts.os_id) if facts.rejected_at_boot else None,
    )
    return for_demo(plan, facts.demo, reboot_first=facts.pending_kernel is not None)
