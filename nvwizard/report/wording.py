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
    # the same on a demo machine: `nvwizard --demo NAME` opens Verify only on a real machine
    # (which keeps a state file); `{verify}` is `nvwizard verify --demo NAME`
    after_demo_reboot: str
    # keep the container toolkit the purge would take, or install it again after it
    keep_container_toolkit: str
    # What resolves a simulation's stop on packages the purge would drag along
    # (plan/dragged_advice.py): `{names}` the packages, `{it}` "it" or "them", `{also_purge}`
    # and `{keep}` the install options that say it (`--also-purge NAME`..., `--keep NAME`...).
    # Tick (or untick again) the kept packages the purge would drag along anyway:
    dragged_purge_too: str
    dragged_unkeep: str
    # remove a package outside nvwizard's lists by hand first; `{purge}` the apt-get command
    dragged_remove: str
    # on a demo: that nothing in this front end removes such a package from the demo
    dragged_not_from_demo: str
    # use another driver; `{driver}` is its package name
    use_driver: str


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
    after_demo_reboot="`{verify}`",
    keep_container_toolkit="drop --also-purge {toolkit}, or add --container-toolkit to install "
    "it again",
    dragged_purge_too="to purge {it} too, add {also_purge}",
    dragged_unkeep="{names} cannot stay without the driver: drop {keep}",
    dragged_remove="if no longer needed, remove {it} first ({purge})",
    dragged_not_from_demo="no nvwizard command removes {it} from the demo",
    use_driver="use --driver {driver}",
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
    after_demo_reboot="`{verify}` (on a demo, Verify opens by itself only after the Reboot "
    "screen's reboot, never at the start of `nvwizard --demo`)",
    keep_container_toolkit="untick {toolkit} on Purge, or tick Container toolkit on Stack to "
    "install it again",
    dragged_purge_too="To purge {names} too, press b three times (back to Purge) and tick {it} "
    "there with Space (`nvwizard install` says it with {also_purge})",
    dragged_unkeep="{names} cannot stay without the driver: press b three times (back to "
    "Purge) and tick {it} again with Space",
    dragged_remove="if no longer needed, quit and remove {it} first ({purge})",
    dragged_not_from_demo="the wizard does not remove {it} from the demo",
    use_driver="choose {driver} on Select",
)
