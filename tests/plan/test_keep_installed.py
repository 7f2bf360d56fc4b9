"""--keep-installed replaces the installed branch in place (apt's Conflicts, no purge): the
administrator's holds on the packages it replaces are released first and carried over, as the
purge path does; another branch's fabric manager and NSCQ are purged in a listed step, not left
beside the new ones; what the replaced branch leaves installed is listed (real apt, the demo)."""

from __future__ import annotations

from dataclasses import replace

from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.models import Choices
from nvwizard.plan.simulate import check_simulation, simulate
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from tests.engine.sandboxhost import SandboxHost
from tests.plan.reports import KERNEL, candidate, hopper_server, installed
from tests.plan.stepwise import apply_step_by_step

NEW = "nvidia-driver-570-server"


def _report(apt_sandbox, held: list[str], nvswitch_count: int = 0):
    present = [
        p for p, s in apt_sandbox.status().items() if s in ("ii", "hi") and p != "sandbox-base"
    ]
    return hopper_server(
        installed_packages=installed(*present),
        nvswitch_count=nvswitch_count,
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


def test_another_branchs_fabric_manager_is_purged_in_a_listed_step_not_left_beside(apt_sandbox):
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install(
        "nvidia-driver-535-server", "nvidia-fabricmanager-535", "libnvidia-nscq-535"
    )
    apt_sandbox.run(["apt-mark", "hold", "nvidia-fabricmanager-535"], check=True)
    report = _report(apt_sandbox, ["nvidia-fabricmanager-535"], nvswitch_count=4)
    plan = build_plan(report, Choices(driver=NEW, purge=False))

    assert plan.purge_list == ["libnvidia-nscq-535", "nvidia-fabricmanager-535"]
    purge = plan.step("purge")
    assert purge is not None and purge.commands[0][-3:] == ["purge", *plan.purge_list]
    assert plan.step("autoremove") is None  # --keep-installed: nothing else goes
    assert "nvidia-fabricmanager-570" in plan.install_list
    host = SandboxHost(apt_sandbox)
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)
    assert check.ok, check.problems
    assert sim.autoremove is None
    apply_step_by_step(host, plan, ("repair", "purge", "install", "hold"))
    status = apt_sandbox.status()
    assert "nvidia-fabricmanager-535" not in status and "libnvidia-nscq-535" not in status
    assert status["nvidia-fabricmanager-570"] == "hi"  # the hold, carried over
    assert status["libnvidia-nscq-570"] == "ii"


LEFT_BY_535 = [
    "libnvidia-cfg1-535-server",
    "libnvidia-common-535-server",
    "libnvidia-decode-535-server",
    "libnvidia-encode-535-server",
    "libnvidia-extra-535-server",
    "libnvidia-fbc1-535-server",
    "libnvidia-gl-535-server",
    "nvidia-firmware-535-server-535.247.01",
    "nvidia-kernel-common-535-server",
    "xserver-xorg-video-nvidia-535-server",
]


def test_on_the_hgx_demo_in_place_nothing_of_the_old_branch_stays_unlisted(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    host = demo_host("hgx-h100")
    report = build_report(host)
    plan = build_plan(report, replace(default_choices(report), purge=False))
    assert plan.purge_list == ["libnvidia-nscq-535", "nvidia-fabricmanager-535"]
    sim = simulate(host, plan)
    check = check_simulation(plan, sim)
    assert check.ok, check.problems
    left = [n for n in check.notes if n.startswith("--keep-installed leaves")]
    assert left == [
        f"--keep-installed leaves 10 packages of the replaced branch installed, which nothing "
        f"of the new driver needs: {', '.join(LEFT_BY_535)} (apt's autoremove takes those "
        f"installed as dependencies). `sudo apt-get purge {' '.join(LEFT_BY_535)}` removes them "
        "once the new driver runs; the default (a purge first) leaves none."
    ]
    apply_step_by_step(host, plan, ("repair", "purge", "install", "hold"))
    after = build_report(host.fresh())
    states = {p.name: p.state for p in after.installed_packages}
    assert "nvidia-fabricmanager-535" not in states or states["nvidia-fabricmanager-535"][1] != "i"
    assert states["nvidia-fabricmanager-595"] == "hi"
    replaced_or_left = {r.old for r in check.replaced} | set(LEFT_BY_535)
    old_branch = {n for n, s in states.items() if "535" in n and s[1] == "i"}
    assert old_branch == set(LEFT_BY_535) and not old_branch - replaced_or_left
