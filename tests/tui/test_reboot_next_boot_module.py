"""The wizard's Reboot screen checks, as `nvwizard reboot` does, that an nvidia module exists
for the kernel that boots next. Where none does, the screen names the blocking condition
no-next-boot-module above its choice, moves the focus to Later, and only pressing Reboot now
or In one minute accepts it (the result says so). The real backend's answer is the CLI's:
nvml-mismatch waits for the reboot into 5.15.0-164-generic, here without its modules."""

from __future__ import annotations

import pytest

from nvwizard.plan.models import Blocker
from nvwizard.simulator import demo_host
from nvwizard.tui.backend import LayersBackend
from tests.cli.test_reboot_next_boot_module import BLOCKER, DEMO, without_modules_164
from tests.tui.fakes import FakeBackend
from tests.tui.test_walk_fake import make_app, settle

SIZE = (80, 24)
HEADING = "Blocking condition (pressing Reboot now or In one minute accepts it):"
MESSAGE = (
    "No nvidia module for 5.15.0-164-generic, which boots next: the machine would come back "
    "without an NVIDIA driver. Run `sudo apt-get install nvidia-dkms-550-server`."
)


def blocked_backend() -> FakeBackend:
    backend = FakeBackend()
    backend.next_boot = Blocker("no-next-boot-module", MESSAGE)
    return backend


async def reboot_screen(pilot):
    await settle(pilot)
    pilot.app.go("reboot")
    await settle(pilot)
    return pilot.app.screen


async def test_the_condition_is_named_before_the_choice_and_a_reboot_accepts_it():
    backend = blocked_backend()
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await reboot_screen(pilot)
        blocker = screen.query_one("#blocker")
        assert blocker.display
        assert blocker.plain.startswith(HEADING)
        assert f"no-next-boot-module: {MESSAGE}" in " ".join(blocker.plain.split())
        assert screen.focused.id == "later"  # Enter alone does not reboot into it
        screen.query_one("#soon").focus()
        await pilot.press("enter")  # In one minute: the acceptance
        await settle(pilot)
        assert backend.reboots == [1]
        assert screen.controller.result.startswith("Accepted: no-next-boot-module. ")


async def test_enter_on_later_leaves_the_machine_up():
    backend = blocked_backend()
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await reboot_screen(pilot)
        await pilot.press("enter")  # Later has the focus
        await settle(pilot)
        assert backend.reboots == []
        assert screen.controller.result.startswith("No reboot now.")


async def test_with_a_module_for_the_next_kernel_nothing_is_named():
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await reboot_screen(pilot)
        assert screen.controller.checked and not screen.query_one("#blocker").display
        assert screen.focused.id == "soon"


@pytest.fixture
def demo_without_modules_164(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    machine = demo_host(DEMO).simulator
    for source in ("dpkg-query.txt", "dpkg-l.txt"):
        if machine.read(source):
            machine.write(source, without_modules_164(machine.read(source)))
    machine.save()


def test_the_real_backend_names_what_the_command_line_names(demo_without_modules_164):
    blocker = LayersBackend().next_boot_blocker(demo_host(DEMO))
    assert blocker is not None and blocker.id == "no-next-boot-module"
    assert f"Blocking condition [{blocker.id}]: {blocker.message}".startswith(BLOCKER)


def test_the_real_backend_names_nothing_where_the_module_exists(places):
    assert LayersBackend().next_boot_blocker(demo_host(DEMO)) is None
