"""What the Install and Reboot screens say when Secure Boot is on and DKMS built the module:
Secure Boot rejects it until its key is enrolled, which the install could not queue
(knowledge/secure_boot.py). On this machine: the import to run before the reboot and what to
choose in MOK Manager at the boot; on a demo or bundle machine: that its simulated boot rejects
the module, so it loads there neither now nor after a reboot (`loads_nowhere`)."""

from __future__ import annotations

from nvwizard.knowledge import secure_boot as sb
from nvwizard.tui.controllers.lines import COMMAND, DIM, WARN, Line
from nvwizard.tui.state import WizardState

NEXT_LABEL = "Next: load it or reboot"


def mok_certificate(state: WizardState) -> str | None:
    """The certificate of the key to enrol (None: the plan needs none)."""
    return state.plan.mok_certificate if state.plan is not None else None


def loads_nowhere(state: WizardState) -> bool:
    """The installed module loads on this machine neither now nor after a reboot: a demo or
    bundle machine, whose simulated boot (and modprobe) rejects the module DKMS built under
    Secure Boot, and whose simulator enrols no key."""
    return mok_certificate(state) is not None and not state.host.is_real


def kept_the_driver(state: WizardState) -> bool:
    """The plan kept the running driver and added only the stack: no reboot follows."""
    return state.plan is not None and state.plan.keeps_driver


def next_label(state: WizardState) -> str:
    """The Install screen's button to the Reboot screen (to Verify after a plan that kept the
    driver), once the install succeeded."""
    if kept_the_driver(state):
        return "Next: Verify"
    return "Next: Reboot screen" if loads_nowhere(state) else NEXT_LABEL


def done_hint(state: WizardState) -> str:
    """The Install screen's hint once the install succeeded: what n leads to."""
    if kept_the_driver(state):
        return "Done: the driver stayed as it runs, no reboot needed. n: Verify."
    if loads_nowhere(state):
        return "Done. n: the Reboot screen; Verify after the demo's reboot says what loads."
    return "Done. Press n to load it: without a reboot where that is safe."


def installed_lines(state: WizardState) -> list[Line]:
    """Under the Install screen's "Installed" line."""
    if mok_certificate(state) is None:
        return []
    if not state.host.is_real:
        return [Line(f"! {sb.demo_after_the_install(state.host.kind == 'demo')}", WARN, hang=2)]
    return [
        Line(
            "! Secure Boot rejects the module DKMS built until its key is enrolled: the Reboot "
            "screen (n) says how, before the reboot.",
            WARN,
            hang=2,
        )
    ]


def reboot_lines(state: WizardState) -> list[Line]:
    """On the Reboot screen, before its choices."""
    certificate = mok_certificate(state)
    if certificate is None:
        return []
    if not state.host.is_real:
        return [
            Line(f"! {sb.demo_after_the_install(state.host.kind == 'demo')}", WARN, hang=2),
            Line(""),
        ]
    return [
        Line(
            "! Secure Boot rejects the module DKMS built until its key is enrolled. Before the "
            "reboot, in a terminal (it asks twice for a one-time password):",
            WARN,
            hang=2,
        ),
        Line(f"  {sb.import_certificate(certificate)}", COMMAND),
        Line(
            f"  Then at the boot, on the console or BMC (not over SSH): {sb.MOK_MANAGER}.",
            DIM,
            hang=2,
        ),
        Line(""),
    ]
