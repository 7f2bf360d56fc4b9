"""The activation plan: the steps and exact commands that load the installed driver in place."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nvwizard.detect.models import LsmodEntry, UnitState
from nvwizard.plan import models as pm
from nvwizard.plan.activate import build_activation_plan
from nvwizard.plan.models import Plan
from nvwizard.report.activation import SIGNED, ActivationFacts, decide_activation

FRESH = ActivationFacts(
    kernel="5.15.0-163-generic",
    driver="nvidia-driver-580-server-open",
    module_version="580.95.05",
    module_flavor="open",
    module_source=SIGNED,
    branch=580,
    secure_boot="disabled",
)
OLD = (
    LsmodEntry("nvidia", 56795136, ("nvidia_uvm", "nvidia_modeset", "nvidia_peermem"), 3),
    LsmodEntry("nvidia_peermem", 16384, (), 0),
    LsmodEntry("nvidia_modeset", 1355776, ("nvidia_drm",), 1),
    LsmodEntry("nvidia_uvm", 1523712, (), 0),
    LsmodEntry("nvidia_drm", 122880, (), 0),
)


def plan_for(facts: ActivationFacts) -> Plan:
    return build_activation_plan(facts, decide_activation(facts), "demo test")


def commands(plan: Plan) -> list[tuple[str, list[list[str]]]]:
    return [(s.id, s.commands) for s in plan.steps]


def test_a_fresh_machine_is_a_plain_modprobe():
    assert commands(plan_for(FRESH)) == [
        ("load-nvidia", [["modprobe", "nvidia"], ["modprobe", "nvidia_uvm"]]),
        ("verify-driver", [["nvidia-smi"]]),
    ]


def test_nouveau_goes_first():
    facts = replace(FRESH, nouveau=LsmodEntry("nouveau", 2424832, (), 0), nouveau_bound=True)
    assert [s.id for s in plan_for(facts).steps] == [
        "unload-nouveau",
        "load-nvidia",
        "verify-driver",
    ]
    assert plan_for(facts).step("unload-nouveau").commands == [["modprobe", "-r", "nouveau"]]


def test_an_upgrade_stops_unloads_in_order_loads_and_starts_again():
    facts = replace(
        FRESH,
        nvidia_modules=OLD,
        loaded_version="535.247.01",
        services=(
            UnitState("nvidia-persistenced.service", "active", "enabled"),
            UnitState("nvidia-fabricmanager.service", "active", "enabled"),
        ),
    )
    plan = plan_for(facts)
    assert plan.purpose == pm.ACTIVATE_PLAN
    assert commands(plan) == [
        (
            "stop-gpu-services",
            [
                ["systemctl", "stop", "nvidia-fabricmanager.service"],
                ["systemctl", "stop", "nvidia-persistenced.service"],
            ],
        ),
        (
            "unload-nvidia",
            [
                ["modprobe", "-r", "nvidia_uvm"],
                ["modprobe", "-r", "nvidia_drm"],
                ["modprobe", "-r", "nvidia_modeset"],
                ["modprobe", "-r", "nvidia_peermem"],
                ["modprobe", "-r", "nvidia"],
            ],
        ),
        (
            "load-nvidia",
            [
                ["modprobe", "nvidia"],
                ["modprobe", "nvidia_modeset"],
                ["modprobe", "nvidia_drm"],
                ["modprobe", "nvidia_uvm"],
                ["modprobe", "nvidia_peermem"],  # it was loaded: GPUDirect RDMA stays
            ],
        ),
        (
            "start-gpu-services",
            [
                ["systemctl", "start", "nvidia-persistenced.service"],
                ["systemctl", "start", "nvidia-fabricmanager.service"],
            ],
        ),
        ("verify-driver", [["nvidia-smi"]]),
    ]
    assert [s.kind for s in plan.steps] == [
        pm.STOP_SERVICES,
        pm.UNLOAD,
        pm.LOAD,
        pm.START_SERVICES,
        pm.VERIFY_DRIVER,
    ]
    assert "535.247.01" in plan.step("unload-nvidia").why


def test_a_desktop_gets_the_display_modules():
    facts = replace(FRESH, desktop=True)
    assert plan_for(facts).step("load-nvidia").commands == [
        ["modprobe", "nvidia"],
        ["modprobe", "nvidia_modeset"],
        ["modprobe", "nvidia_drm"],
        ["modprobe", "nvidia_uvm"],
    ]


def test_the_plan_survives_its_json():
    facts = replace(FRESH, nvidia_modules=OLD, loaded_version="535.247.01")
    plan = plan_for(facts)
    assert Plan.from_json(plan.to_json()).to_json() == plan.to_json()
    assert plan.to_json()["purpose"] == "activate"


def test_no_plan_when_the_decision_says_reboot():
    facts = replace(FRESH, pending_kernel="linux-image-5.15.0-164-generic")
    with pytest.raises(ValueError, match="waits for a reboot"):
        plan_for(facts)
