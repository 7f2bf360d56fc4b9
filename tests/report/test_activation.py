"""The decision whether the installed driver can be loaded without a reboot: a table of facts
and the verdict and reason each gives."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nvwizard.detect.models import GpuProcess, LsmodEntry, UnitState
from nvwizard.host.demo_advice import DemoRef
from nvwizard.report.activation import (
    DKMS,
    LOAD,
    LOADED,
    REBOOT,
    SIGNED,
    ActivationFacts,
    decide_activation,
)

OLD_MODULES = (
    LsmodEntry("nvidia_uvm", 1523712, (), 0),
    LsmodEntry("nvidia_drm", 122880, (), 0),
    LsmodEntry("nvidia_modeset", 1355776, ("nvidia_drm",), 1),
    LsmodEntry("nvidia", 56795136, ("nvidia_uvm", "nvidia_modeset"), 2),
)
PERSISTENCED = UnitState("nvidia-persistenced.service", "active", "enabled")
FABRIC = UnitState("nvidia-fabricmanager.service", "active", "enabled")
DEMO = DemoRef("gtx1080-secureboot")  # a demo machine, whose simulator enrols no key
FRESH = ActivationFacts(
    kernel="6.8.0-94-generic",
    driver="nvidia-driver-580-server-open",
    module_version="580.95.05",
    module_flavor="open",
    module_source=SIGNED,
    branch=580,
    secure_boot="disabled",
)
UPGRADE = replace(
    FRESH,
    nvidia_modules=OLD_MODULES,
    loaded_version="535.247.01",
    loaded_flavor="proprietary",
    services=(PERSISTENCED, FABRIC),
    gpu_processes=(
        GpuProcess(2981, "nvidia-persiste", "nvidia-persistenced", "/dev/nvidia0"),
        GpuProcess(3107, "nv-fabricmanage", "root", "/dev/nvidia-nvswitchctl"),
    ),
)
JOBS = tuple(GpuProcess(1843117 + i, "python3", "mlops", f"/dev/nvidia{i}") for i in range(8))

CASES = [
    # (name, facts, verdict, reason or its start)
    (
        "fresh machine, signed module",
        FRESH,
        LOAD,
        "nothing holds the driver: load nvidia 580.95.05",
    ),
    (
        "fresh machine, nouveau loaded but unused, console elsewhere",
        replace(
            FRESH,
            nouveau=LsmodEntry("nouveau", 2424832, (), 0),
            nouveau_bound=True,
            console_framebuffer="astdrmfb",
        ),
        LOAD,
        "nothing holds the driver: unload nouveau, load nvidia 580.95.05",
    ),
    (
        "upgrade: the services hold the GPU, nothing else",
        UPGRADE,
        LOAD,
        "nothing holds the driver: stop nvidia-fabricmanager, nvidia-persistenced, unload the "
        "old nvidia 535.247.01, load nvidia 580.95.05, start the services again",
    ),
    (
        "already loaded",
        replace(
            FRESH, nvidia_modules=OLD_MODULES, loaded_version="580.95.05", loaded_flavor="open"
        ),
        LOADED,
        "nvidia 580.95.05, the installed version, is loaded already",
    ),
    (
        "same version, other flavour loaded",
        replace(
            FRESH,
            nvidia_modules=OLD_MODULES,
            loaded_version="580.95.05",
            loaded_flavor="proprietary",
        ),
        LOAD,
        "nothing holds the driver: unload the old nvidia 580.95.05",
    ),
    (
        "no module for the running kernel",
        replace(FRESH, module_version=None, module_source=None),
        REBOOT,
        "no nvidia module is installed for the running kernel 6.8.0-94-generic",
    ),
    (
        "a kernel update waits for the reboot",
        replace(FRESH, pending_kernel="linux-image-6.8.0-95-generic"),
        REBOOT,
        "a kernel update (linux-image-6.8.0-95-generic) waits for a reboot, which loads the new "
        "driver too",
    ),
    (
        "DKMS under Secure Boot",
        replace(FRESH, module_source=DKMS, secure_boot="enabled"),
        REBOOT,
        "Secure Boot is on and the nvidia module was built by DKMS, which Secure Boot loads "
        "only once its key is enrolled: run `sudo mokutil --import "
        "/var/lib/shim-signed/mok/MOK.der` in a terminal",
    ),
    (
        "DKMS under Secure Boot on Debian",
        replace(FRESH, module_source=DKMS, secure_boot="enabled", os_id="debian"),
        REBOOT,
        "Secure Boot is on and the nvidia module was built by DKMS, which Secure Boot loads "
        "only once its key is enrolled: run `sudo mokutil --import /var/lib/dkms/mok.pub`",
    ),
    (
        "DKMS under Secure Boot on a demo, whose simulator enrols no key",
        replace(FRESH, module_source=DKMS, secure_boot="enabled", demo=DEMO),
        REBOOT,
        "Secure Boot is on and the nvidia module was built by DKMS: on this demo the simulated "
        "boot rejects the module",
    ),
    (
        "DKMS with Secure Boot off",
        replace(FRESH, module_source=DKMS, secure_boot="disabled"),
        LOAD,
        "nothing holds the driver",
    ),
    (
        "DKMS on a machine without EFI (Debian in a VM)",
        replace(FRESH, module_source=DKMS, secure_boot="unsupported"),
        LOAD,
        "nothing holds the driver",
    ),
    (
        "signed module under Secure Boot",
        replace(FRESH, secure_boot="enabled"),
        LOAD,
        "nothing holds the driver",
    ),
    (
        "DKMS, Secure Boot unknown",
        replace(FRESH, module_source=DKMS, secure_boot="unknown"),
        REBOOT,
        "Secure Boot's state is unknown",
    ),
    (
        "training jobs on the GPUs",
        replace(UPGRADE, gpu_processes=UPGRADE.gpu_processes + JOBS),
        REBOOT,
        "the jobs using the GPU must stop first: 8 processes, python3 of mlops (pid 1843117 "
        "and 7 more)",
    ),
    (
        "a service's daemon whose unit is not running counts as a job",
        replace(UPGRADE, services=(FABRIC,)),
        REBOOT,
        "the jobs using the GPU must stop first: 1 process, nvidia-persiste of "
        "nvidia-persistenced (pid 2981)",
    ),
    (
        "a display server on the GPU",
        replace(UPGRADE, gpu_processes=(GpuProcess(1201, "Xorg", "root", "/dev/nvidia0"),)),
        REBOOT,
        "the jobs using the GPU must stop first",  # the first reason; the display one follows
    ),
    (
        "nvidia_drm held by something that is no module",
        replace(
            UPGRADE,
            nvidia_modules=(LsmodEntry("nvidia_drm", 122880, (), 3), *OLD_MODULES[2:]),
        ),
        REBOOT,
        "nvidia_drm is in use (3 users besides modules): a display server or the console's "
        "framebuffer holds it",
    ),
    (
        "nouveau with the console's framebuffer on it",
        replace(
            FRESH,
            nouveau=LsmodEntry("nouveau", 2424832, (), 1),
            nouveau_bound=True,
            console_framebuffer="nouveaudrmfb",
        ),
        REBOOT,
        "nouveau drives the GPU and the console's framebuffer (nouveaudrmfb) sits on it",
    ),
    (
        "nouveau in use, no /proc/fb",
        replace(FRESH, nouveau=LsmodEntry("nouveau", 2424832, (), 2), nouveau_bound=True),
        REBOOT,
        "nouveau is in use (2 users: the console or a display server)",
    ),
    (
        "lsmod unreadable",
        replace(FRESH, lsmod_read=False),
        REBOOT,
        "which kernel modules are loaded is unknown (no lsmod output)",
    ),
]


@pytest.mark.parametrize(
    ("facts", "verdict", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_decision_table(facts, verdict, reason):
    activation = decide_activation(facts)
    assert activation.verdict == verdict
    assert activation.reason.startswith(reason)


def test_every_reason_is_kept_most_basic_first():
    facts = replace(
        UPGRADE,
        module_source=DKMS,
        secure_boot="enabled",
        gpu_processes=JOBS,
        pending_kernel="linux-image-6.8.0-95-generic",
    )
    reasons = decide_activation(facts).reasons
    # the key's enrolment first: the kernel update's reboot alone would not load the module
    assert [r.split(" ")[0] for r in reasons] == ["Secure", "a", "the"]
    assert "linux-image-6.8.0-95-generic" in reasons[1]


def test_services_stop_in_order_and_the_enabled_ones_start_after_the_load():
    facts = replace(
        UPGRADE,
        services=(PERSISTENCED, FABRIC, UnitState("nvidia-dcgm.service", "inactive", "enabled")),
    )
    activation = decide_activation(facts)
    assert activation.stop_services == (
        "nvidia-fabricmanager.service",
        "nvidia-persistenced.service",
    )
    # what a boot would have started, on the new driver: DCGM too
    assert activation.start_services == (
        "nvidia-persistenced.service",
        "nvidia-fabricmanager.service",
        "nvidia-dcgm.service",
    )


def test_the_line_scripts_rely_on():
    assert decide_activation(FRESH).summary_line() == (
        "Activated: nvidia-driver-580-server-open 580.95.05 is loaded without a reboot"
    )
    running = replace(
        FRESH,
        nouveau=None,
        nouveau_bound=False,
        loaded_version="580.95.05",
        loaded_flavor="open",
        nvidia_modules=(LsmodEntry("nvidia", 1, (), 0),),
    )
    assert decide_activation(running).summary_line() == (
        "Nothing to do: nvidia-driver-580-server-open 580.95.05, the installed version, is "
        "loaded already"
    )
    refused = decide_activation(replace(FRESH, module_source=DKMS, secure_boot="enabled"))
    assert refused.summary_line() == (
        "Not activated: Secure Boot is on and the nvidia module was built by DKMS, which Secure "
        "Boot loads only once its key is enrolled: run `sudo mokutil --import "
        "/var/lib/shim-signed/mok/MOK.der` in a terminal (it asks twice for a one-time "
        "password), then at the next boot, on the console or BMC: MOK Manager (press a key "
        "within 10 seconds) -> Enroll MOK -> Continue -> Yes -> the password; reboot to load it"
    )
    # a demo's simulated boot rejects it too: no reboot loads it there
    on_a_demo = replace(FRESH, module_source=DKMS, secure_boot="enabled", demo=DEMO)
    assert (
        decide_activation(on_a_demo)
        .summary_line()
        .endswith("the simulator cannot enrol a key; a reboot does not load it on this demo")
    )
