"""`nvwizard reboot` checks, before it reboots, that an nvidia module exists for the kernel
that boots next. nvml-mismatch waits for the reboot into linux-image-5.15.0-164-generic; its
bundle has Canonical's signed 550-server modules for 163 and 164. Without the 164 one the
reboot would bring the machine back without an NVIDIA driver: the plan names the blocking
condition no-next-boot-module, and `reboot --yes` refuses (exit 3) unless it is accepted."""

from __future__ import annotations

import shutil

import pytest

from nvwizard.cli.main import main
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import find_demo
from nvwizard.simulator import demo_host
from tests.cli.test_reboot_cli import Worker, saved_boots

DEMO = "nvml-mismatch"
MODULES_164 = "linux-modules-nvidia-550-server-5.15.0-164-generic"
BLOCKER = (
    "Blocking condition [no-next-boot-module]: No nvidia module for 5.15.0-164-generic, which "
    "boots next: the machine would come back without an NVIDIA driver."
)


def without_modules_164(text: str) -> str:
    return "".join(line for line in text.splitlines(True) if MODULES_164 not in line)


@pytest.fixture(autouse=True)
def _quick(monkeypatch, places):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


@pytest.fixture
def demo_without_modules_164():
    machine = demo_host(DEMO).simulator
    for source in ("dpkg-query.txt", "dpkg-l.txt"):
        if machine.read(source):
            machine.write(source, without_modules_164(machine.read(source)))
    machine.save()


def test_the_demo_s_reboot_into_a_kernel_without_the_module_is_refused_unless_accepted(
    demo_without_modules_164, capsys, places
):
    assert main(["reboot", "--demo", DEMO, "--yes"]) == 3
    captured = capsys.readouterr()
    assert BLOCKER in captured.out.splitlines()[8]
    assert "`sudo apt-get install nvidia-dkms-550-server linux-headers-5.15.0-164-generic`" in (
        captured.out
    )
    assert captured.err.rstrip().endswith("add: --accept no-next-boot-module")
    assert saved_boots(places, DEMO) == []
    assert main(["reboot", "--demo", DEMO, "--yes", "--accept", "no-next-boot-module"]) == 0
    out = capsys.readouterr().out
    assert "Accepted (--accept no-next-boot-module)" in out
    assert len(saved_boots(places, DEMO)) == 1


def test_the_demo_with_the_module_for_the_next_kernel_reboots_without_a_condition(capsys, places):
    assert main(["reboot", "--demo", DEMO, "--yes"]) == 0
    assert "no-next-boot-module" not in capsys.readouterr().out


def test_an_unknown_accept_id_is_a_usage_error(capsys):
    assert main(["reboot", "--demo", DEMO, "--yes", "--accept", "gpu-processes"]) == 2
    assert "the ids are: no-next-boot-module" in capsys.readouterr().err


def test_this_machine_refuses_to_schedule_it_under_yes(tmp_path, monkeypatch, capsys):
    """A fake host: nvml-mismatch's bundle read as this machine, without the 164 modules;
    the worker that would reboot this computer is faked."""
    from nvwizard.cli import reboot_cmd
    from nvwizard.simulator import select

    bundle = tmp_path / "bundle"
    shutil.copytree(find_demo(DEMO).path, bundle)
    for source in ("dpkg-query.txt", "dpkg-l.txt"):
        path = bundle / source
        path.write_text(without_modules_164(path.read_text()))
    host = BundleHost(bundle, kind="local", label="this machine")
    monkeypatch.setattr(select, "host_from_args", lambda machine, demo: host)
    monkeypatch.setattr("os.geteuid", lambda: 0)
    worker = Worker()
    monkeypatch.setattr(reboot_cmd, "run_detached", worker)
    assert main(["reboot", "--yes"]) == 3
    out = capsys.readouterr().out
    assert BLOCKER in out
    assert worker.commands == []
    assert main(["reboot", "--dry-run"]) == 0  # shown, run nothing
    assert BLOCKER in capsys.readouterr().out
    assert main(["reboot", "--yes", "--accept", "no-next-boot-module"]) == 0
    assert worker.commands == [["shutdown", "-r", "+1", worker.plans[0].steps[0].commands[0][3]]]
