"""The engine against real apt-get and dpkg in a throw-away root (tests/sandbox)."""

import threading

import pytest

from nvwizard.engine import events as ev
from nvwizard.engine.journal import Journal, read_events
from nvwizard.engine.runner import DONE, FAILED, Engine
from nvwizard.engine.state import read_state
from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices
from tests.engine.sandboxhost import SandboxHost
from tests.plan.reports import CONTAINER, KERNEL, hopper_server, installed


@pytest.fixture
def sandbox(apt_sandbox):
    apt_sandbox.run(["apt-get", "update"], check=True)
    return apt_sandbox


def report_of(sandbox, **changes):
    present = [p for p, s in sandbox.status().items() if p != "sandbox-base" and s == "ii"]
    changes.setdefault("installed_packages", installed(*present))
    changes.setdefault("nvswitch_count", 0)
    return hopper_server(**changes)


def apply(sandbox, plan, tmp_path, listeners=()):
    host = SandboxHost(sandbox)
    with Journal(tmp_path / "log", tmp_path / "state") as journal:
        engine = Engine(host, plan, journal, listeners)
        outcome = engine.run()
    return outcome, journal, host


def test_purge_install_autoremove_keeps_the_container_toolkit(sandbox, tmp_path):
    sandbox.install("nvidia-driver-535-server", *CONTAINER)
    plan = build_plan(
        report_of(sandbox), Choices(driver="nvidia-driver-580-server-open", lock_timeout_s=5)
    )
    seen: list[ev.Event] = []
    outcome, journal, _ = apply(sandbox, plan, tmp_path, [seen.append])

    assert outcome.status == DONE, (outcome.message, outcome.last_lines)
    status = sandbox.status()
    for package in CONTAINER:
        assert status[package] == "ii"
    for package in ("nvidia-driver-535-server", "nvidia-utils-535-server", "dkms"):
        assert package not in status  # purged, and autoremove took dkms (no rc left)
    for package in plan.install_list:
        assert status[package] == "ii"
    assert f"linux-modules-nvidia-580-server-open-{KERNEL}" in plan.install_list
    progress = [e for e in seen if e.kind == ev.PROGRESS]
    assert progress and all(0 <= e.percent <= 100 for e in progress)
    assert {e.step for e in progress} >= {"purge", "install"}
    assert outcome.reboot_required
    state = read_state(tmp_path / "state")
    assert state.apply.outcome == "done" and state.apply.reboot_pending and state.verify_pending
    assert set(state.apply.steps.values()) == {"done"}
    assert [e.kind for e in read_events(journal.events_path)] == [e.kind for e in seen]


def test_a_failing_postinst_stops_with_the_half_configured_package_and_repair(sandbox, tmp_path):
    report = report_of(sandbox, signed_modules_available=[], driver_candidates=[])
    plan = build_plan(report, Choices(driver="nvidia-driver-570", headless=False))
    outcome, journal, _ = apply(sandbox, plan, tmp_path)

    assert outcome.status == FAILED and outcome.failed_step == "install"
    assert ("nvidia-dkms-570", "iF") in [(b.name, b.state) for b in outcome.broken_packages]
    assert outcome.repair == ("dpkg", "--configure", "-a")
    assert any("returned an error code" in line for line in outcome.last_lines)
    assert sandbox.status()["nvidia-dkms-570"] == "iF"
    last = read_state(tmp_path / "state").apply
    assert last.outcome == "failed" and last.failed_step == "install"
    assert last.steps["install"] == "failed" and last.steps["verify"] == "pending"
    assert last.repair == ("dpkg", "--configure", "-a")
    assert "dpkg --configure -a" in journal.log_path.read_text()

    # the offered repair works once the cause is fixed
    sandbox.fix_postinst("nvidia-dkms-570")
    assert sandbox.run(list(outcome.repair)).returncode == 0
    assert sandbox.status()["nvidia-dkms-570"] == "ii"


def test_a_held_lock_is_waited_for_then_the_plan_proceeds(sandbox, tmp_path):
    plan = build_plan(
        report_of(sandbox), Choices(driver="nvidia-driver-580-server-open", lock_timeout_s=60)
    )
    waiting = threading.Event()

    def release_when_apt_waits(event: ev.Event) -> None:
        if event.kind == ev.OUTPUT and "Waiting for cache lock" in event.lines[0]:
            waiting.set()

    with sandbox.hold_lock() as holder:
        threading.Thread(target=lambda: waiting.wait(60) and holder.release(), daemon=True).start()
        outcome, _, _ = apply(sandbox, plan, tmp_path, [release_when_apt_waits])

    assert waiting.is_set()
    assert outcome.status == DONE, (outcome.message, outcome.last_lines)


def test_a_lock_that_is_never_released_times_out_naming_the_holder(sandbox, tmp_path):
    plan = build_plan(
        report_of(sandbox), Choices(driver="nvidia-driver-580-server-open", lock_timeout_s=1)
    )
    with sandbox.hold_lock(name="unattended-upgr") as holder:
        outcome, _, _ = apply(sandbox, plan, tmp_path)

    assert outcome.status == FAILED
    assert f"process {holder.pid} (unattended-upgr)" in outcome.message
    assert "install" not in outcome.steps_done


def test_an_interrupted_dpkg_is_found_by_the_preflight(sandbox, tmp_path):
    sandbox.interrupt_dpkg("nvidia-dkms-580-server")
    plan = build_plan(report_of(sandbox), Choices(driver="nvidia-driver-580-server-open"))
    outcome, _, host = apply(sandbox, plan, tmp_path)

    assert outcome.status == FAILED and outcome.failed_step == "preflight"
    assert outcome.repair == ("dpkg", "--configure", "-a")
    assert not [argv for argv in host.started if argv[0] == "apt-get"]


def test_an_interrupted_dpkg_known_at_plan_time_is_repaired_first(sandbox, tmp_path):
    sandbox.interrupt_dpkg("nvidia-dkms-580-server")
    report = report_of(sandbox, dpkg_interrupted=True)
    plan = build_plan(report, Choices(driver="nvidia-driver-580-server-open"))
    outcome, _, _ = apply(sandbox, plan, tmp_path)
    assert outcome.status == DONE, (outcome.message, outcome.last_lines)
    assert sandbox.run(["dpkg", "--audit"]).stdout == ""
