"""--keep-installed replaces the installed branch in place: the administrator's holds on the
packages it replaces are released first and carried over, as the purge path does (real apt)."""

from __future__ import annotations

from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices
from nvwizard.plan.simulate import check_simulation, simulate
from tests.engine.sandboxhost import SandboxHost
from tests.plan.reports import KERNEL, candidate, hopper_server, installed
from tests.plan.stepwise import apply_step_by_step

NEW = "nvidia-driver-570-server"


def _report(apt_sandbox, held: list[str]):
    present = [
        p for p, s in apt_sandbox.status().items() if s in ("ii", "hi") and p != "sandbox-base"
    ]
    return hopper_server(
        installed_packages=installed(*present),
        nvswitch_count=0,
        driver_candidates=[candidate(NEW)],
        recommended_driver=NEW,
        signed_modules_available=[
            f"linux-modules-nvidia-570-server-{KERNEL}",
            "linux-modules-nvidia-570-server-generic",
        ],
        held_packages=held,
    )


def _holds(apt_sandbox) -> set[str]:
    result = apt_sandbox.run(["apt-mark", "showhold"])
    return set(result.stdout.split())


def test_a_held_package_the_new_branch_replaces_in_place_is_released_and_carried(apt_sandbox):
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install("nvidia-driver-535-server", "nvidia-container-toolkit")
    apt_sandbox.run(["apt-mark", "hold", "nvidia-utils-535-server"], check=True)
    report = _report(apt_sandbox, ["nvidia-utils-535-server"])
    plan = build_plan(report, Choices(driver=NEW, purge=False))

    repair = plan.step("repair")
    assert repair is not None
    assert ["apt-mark", "unhold", "nvidia-utils-535-server"] in repair.commands
    hold = plan.step("hold")
    assert hold is not None and hold.commands == [["apt-mark", "hold", "nvidia-utils-570-server"]]
    assert any("nvidia-utils-535-server -> nvidia-utils-570-server" in w for w in plan.warnings)

    host = SandboxHost(apt_sandbox)
    changes = apply_step_by_step(host, plan, ("repair", "install", "hold"))
    assert "nvidia-utils-535-server" in changes["install"].removed
    assert apt_sandbox.status()["nvidia-utils-570-server"] == "hi"  # installed, held
    assert _holds(apt_sandbox) == {"nvidia-utils-570-server"}


def test_the_simulation_sees_the_hold_released_first(apt_sandbox):
    """apt refuses to replace a held package: the simulation must answer as the apply, after
    the repair step's unhold, not stop on a hold the plan itself releases."""
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install("nvidia-driver-535-server")
    apt_sandbox.run(["apt-mark", "hold", "nvidia-utils-535-server"], check=True)
    plan = build_plan(_report(apt_sandbox, ["nvidia-utils-535-server"]), Choices(NEW, purge=False))
    check = check_simulation(plan, simulate(SandboxHost(apt_sandbox), plan))
    assert check.ok, check.problems
    assert _holds(apt_sandbox) == {"nvidia-utils-535-server"}  # a simulation changes nothing
