"""Secure Boot and a module built by DKMS: the key it is signed with, and how that key is
enrolled as a Machine Owner Key (MOK). Every place that speaks of it takes its words from here.

Canonical's precompiled linux-modules-nvidia-* are signed with a key the kernel trusts. A
module DKMS builds is signed with a key made on the machine, which Secure Boot rejects until it
is enrolled (`modprobe nvidia`: "Key was rejected by service"):

- Ubuntu's dkms signs with shim-signed's key, /var/lib/shim-signed/mok/MOK.priv (certificate
  MOK.der). Its maintainer scripts ask `update-secureboot-policy --enroll-key` to queue the
  enrolment, but under DEBIAN_FRONTEND=noninteractive, how nvwizard runs apt, that prints
  "Running in non-interactive mode, doing nothing.": nothing is queued, the next boot asks
  nothing and the module is rejected.
- Debian's dkms signs with /var/lib/dkms/mok.key (certificate mok.pub) and queues nothing.

Either way `mokutil --import <certificate>` queues it. It asks for a one-time password twice,
so it needs a terminal: no plan step can run it. At the next boot, on the console or the BMC,
shim's MOK Manager waits 10 seconds for a key press, then Enroll MOK -> Continue -> Yes -> the
password -> Reboot enrols the key. A demo machine's simulator enrols no key: its boot rejects
the module, as a real machine's does before the enrolment.
"""

from __future__ import annotations

import shlex

UBUNTU_DKMS_CERTIFICATE = "/var/lib/shim-signed/mok/MOK.der"
DEBIAN_DKMS_CERTIFICATE = "/var/lib/dkms/mok.pub"
# What Ubuntu's update-secureboot-policy prints (on stderr) when apt runs non-interactively.
NONINTERACTIVE_NOTHING = "Running in non-interactive mode, doing nothing."
KEY_REJECTED = "Key was rejected by service"  # modprobe's error for a module Secure Boot rejects
PLAN_WARNING_OPENS = "Secure Boot is on and the module will be built by DKMS"  # plan/blockers.py
MOK_MANAGER = (
    "MOK Manager (press a key within 10 seconds) -> Enroll MOK -> Continue -> Yes -> the password"
)


def dkms_certificate(os_id: str | None) -> str:
    """The certificate of the key that the distribution's dkms signs modules with."""
    return DEBIAN_DKMS_CERTIFICATE if os_id == "debian" else UBUNTU_DKMS_CERTIFICATE


def import_certificate(certificate: str) -> str:
    return shlex.join(["sudo", "mokutil", "--import", certificate])


def enrolment(os_id: str | None, rebooting: bool = False) -> str:
    """How the key is enrolled on a real machine, as a clause: "run `sudo mokutil --import
    ...` ..., then at the next boot ...". `rebooting`: the reboot is part of it (the install
    is over: `sudo reboot` follows the import)."""
    return enrolment_of(dkms_certificate(os_id), rebooting)


def enrolment_of(certificate: str, rebooting: bool = False) -> str:
    """`enrolment` of the key whose certificate is `certificate`."""
    boot = (
        "reboot (`sudo reboot`) and, on the console or BMC"
        if rebooting
        else "then at the next boot, on the console or BMC"
    )
    return (
        f"run `{import_certificate(certificate)}` in a terminal (it asks twice for a one-time "
        f"password), {boot}: {MOK_MANAGER}"
    )


def after_the_install(certificate: str, scheduled: bool) -> str:
    """What the end of an install on a real machine says before its reboot. `scheduled`: the
    plan's own reboot comes in a minute."""
    what = "Secure Boot is on and DKMS built the module: Secure Boot rejects it until its key"
    if scheduled:
        return (
            f"{what} is enrolled. Run `{import_certificate(certificate)}` now, before the "
            "scheduled reboot (it asks twice for a one-time password; `sudo shutdown -c` "
            f"cancels the reboot if you need longer), then at that boot, on the console or BMC: "
            f"{MOK_MANAGER}."
        )
    return f"{what} is enrolled, so before the reboot: {enrolment_of(certificate, True)}."


