"""A package outside nvwizard's lists that needs the driver (here `gpu-burn`, depending on the
installed libnvidia-compute) stops the purge; on a real machine the advice is to remove it
first with `sudo apt-get purge`. No bundled demo has one, so the test adds it to a kept demo:
there the advice must not send the user to this computer's apt-get."""

from __future__ import annotations

import pytest

from nvwizard.cli.main import main
from nvwizard.simulator import demo_host
from nvwizard.tui.tour import demo_app, settle

DEMO = "hgx-h100"
STANZA = (
    "Package: gpu-burn\nArchitecture: amd64\nVersion: 1.0-1\nPriority: optional\n"
    "Section: universe/utils\nOrigin: Ubuntu\nInstalled-Size: 100\n"
    "Depends: libc6, libnvidia-compute-535-server\n"
    "Filename: pool/universe/g/gpu-burn/gpu-burn_1.0-1_amd64.deb\nSize: 40000\n"
    "Description: Multi-GPU CUDA stress test\n"
)
ON_THE_DEMO = (
    "gpu-burn needs the driver. On a real machine: if no longer needed, {how} it first "
    "(sudo apt-get purge gpu-burn); {who} it from the demo"
)


@pytest.fixture
def demo_with_gpu_burn(places, monkeypatch):
    """The HGX demo, kept in the state directory, with gpu-burn installed from the archive."""
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    machine = demo_host(DEMO).simulator
    machine.write(
        "dpkg-query.txt", machine.read("dpkg-query.txt") + "gpu-burn\tinstall ok installed\t1.0-1\n"
    )
    offers = machine.read("apt-cache-show.txt").rstrip("\n")
    machine.write("apt-cache-show.txt", f"{offers}\n\n{STANZA}\n")
    machine.save()


def test_install_on_the_demo_says_it_as_a_real_machine_s_step(demo_with_gpu_burn, capsys):
    assert main(["install", "--demo", DEMO, "--yes", "--accept", "gpu-processes"]) == 3
    err = capsys.readouterr().err
    assert "the purge would also remove packages you did not confirm: gpu-burn" in err
    assert err.rstrip().endswith(
        ON_THE_DEMO.format(how="remove", who="no nvwizard command removes")
    ), err


async def test_the_wizard_s_install_screen_says_it_as_a_real_machine_s_step(demo_with_gpu_burn):
    app = demo_app(DEMO)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        for _ in range(4):
            if type(app.screen).__name__ == "InstallScreen":
                break
            purge = type(app.screen).__name__ == "PurgeScreen"
            await pilot.press(*(("n", "enter") if purge else ("n",)))
            await settle(pilot)
        problem = app.screen.controller.simulation_problem
        assert problem is not None and problem.endswith(
            ON_THE_DEMO.format(how="quit and remove", who="the wizard does not remove")
        ), problem


def test_on_a_real_machine_it_stays_this_machine_s_apt_get(demo_with_gpu_burn):
    """The same stop, worded for the machine it happens on (this one, or a bundle's)."""
    from nvwizard.cli.simulation_check import what_to_do
    from nvwizard.plan.build import build_plan, default_choices
    from nvwizard.plan.simulate import check_simulation, simulate
    from nvwizard.report.build import build_report

    host = demo_host(DEMO)
    report = build_report(host)
    plan = build_plan(report, default_choices(report))
    check = check_simulation(plan, simulate(host, plan))
    assert check.dragged == ["gpu-burn"]
    assert what_to_do(plan, check) == [
        "gpu-burn needs the driver: if no longer needed, remove it first "
        "(sudo apt-get purge gpu-burn)"
    ]
