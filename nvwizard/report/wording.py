"""How nvwizard names what the user does next, in one front end's words: the command line's
options and commands, or the wizard's screens and keys. Which findings a report carries and
which warnings a plan carries is decided once (report/findings/, plan/preflight.py); only
these phrases differ by front end, and each text speaks one front end's words, never both.
The command line's are also the Ansible export's. `{...}` fields are filled by the caller
(the command, said for the report's machine: this one's, or a demo's `--demo NAME`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class FrontEndWords:
    # what decides whether the driver loads without a reboot where nothing holds nouveau
    # (a plan's warning, ending "... checks that")
    load_without_reboot: str
    # the same in a finding, after the install: `{activate}` is `nvwizard activate` here
    load_check: str
    # how to say the machine has a desktop, after nvwizard assumed a headless server
    say_desktop: str
    # the same in a finding, before any plan
    desktop_fix: str
    # install a newer driver branch; `{wizard}` is `sudo nvwizard` here
    newer_driver: str
    # which CUDA toolkits the driver runs; `{plan}` is `nvwizard plan` here
    toolkits_shown: str
    # install cuDNN for the toolkit; `{install}` is `nvwizard install` here
    add_cudnn: str
    # install the container toolkit, which wires it into the runtimes
    add_container_toolkit: str
    # what checks the driver after the reboot; `{verify}` is `nvwizard verify` here, `{wizard}`
    # `sudo nvwizard`
    after_reboot: str
    # keep the container toolkit the purge would take, or install it again after it
    keep_container_toolkit: str


COMMAND_LINE = FrontEndWords(
    load_without_reboot="--activate checks that",
    load_check="`{activate}` checks",
    say_desktop="Use --desktop if it has one.",
    desktop_fix="Plan with --desktop if it has a desktop.",
    newer_driver="`{wizard}`",
    toolkits_shown="`{plan} --cuda latest` shows which",
    add_cudnn="`{install} --cudnn`",
    add_container_toolkit="`{install} --container-toolkit` wires it in",
    after_reboot="`{verify}`",
    keep_container_toolkit="drop --also-purge {toolkit}, or add --container-toolkit to install "
    "it again",
)

WIZARD = FrontEndWords(
    load_without_reboot="Load it now, on the Reboot screen, checks that",
    load_check="Load it now, on the Reboot screen, checks",
    say_desktop="If it has one, go back to Select (b) and untick Headless.",
    desktop_fix="If it has a desktop, untick Headless on Select.",
    newer_driver="choose it on Select",
    toolkits_shown="the Stack screen shows which",
    add_cudnn="tick cuDNN 9 on Stack",
    add_container_toolkit="tick Container toolkit on Stack: the install wires it in",
    after_reboot="`{wizard}` (it opens Verify)",
    keep_container_toolkit="untick {toolkit} on Purge, or tick Container toolkit on Stack to "
    "install it again",
)
