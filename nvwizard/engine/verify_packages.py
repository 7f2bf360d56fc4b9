"""verify's packages-configured check, first of all when it fails: dpkg left NVIDIA packages
unfinished (half-configured, unpacked, ...) or was interrupted. Nothing else verify says helps
before that repair: a half-configured nvidia-dkms package built no module, and a reboot loads
nothing. Shown only when it fails (a healthy machine's checks are the table in verify.py)."""

from __future__ import annotations

from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify_fixes import Fixes
from nvwizard.report.models import Report

PACKAGES_CONFIGURED = "packages-configured"


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
