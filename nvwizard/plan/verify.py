"""The last check of a plan: every package it installed is fully installed (dpkg state ii)."""

from __future__ import annotations

from nvwizard.plan import models as pm
from nvwizard.plan.models import Step

VERIFY_FORMAT = "-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n"


def verify_command(packages: list[str]) -> list[str]:
    return ["dpkg-query", "-W", VERIFY_FORMAT, *packages]


def verify_step(packages: list[str]) -> Step:
    return Step(
        id="verify",
        title="Check the installed packages",
        why="Every planned package must be fully installed (dpkg state ii) before a reboot.",
        commands=[verify_command(packages)],
        changes_system=False,
        on_failure="Run `dpkg --configure -a`; read the log for the failing package.",
        kind=pm.VERIFY,
    )
