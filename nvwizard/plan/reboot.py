"""`nvwizard reboot`'s plan: the reboot that loads the installed driver, alone.

Its one step is the install's own reboot step (services.py's `reboot_step`, the last step of
`install --reboot`): `shutdown -r +1` with the same message, applied, shown and journaled as
an install's steps are (the detached worker on this machine, in-process on a demo), so the
state file then says a reboot is scheduled and a verification is due. The plan names the
driver installed now, as an activation's does (its flavour is what `verify` expects to find
loaded after the boot), and under Secure Boot with a module DKMS built, the key's
certificate: that boot rejects the module until the key is enrolled.

Where no nvidia module exists for the kernel that boots next (a kernel update waits, and
neither Canonical's signed modules nor a DKMS build exist for it: verify's next-boot-modules
check, asked by the caller), the plan has the blocking condition `no-next-boot-module`: the
machine would come back without an NVIDIA driver. `reboot` asks with it named, and `reboot
--yes` reboots only with `--accept no-next-boot-module`.
"""

from __future__ import annotations

from nvwizard.knowledge.packages import parse_driver_package
from nvwizard.knowledge.secure_boot import dkms_certificate
from nvwizard.plan import models as pm
from nvwizard.plan.demo_words import for_demo
from nvwizard.plan.models import Blocker, Choices, Plan
from nvwizard.plan.services import reboot_step
from nvwizard.report.activation import ActivationFacts

NO_NEXT_BOOT_MODULE = "no-next-boot-module"
# the blocking conditions a reboot's plan may have (`reboot --accept ID`)
REBOOT_BLOCKER_IDS = {
    NO_NEXT_BOOT_MODULE: "the kernel that boots next has no nvidia module: the machine comes "
    "back without an NVIDIA driver",
}


def no_next_boot_module(missing_module: str) -> Blocker:
    """The blocking condition of a reboot into a kernel with no nvidia module (`reboot`'s
    plan, the wizard's Reboot screen): `missing_module` says why, and the fix."""
    return Blocker(NO_NEXT_BOOT_MODULE, f"{missing_module[0].upper()}{missing_module[1:]}")


def build_reboot_plan(
    facts: ActivationFacts, host_label: str, missing_module: str | None = None
) -> Plan:
    """The reboot of the machine `facts` were read on, to load the driver installed there.
    `missing_module`: why no nvidia module exists for the kernel that boots next, and its
    fix (None: one exists, or which kernel boots next is not known)."""
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
    if missing_module is not None:
        plan.blockers = [no_next_boot_module(missing_module)]
    return for_demo(plan, facts.demo, reboot_first=facts.pending_kernel is not None)
