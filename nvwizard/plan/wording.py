"""How a plan's warnings name what the user does next: the command line's options, or the
wizard's screens. Which warnings a plan carries is decided once (plan/preflight.py); only
these phrases differ by front end. The command line's are also the Ansible export's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class FrontEndWords:
    # what decides whether the driver loads without a reboot where nothing holds nouveau
    load_without_reboot: str
    # how to say the machine has a desktop, after nvwizard assumed a headless server
    say_desktop: str


COMMAND_LINE = FrontEndWords(
    load_without_reboot="--activate checks that",
    say_desktop="Use --desktop (in the wizard: untick Headless on Select) if it has one.",
)

WIZARD = FrontEndWords(
    load_without_reboot="Load it now, on the Reboot screen, checks that",
    say_desktop="If it has one, go back to Select (b) and untick Headless.",
)