def before_the_reboot(certificate: str) -> str:
    """What `nvwizard reboot` on a real machine says before it asks: the reboot alone does not
    load the module; the import comes first, MOK Manager at that boot."""
    what = "Secure Boot is on and DKMS built the module: Secure Boot rejects it until its key"
    return f"{what} is enrolled, so before this reboot: {enrolment_of(certificate)}."


def demo_after_the_install(demo: bool = True) -> str:
    """What the end of an install on a demo machine (`demo`, else a bundle's simulated
    machine) says instead of its reboot."""
    machine = "the demo" if demo else "the simulated machine"
    rejects = demo_rejects(machine="this demo" if demo else machine)
    what = "Secure Boot is on and DKMS built the module"
    return f"{what}: {rejects}, so it loads on {machine} neither now nor after a reboot."


def nothing_queues_it(os_id: str | None) -> str:
    """Why the next boot asks nothing by itself, as a clause."""
    if os_id == "debian":
        return "Debian's dkms queues no enrolment"
    return (
        "apt runs non-interactively, so Ubuntu's update-secureboot-policy queues no enrolment "
        f'("{NONINTERACTIVE_NOTHING}")'
    )


def demo_rejects(what: str = "the module", machine: str = "this demo") -> str:
    """What a demo machine (or another simulated `machine`) does with a DKMS-built module
    (`what`), as a clause."""
    return (
        f"on {machine} the simulated boot rejects {what}, as a real machine's does until its "
        "key is enrolled, and the simulator cannot enrol a key"
    )


def signed_driver(package: str, ended: str | None = None) -> str:
    """A driver whose Canonical-signed modules load, named; `ended`: how its branch ended
    ("branch 570 ended 2026-02"), where no supported branch has signed modules for the kernel:
    then the name says it is past its end of life."""
    return package if ended is None else f"{package}, past its end of life ({ended})"


def signed_instead(alternative: str | None, ended: str | None = None) -> str:
    """A sentence naming a driver whose signed modules load on a demo (None: no such one);
    `ended` as for `signed_driver`: only a dead branch has them."""
    if alternative is None:
        return ""
    if ended is None:
        return (
            " A supported driver with Canonical's signed modules for this kernel does (e.g. "
            f"{alternative})."
        )
    return (
        " No supported driver has Canonical's signed modules for this kernel; "
        f"{signed_driver(alternative, ended)}, has them: it loads, without NVIDIA's fixes."
    )


def plan_warning(
    os_id: str | None,
    demo: bool,
    alternative: str | None = None,
    reboots: bool = False,
    ended: str | None = None,
) -> str:
    """The plan's warning when Secure Boot is on and the module will be built by DKMS.
    `alternative`: on a demo, a driver whose signed modules would load instead (`ended`: how
    its branch ended, when it is dead); `reboots`: the plan ends with a reboot one minute
    after the install."""
    what = (
        f"{PLAN_WARNING_OPENS}, signed with a key "
        f"({dkms_certificate(os_id)}) that Secure Boot rejects until it is enrolled as a "
        "Machine Owner Key (MOK)"
    )
    if demo:
        return (
            f"{what}. {demo_rejects()[0].upper()}{demo_rejects()[1:]}: the driver does not load "
            f"on this demo.{signed_instead(alternative, ended)} On a real machine: after the "
            f"install, {enrolment(os_id)}."
        )
    soon = (
        " This plan reboots one minute after the install: import the key within that minute, "
        "or cancel that reboot (`sudo shutdown -c`) and reboot later."
        if reboots
        else ""
    )
    return (
        f"{what}. The next boot asks nothing by itself ({nothing_queues_it(os_id)}): after the "
        f"install, {enrolment(os_id)}. That boot needs the console or BMC, not SSH alone; "
        f"without it the driver does not load.{soon}"
    )


def activation_reason(os_id: str | None, demo: bool) -> str:
    """Why a DKMS-built module under Secure Boot cannot be loaded now, as a clause."""
    what = "Secure Boot is on and the nvidia module was built by DKMS"
    if demo:
        return f"{what}: {demo_rejects()}"
    return f"{what}, which Secure Boot loads only once its key is enrolled: {enrolment(os_id)}"
