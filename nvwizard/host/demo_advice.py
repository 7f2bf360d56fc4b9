"""Advice about a demo machine, said in the only commands that reach it.

A demo machine (`--demo NAME`) is simulated: nothing typed on this computer acts on it (`sudo
reboot` would reboot this computer, `dpkg --configure -a` would repair this computer's dpkg),
only nvwizard's own commands with `--demo NAME` (its reboot: `nvwizard reboot --demo NAME`),
or the wizard's keys while it shows the demo.
With NVWIZARD_STATE_DIR set it lives on between commands in a file there; deleting that file
resets it to its bundle. Each place that advises about a demo takes its words from here:
`status`'s next step, the end of `install`, `verify`'s fixes, the wizard's screens,
detection's findings and the plans' "if it fails" (which learn of the demo from the host:
`demo_of`). What only a person at a real machine can do (install a package by hand, enable a
service) is said as that: "On a real machine: ...".
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from nvwizard.host.base import Host
from nvwizard.host.demo import demo_name

ON_A_REAL_MACHINE = "On a real machine: "


@dataclass(frozen=True)
class DemoRef:
    """The demo machine a host simulates, as advice names it: `name` (`--demo NAME`) and the
    file it is kept in between commands (`Host.saved_in`; None: not kept, so each command
    starts from its bundle and only the wizard goes on from a change)."""

    name: str
    saved_in: str | None = None


def demo_of(host: Host) -> DemoRef | None:
    """The demo `host` simulates; None for this machine or a bundle."""
    name = demo_name(host.label) if host.kind == "demo" else None
    return None if name is None else DemoRef(name, host.saved_in)


def on_a_real_machine(fix: str) -> str:
    """A fix that only a person at a real machine applies, said as that on a demo."""
    return ON_A_REAL_MACHINE + (fix if fix[1:2].isupper() else fix[0].lower() + fix[1:])


def demo_command(demo: str, command: str, *options: str) -> str:
    """`nvwizard COMMAND --demo NAME OPTIONS`, pasteable."""
    return shlex.join(["nvwizard", command, "--demo", demo, *options])


def wizard_command(demo: str) -> str:
    return shlex.join(["nvwizard", "--demo", demo])


def verify_command(demo: str) -> str:
    return demo_command(demo, "verify")


def activate_command(demo: str) -> str:
    return demo_command(demo, "activate")


def install_again(driver: str | None, demo: str | None, options: Sequence[str] = ()) -> str:
    """The install of `driver` (the last apply's), on the demo it ran on (None: this machine),
    with the other options the user gave it (`options`, the plan's `install_options`: without
    them the install again would drop `--cuda`, `--hold`, ...)."""
    words = ["nvwizard", "install"] + (["--demo", demo] if demo else [])
    return shlex.join(words + (["--driver", driver] if driver else []) + list(options))


def without_asking(accept: Sequence[str] = ()) -> str:
    """`--yes`, and `--accept ID` for each blocking condition of the plan (`accept`): an
    install with --yes applies a plan with blocking conditions only when each is accepted."""
    return shlex.join(yes_words(accept))


def yes_words(accept: Sequence[str] = ()) -> list[str]:
    """`without_asking` as words."""
    return ["--yes", *[word for name in accept for word in ("--accept", name)]]


def reboot_command(demo: str) -> str:
    return demo_command(demo, "reboot")


def demo_reboot(demo: str, offer_activate: bool = True) -> str:
    """How a demo kept in the state directory reboots to load the installed driver, from the
    command line: its own `nvwizard reboot --demo NAME` (no real `reboot` reaches it), or,
    where `offer_activate`, loading the driver without a reboot where that is safe."""
    reboot = f"`{reboot_command(demo)}` reboots it"
    if not offer_activate:
        return reboot
    activate = f"`{activate_command(demo)}` loads it without a reboot where that is safe"
    return f"{reboot}, or {activate}"


def demo_reboot_after_install(
    demo: str, mok_certificate: str | None, activation_ruled_out: bool = False
) -> str:
    """How a demo kept in the state directory reboots to load what an install put there
    (`demo_reboot`). Under Secure Boot with a module DKMS built (`mok_certificate`, the plan's:
    the key to enrol) the simulated boot rejects the module, as a real machine's does until
    its key is enrolled, and the simulator enrols no key: neither a reboot nor loading it
    without one loads it, so no activation is offered. `activation_ruled_out`: loading it
    without a reboot just failed, or cannot work until the reboot (a kernel update waits for
    it), so it is not offered either."""
    return demo_reboot(demo, activate_offered(mok_certificate, activation_ruled_out))


def activate_offered(mok_certificate: str | None, activation_ruled_out: bool) -> bool:
    """Whether advice on a demo offers `nvwizard activate` beside its reboot: not where the
    module DKMS built under Secure Boot loads on no simulated boot (`mok_certificate`), nor
    where loading it without a reboot just failed or a kernel update waits for the reboot
    (`activation_ruled_out`). The one rule for every place that advises it."""
    return not activation_ruled_out and mok_certificate is None


def demo_reboot_to_load(
    demo: str, mok_certificate: str | None, activation_ruled_out: bool = False
) -> str:
    """ "reboot the demo: ..." (`demo_reboot_after_install`), or, where the simulated boot
    rejects the module DKMS built under Secure Boot, that no reboot loads it, and the reboot
    that shows the rejection."""
    how = demo_reboot_after_install(demo, mok_certificate, activation_ruled_out)
    if mok_certificate is not None:
        return (
            "no reboot loads the module DKMS built under Secure Boot on the demo (its simulator "
            f"enrols no key); to see its boot reject it, reboot the demo: {how}"
        )
    return f"reboot the demo: {how}"


def reboot_the_demo(
    demo: str,
    saved_in: str | None,
    offer_activate: bool = True,
    accept: Sequence[str] = (),
) -> str:
    """ "reboot the demo: ...; then run `nvwizard verify --demo NAME`", from the command line:
    a demo kept in the state directory (`saved_in`) by its own `nvwizard reboot`; one that is
    not kept only in the wizard, or once NVWIZARD_STATE_DIR keeps it: its install (whose plan
    has blocking conditions with the ids `accept`, which `--yes` must accept) then reboots it,
    as the install is not kept either."""
    if saved_in:
        how = demo_reboot(demo, offer_activate)
        return f"reboot the demo: {how}; then run `{verify_command(demo)}`"
    return (
        f"reboot the demo: the wizard (`{wizard_command(demo)}`) reboots it after an install "
        "and verifies it; from the command line, set NVWIZARD_STATE_DIR first (it keeps the "
        f"demo between commands), then `{demo_command(demo, 'install')} "
        f"{without_asking(accept)} --reboot` "
        "reboots it"
    )


def reset_demo(saved_in: str) -> str:
    return f"reset the demo to its bundle: `{shlex.join(['rm', saved_in])}`"


def demo_repair(
    demo: str,
    driver: str | None,
    activation: bool,
    saved_in: str | None,
    options: Sequence[str] = (),
) -> str:
    """After a failed or interrupted apply on a demo: the command that goes on from there (an
    install's plan repairs the demo's package manager first where it needs that; `options`:
    the install's other options, see `install_again`), and the file whose deletion resets the
    demo (`saved_in`; None: not known)."""
    if activation:
        again = f"run `{activate_command(demo)}` again"
    else:
        again = (
            f"run `{install_again(driver, demo, options)}` again (its plan first repairs what the "
            "demo's package manager left unfinished)"
        )
    return again + (f", or {reset_demo(saved_in)}" if saved_in else "")


def unkept_demo_repair(demo: str) -> str:
    """After a failed apply on a demo that is not kept between commands: nothing is left to
    repair, the next command starts from the bundle."""
    return (
        f"nothing to repair: the demo is not kept between commands (NVWIZARD_STATE_DIR is not "
        f"set), so the next `{demo_command(demo, 'install')}` starts from its bundle again"
    )


def demo_package_repair(demo: DemoRef) -> str:
    """Detection's fix on a demo whose package manager a failed install left unfinished (dpkg
    interrupted, packages half-configured): what repairs the demo, never this computer's
    `dpkg --configure -a`. Detection does not know which driver the install was for: any
    install's plan repairs first."""
    install = demo_command(demo.name, "install")
    repairs = (
        "Repair the demo: an install's plan first finishes what the demo's package manager "
        f"left unfinished (the wizard's install, or `{install}`; add `--driver` for another "
        "driver than the recommended one)"
    )
    if demo.saved_in is None:
        return (
            f"{repairs}. The demo is not kept between commands (NVWIZARD_STATE_DIR is not "
            "set): a new command starts from its bundle."
        )
    return f"{repairs}, or {reset_demo(demo.saved_in)}."
