"""verify's fixes, in the commands that reach the machine it checked.

On this machine (or the one a bundle came from) a fix names the commands a person types there:
`sudo reboot`, `sudo nvwizard verify`, `sudo apt-get install ...`. A demo machine is reached by
none of them (demo_advice.py): its reboot, its install and its verify are nvwizard's own
`--demo NAME` commands (or the wizard's keys, on the wizard's screens), and what only a person
at a real machine can do (install a package by hand, read dmesg) is said as that: "On a real
machine: ...".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from nvwizard.engine.state import VerifyCheck
from nvwizard.host.base import Host
from nvwizard.host.demo_advice import (
    demo_command,
    demo_of,
    demo_repair,
    on_a_real_machine,
    reboot_the_demo,
    without_asking,
    wizard_command,
)
from nvwizard.report.activation_facts import reboot_comes_first

INSTALL_FIRST = "Install the driver first: `sudo nvwizard` (or `sudo nvwizard install`)."
REBOOT_FIX = "Reboot (`sudo reboot`), then run `sudo nvwizard verify` again."
LOAD_FIX = (
    "Reboot (`sudo reboot`), or load it without a reboot where that is safe (`sudo nvwizard "
    "activate`); then run `sudo nvwizard verify` again."
)
INSTALL_OPEN = "Install the -open variant of the driver (`sudo nvwizard`), then reboot."
REPAIR_FIX = (
    "Run `sudo dpkg --configure -a` and read its output (a failed DKMS build names its "
    "make.log), fix the cause, then `sudo apt-get -f install` if dependencies are missing; "
    "then run `sudo nvwizard verify` again."
)
WIZARD_REPAIR = (
    "Repair the demo: install again (b, then n on the Detect summary): its plan first "
    "finishes what the demo's package manager left unfinished."
)


@dataclass(frozen=True)
class Fixes:
    """The fixes that reboot, install or verify again, for one machine."""

    reboot: str  # reboot to load the installed driver, then verify again
    install_first: str  # no driver is installed
    install_open: str  # the proprietary module runs where only the open ones work
    demo: bool = False
    # the installed driver is not loaded yet: reboot, or load it without a reboot where that
    # is safe, then verify again ("": the reboot fix says both)
    load: str = ""
    # `reboot` enrols the key of a module DKMS built first: Secure Boot rejects it until then
    key_enrolment: bool = False
    # dpkg left packages unfinished: what finishes them (verify_packages.py)
    repair: str = REPAIR_FIX
    # that repair comes first: `reboot` points to it, as no reboot (or load) helps before it
    repair_first: bool = False

    @property
    def load_installed(self) -> str:
        return self.load or self.reboot

    def by_hand(self, fix: str) -> str:
        """A fix that only a person at the machine applies (a package installed by hand,
        dmesg read): as it is, or on a demo said as what a real machine would need."""
        return on_a_real_machine(fix) if self.demo else fix

    def by_hand_check(self, check: VerifyCheck) -> VerifyCheck:
        """`check` with its fix by hand, unless that fix is to install the driver."""
        if check.ok or check.fix is None:
            return check
        fix = self.install_first if check.fix == INSTALL_FIRST else self.by_hand(check.fix)
        return replace(check, fix=fix)

    def reboot_instead(self, fix: str, why: str) -> str:
        """A fix whose last step is the reboot (`fix`, e.g. "... run `sudo update-initramfs
        -u` and reboot."): on a demo, `why` it helps and the demo's own reboot instead (and
        where packages must be repaired first, `why` and that repair)."""
        return fix if not (self.demo or self.repair_first) else f"{why} {self.reboot}"


THIS_MACHINE = Fixes(REBOOT_FIX, INSTALL_FIRST, INSTALL_OPEN, load=LOAD_FIX)


def fixes_for(
    host: Host, driver: str | None, in_wizard: bool = False, accept: Sequence[str] = ()
) -> Fixes:
    """The fixes in the commands that reach `host`: a demo's own (`driver`: the one its last
    apply installed; `in_wizard`: read on the wizard's screens; `accept`: the ids of the
    blocking conditions its install would have, which `install --yes` must accept), or this
    machine's."""
    # a kernel update waiting for the reboot rules out loading the driver without one, as
    # `activate` would say: the fixes offer only the reboot then
    offer_activate = reboot_comes_first(host) is None
    demo = demo_of(host)
    if demo is None:
        return THIS_MACHINE if offer_activate else replace(THIS_MACHINE, load="")
    accept = list(dict.fromkeys(accept))
    return demo_fixes(demo.name, driver, demo.saved_in, in_wizard, accept, offer_activate)


def demo_fixes(
    demo: str,
    driver: str | None,
    saved_in: str | None,
    in_wizard: bool,
    accept: Sequence[str] = (),
    offer_activate: bool = True,
) -> Fixes:
    """The fixes for the demo `demo`, kept in the file `saved_in` (None: not kept), whose last
    apply installed `driver` (None: not known); `accept`: as `fixes_for`; `offer_activate`:
    False where loading the driver without a reboot is ruled out until the reboot."""
    if in_wizard:
        return Fixes(
            reboot="Reboot the demo: install a driver (b, then n on the Detect summary) and "
            "reboot it on the Reboot screen; the wizard verifies it again after the reboot.",
            install_first="Install the driver first: b, then n on the Detect summary.",
            install_open="Install the -open variant of the driver (b, then n on the Detect "
            "summary: Select offers only what this GPU can run), then reboot the demo on the "
            "Reboot screen.",
            demo=True,
            repair=WIZARD_REPAIR,
        )
    wizard, install = wizard_command(demo), demo_command(demo, "install")
    reboot = reboot_the_demo(demo, saved_in, offer_activate, accept)
    return Fixes(
        reboot=f"R{reboot[1:]}{' again' if saved_in else ''}.",
        install_first=f"Install the driver first: `{wizard}` (the wizard) or `{install}`.",
        install_open=f"Install the -open variant of the driver and reboot the demo: `{wizard}` "
        f"(the wizard), or `{install} {without_asking(accept)} --reboot` (the recommended "
        "driver is an -open one).",
        demo=True,
        repair=f"Repair the demo: {demo_repair(demo, driver, False, saved_in)}.",
    )
