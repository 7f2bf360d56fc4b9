"""verify's fixes where Secure Boot rejects the nvidia module because DKMS built it: a reboot
alone does not load it. On a real machine the fix enrols DKMS's key (knowledge/secure_boot.py)
before the reboot; on a demo machine, whose simulator enrols no key, it says so, names a
driver whose Canonical-signed modules would load there, and what a real machine would need."""

from __future__ import annotations

from dataclasses import replace

from nvwizard.detect.models import DpkgEntry
from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify_facts import is_present
from nvwizard.engine.verify_fixes import Fixes
from nvwizard.host.base import Host
from nvwizard.host.demo_advice import (
    demo_command,
    demo_of,
    on_a_real_machine,
    wizard_command,
    yes_words,
)
from nvwizard.knowledge import secure_boot as sb
from nvwizard.knowledge.debian import kernel_dkms_flavour
from nvwizard.plan.blockers import machine_blocker_ids
from nvwizard.report.models import Report
from nvwizard.report.secure_boot import how_it_ended, signed_alternative

MODULE_LOADED = "module-loaded"  # verify's check


def dkms_module_under_secure_boot(report: Report, packages: list[DpkgEntry]) -> bool:
    """Secure Boot is on and the module the running kernel loads is one DKMS builds: no
    Canonical-signed module is installed for it, a DKMS package is."""
    kernel = report.kernel
    if report.secure_boot != "enabled" or not kernel:
        return False
    present = [e.name for e in packages if is_present(e)]
    if any(n.startswith("linux-modules-nvidia-") and n.endswith(f"-{kernel}") for n in present):
        return False
    return any(n.startswith("nvidia-dkms-") or kernel_dkms_flavour(n) for n in present)


def with_key_enrolment(
    fixes: Fixes,
    host: Host,
    report: Report,
    packages: list[DpkgEntry],
    driver: str | None,
    in_wizard: bool = False,
) -> Fixes:
    """`fixes`, with the reboot that loads the driver replaced by the key's enrolment and that
    reboot where Secure Boot rejects a module DKMS built. `driver`: the last apply's."""
    if not dkms_module_under_secure_boot(report, packages):
        return fixes
    real = sb.enrolment(report.os_id, rebooting=True)
    demo = demo_of(host)
    if demo is None:
        reboot = (
            "Secure Boot rejects the module DKMS built until its key is enrolled (`sudo modprobe "
            f'nvidia` then says "{sb.KEY_REJECTED}"): {real}; then run `sudo nvwizard verify` '
            "again."
        )
    else:
        rejects = sb.demo_rejects("the module DKMS built")
        reboot = (
            f"A reboot does not load it: {rejects}."
            f"{_signed_instead(demo.name, report, driver, in_wizard)} "
            f"{on_a_real_machine(real)}."
        )
    # loading it without a reboot is no way either (activate refuses it)
    return replace(fixes, reboot=reboot, load="", key_enrolment=True)


def _signed_instead(demo: str, report: Report, driver: str | None, in_wizard: bool) -> str:
    """How the demo gets a driver that loads: one with Canonical's signed modules."""
    alternative = signed_alternative(report, driver)
    if alternative is None:
        return ""
    package = alternative.package
    if in_wizard:
        how = f"b, then n on the Detect summary, and choose {package} on Select"
    else:
        # its plan has no Secure Boot condition (signed modules): only the machine's own
        yes = yes_words(machine_blocker_ids(report))
        install = demo_command(demo, "install", "--driver", package, *yes, "--reboot")
        how = f"`{wizard_command(demo)}` (the wizard), or `{install}`"
    ended = how_it_ended(alternative)
    dead = (
        f" (no supported branch has them here: {package} is past its end of life, {ended})"
        if ended
        else ""
    )
    return (
        " To see a driver load on this demo, install one with Canonical's signed modules"
        f"{dead}: {how}."
    )


def pointing_to_the_enrolment(checks: list[VerifyCheck], fixes: Fixes) -> list[VerifyCheck]:
    """The checks that fail only because the module is not loaded point to module-loaded's fix,
    the key's enrolment, instead of repeating it."""
    loaded = next((c for c in checks if c.name == MODULE_LOADED), None)
    if not fixes.key_enrolment or loaded is None or loaded.ok:
        return checks
    see = f"Secure Boot rejects the module until its key is enrolled: see {MODULE_LOADED}'s fix."
    return [
        replace(c, fix=see)
        if c is not loaded and not c.ok and (c.fix or "").startswith(fixes.reboot)
        else c
        for c in checks
    ]
