"""verify's packages-configured check, first of all when it fails: dpkg left NVIDIA packages
unfinished (half-configured, unpacked, ...) or was interrupted. Nothing else verify says helps
before that repair: a half-configured nvidia-dkms package built no module, and a reboot loads
nothing. Shown only when it fails (a healthy machine's checks are the table in verify.py); the
other checks' reboot (or load) then points to it (`deferring_to_the_repair`)."""

from __future__ import annotations

from dataclasses import replace

from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify_fixes import Fixes
from nvwizard.report.models import Report

PACKAGES_CONFIGURED = "packages-configured"
REPAIR_BEFORE_REBOOT = (
    f"Repair the packages first (see {PACKAGES_CONFIGURED}'s fix): while dpkg has left them "
    "unfinished, no reboot and no loading without one brings up the installed driver."
)


def check_packages_configured(report: Report, fixes: Fixes) -> VerifyCheck | None:
    """Failed when dpkg left NVIDIA packages unfinished or was interrupted; None otherwise."""
    unfinished = report.unfinished_packages
    if not unfinished and not report.dpkg_interrupted:
        return None
    if unfinished:
        listed = ", ".join(f"{e.name} ({e.state})" for e in unfinished)
        detail = f"dpkg left NVIDIA packages unfinished: {listed}"
    else:
        detail = "dpkg was interrupted: an earlier package operation did not finish"
    return VerifyCheck(PACKAGES_CONFIGURED, False, detail, fixes.repair)


def deferring_to_the_repair(fixes: Fixes, report: Report) -> Fixes:
    """`fixes` with the reboot (and the load without one) replaced by packages-configured's
    repair where that check fails: the checks that wait for the installed driver to load
    say to repair first instead of advising a reboot that loads nothing."""
    if fixes.repair_first or (not report.unfinished_packages and not report.dpkg_interrupted):
        return fixes
    # no enrolment either: DKMS signs no module before its package is configured
    return replace(
        fixes, reboot=REPAIR_BEFORE_REBOOT, load="", key_enrolment=False, repair_first=True
    )
