"""Reattaching: progress, outcome and the next step from the lock, state file and journal."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest

from nvwizard.engine import events as ev
from nvwizard.engine.attach import (
    NEXT_INSTALL,
    NEXT_NOTHING,
    NEXT_REBOOT,
    NEXT_REPAIR,
    NEXT_VERIFY,
    NEXT_WAIT,
    DemoNow,
    current_apply,
)
from nvwizard.engine.follow import latest_events_path, replay_and_follow
from nvwizard.engine.lock import ApplyLock
from nvwizard.engine.state import VerifyCheck, VerifyResult, read_state, write_state
from nvwizard.plan.models import Blocker, Plan
from tests.detach.helpers import install_plan
from tests.detach.journal_fixtures import write_journal

BEFORE = 500.0  # boot times relative to the journal's events at t=1000
AFTER = 2000.0


def test_nothing_recorded(places):
    status = current_apply(boot_time=BEFORE)
    assert status.state == "none"


def test_running_apply_progress_and_next_step(places):
    state, log = places
    journal = write_journal(log, state, upto="install-running")
    with ApplyLock() as lock:
        lock.update(journal=str(journal.events_path), driver="nvidia-driver-580-server")
        status = current_apply(boot_time=BEFORE)
    assert status.state == "running"
    assert status.outcome == "running"
    assert status.progress.step_index == 1
    assert status.progress.step_count == 2
    assert status.progress.step_title == "Install the driver"
    assert status.progress.step_percent == 40.0
    assert status.progress.percent == 20.0  # 40% of the first of two steps
    assert status.next_step == NEXT_WAIT


def test_a_worker_that_died_mid_apply_is_interrupted_and_needs_repair(places):
    state, log = places
    write_journal(log, state, upto="install-running")  # nobody holds the lock
    status = current_apply(boot_time=BEFORE)
    assert status.state == "finished"
    assert status.outcome == "interrupted"
    assert status.next_step == NEXT_REPAIR
    assert status.repair == ("dpkg", "--configure", "-a")


def test_done_then_reboot_then_verify_then_nothing(places):
    state, log = places
    write_journal(log, state)
    done = current_apply(boot_time=BEFORE)
    assert (done.outcome, done.next_step) == ("done", NEXT_REBOOT)
    assert done.progress.percent == 100.0
    assert current_apply(boot_time=AFTER).next_step == NEXT_VERIFY
    recorded = read_state(state)
    failing = VerifyResult([VerifyCheck("nvidia-smi", False, "fails", "reboot")], at=AFTER + 1)
    write_state(replace(recorded, verify=failing), state)
    assert current_apply(boot_time=AFTER).next_step == NEXT_VERIFY
    passing = VerifyResult([VerifyCheck("nvidia-smi", True, "answers")], at=AFTER + 2)
    write_state(replace(recorded, verify=passing, verify_pending=False), state)
    assert current_apply(boot_time=AFTER).next_step == NEXT_NOTHING


def test_reboot_pending_and_scheduled_are_facts_of_now_not_of_the_apply(places):
    """After the reboot, status --json said reboot_pending and reboot_scheduled true beside
    rebooted_since true and a passing verify: what the apply left, not what is so."""
    state, log = places
    write_journal(log, state)
    write_state(replace(read_state(state), reboot_scheduled=True), state)
    before = current_apply(boot_time=BEFORE).to_json()
    assert (before["reboot_pending"], before["reboot_scheduled"]) == (True, True)
    assert before["rebooted_since"] is False
    after = current_apply(boot_time=AFTER).to_json()
    assert (after["reboot_pending"], after["reboot_scheduled"]) == (False, False)
    assert after["rebooted_since"] is True
    assert read_state(state).apply.reboot_pending  # the record stays what the apply said


def test_a_demo_running_the_installed_driver_has_no_reboot_pending(places):
    state, log = places
    write_journal(log, state, host=DEMO)
    status = current_apply(demo_now=demo_as(booted_at=BEFORE, driver_runs=True))
    assert status.to_json()["reboot_pending"] is False


def test_failed_apply_offers_the_repair(places):
    state, log = places
    write_journal(log, state, outcome="failed")
    status = current_apply(boot_time=BEFORE)
    assert status.outcome == "failed"
    assert status.next_step == NEXT_REPAIR
    assert "dpkg --configure -a" in status.next_hint
    assert status.to_json()["progress"]["step_index"] == 1
    json.dumps(status.to_json())  # the --json output is serialisable


# -- an apply on this machine: the repair, and the install again with the user's options

HERE_OPTIONS = ["--hold", "--cuda", "12.8", "--keep", "my pkg"]
HERE_AGAIN = "sudo nvwizard install --driver nvidia-driver-580-server --hold --cuda 12.8"
HERE_WITH_OPTIONS = f"{HERE_AGAIN} --keep 'my pkg'"  # shlex.join


def test_a_failed_apply_here_names_the_repair_then_the_same_install(places):
    """It said "then apply again" and named no command: a demo's status named its install."""
    state, log = places
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=HERE_OPTIONS)
    write_journal(log, state, outcome="failed", plan=plan)
    status = current_apply(boot_time=BEFORE)
    assert (status.next_step, status.next_hint) == (
        NEXT_REPAIR,
        f"repair with `sudo dpkg --configure -a`, then run `{HERE_WITH_OPTIONS}` again",
    )


def test_an_interrupted_apply_here_names_the_repair_then_the_same_install(places):
    state, log = places
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=HERE_OPTIONS)
    write_journal(log, state, upto="install-running", plan=plan)  # nobody holds the lock
    status = current_apply(boot_time=BEFORE)
    assert status.outcome == "interrupted"
    assert status.next_hint == (
        f"repair with `sudo dpkg --configure -a`, then run `{HERE_WITH_OPTIONS}` again"
    )


def test_a_cancelled_apply_here_names_the_install_that_finishes_it(places):
    state, log = places
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=HERE_OPTIONS)
    write_journal(log, state, outcome="cancelled", plan=plan)
    status = current_apply(boot_time=BEFORE)
    assert (status.next_step, status.next_hint) == (
        NEXT_INSTALL,
        f"run the install again to finish the remaining steps: `{HERE_WITH_OPTIONS}`",
    )


def test_an_old_state_file_here_names_the_install_with_the_driver_alone(places):
    state, log = places
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=HERE_OPTIONS)
    write_journal(log, state, outcome="cancelled", plan=plan)
    old = json.loads((state / "state.json").read_text())
    for key in ("install_options", "purpose"):  # neither was written then
        del old[key]
    (state / "state.json").write_text(json.dumps(old))
    status = current_apply(boot_time=BEFORE)
    assert status.next_hint == (
        "run the install again to finish the remaining steps: "
        "`sudo nvwizard install --driver nvidia-driver-580-server`"
    )


def test_a_failed_repair_plan_here_names_no_install(places):
    """A repair plan installs no driver: no `install --driver` is made up for it."""
    state, log = places
    plan = replace(install_plan("nvidia-driver-580-server"), purpose="repair")
    write_journal(log, state, outcome="failed", plan=plan)
    status = current_apply(boot_time=BEFORE)
    assert status.next_hint == "repair with `sudo dpkg --configure -a`, then apply again"


# -- an apply on a demo kept in the state directory: the demo's commands, never this machine's

DEMO = "demo hgx-h100 (after your changes: 18 packages removed)"
SAVED = "/s/demo-machines/hgx-h100.json"
AGAIN = "nvwizard install --demo hgx-h100 --driver nvidia-driver-580-server"


def demo_as(booted_at: float | None = None, driver_runs: bool = False):
    """A `demo_now` answering for hgx-h100 as the simulator would."""

    def answer(name, state_dir):
        assert name == "hgx-h100"
        return DemoNow(booted_at=booted_at, driver_runs=driver_runs, saved_in=SAVED)

    return answer


def no_advice_for_this_machine(status) -> None:
    hint = status.next_hint
    assert "sudo" not in hint and "dpkg" not in hint and "shutdown" not in hint, hint
    assert not hint.startswith("reboot;") and status.repair is None


def test_a_demo_apply_whose_process_died_is_resumed_on_the_demo_not_repaired_here(places):
    """It said "repair with `sudo dpkg --configure -a`", for a machine that is not this one."""
    state, log = places
    write_journal(log, state, upto="install-running", host=DEMO)
    status = current_apply(demo_now=demo_as())
    assert (status.outcome, status.next_step) == ("interrupted", NEXT_REPAIR)
    assert status.next_hint == (
        f"run `{AGAIN}` again (its plan first repairs what the demo's package manager left "
        f"unfinished), or reset the demo to its bundle: `rm {SAVED}`"
    )
    no_advice_for_this_machine(status)


def test_a_failed_demo_apply_is_run_again_on_the_demo(places):
    state, log = places
    write_journal(log, state, outcome="failed", host=DEMO)
    status = current_apply(demo_now=demo_as())
    assert status.next_step == NEXT_REPAIR and status.next_hint.startswith(f"run `{AGAIN}` again")
    no_advice_for_this_machine(status)
    assert status.to_json()["repair"] is None  # the demo's dpkg is no command for this one


def test_a_cancelled_demo_apply_names_the_install_to_run_again(places):
    state, log = places
    write_journal(log, state, outcome="cancelled", host=DEMO)
    status = current_apply(demo_now=demo_as())
    assert status.next_hint == f"run the install again to finish the remaining steps: `{AGAIN}`"


# the options the plan was made with besides --driver (plan/install_options.py)
OPTIONS = ["--hold", "--cuda", "12.8", "--keep", "my pkg"]
WITH_OPTIONS = f"{AGAIN} --hold --cuda 12.8 --keep 'my pkg'"  # shlex.join


def test_the_install_again_after_a_failed_demo_apply_carries_the_user_s_options(places):
    """It named `--driver` alone: following it dropped --cuda, --hold, ... ."""
    state, log = places
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=OPTIONS)
    write_journal(log, state, outcome="failed", host=DEMO, plan=plan)
    status = current_apply(demo_now=demo_as())
    assert status.install_options == tuple(OPTIONS)
    assert status.next_hint.startswith(f"run `{WITH_OPTIONS}` again (its plan first repairs")


def test_the_install_again_after_a_cancelled_demo_apply_carries_the_user_s_options(places):
    state, log = places
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=OPTIONS)
    write_journal(log, state, outcome="cancelled", host=DEMO, plan=plan)
    status = current_apply(demo_now=demo_as())
    assert status.next_hint == (
        f"run the install again to finish the remaining steps: `{WITH_OPTIONS}`"
    )


def test_the_install_again_after_a_failed_bundle_apply_carries_the_user_s_options(places):
    state, log = places
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=OPTIONS)
    write_journal(log, state, outcome="failed", host="bundle /b", plan=plan)
    status = current_apply(boot_time=BEFORE)
    again = "nvwizard install --machine /b --driver nvidia-driver-580-server --hold --cuda 12.8"
    assert f"the next `{again} --keep 'my pkg'` starts from the bundle again" in status.next_hint


def test_a_state_file_from_before_the_options_were_recorded_names_the_driver_alone(places):
    state, log = places
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=OPTIONS)
    write_journal(log, state, outcome="failed", host=DEMO, plan=plan)
    old = json.loads((state / "state.json").read_text())
    del old["install_options"]
    (state / "state.json").write_text(json.dumps(old))
    status = current_apply(demo_now=demo_as())
    assert status.install_options == ()
    assert status.next_hint.startswith(f"run `{AGAIN}` again (its plan first repairs")


def test_a_demo_that_needs_its_reboot_is_told_how_a_demo_reboots(places):
    state, log = places
    write_journal(log, state, host=DEMO)
    status = current_apply(boot_time=AFTER, demo_now=demo_as(booted_at=BEFORE))
    assert status.next_step == NEXT_REBOOT and not status.rebooted_since  # the demo's boot
    assert status.next_hint == (
        "reboot the demo: `nvwizard reboot --demo hgx-h100` reboots it, or `nvwizard activate "
        "--demo hgx-h100` loads it without a reboot where that is safe; then run `nvwizard "
        "verify --demo hgx-h100`"
    )
    no_advice_for_this_machine(status)


def test_a_demo_that_runs_the_installed_driver_already_is_verified_not_rebooted(places):
    """A second apply on a demo that had booted the new driver (adding CUDA, say) needs no
    reboot: the installed driver is the one loaded. It said "next: reboot"."""
    state, log = places
    write_journal(log, state, host=DEMO)  # the demo booted before this apply
    status = current_apply(demo_now=demo_as(booted_at=BEFORE, driver_runs=True))
    assert (status.next_step, status.next_hint) == (
        NEXT_VERIFY,
        "run `nvwizard verify --demo hgx-h100`",
    )
    assert status.to_json()["driver_runs"] is True and not status.rebooted_since


def test_this_machines_apply_never_asks_the_demo(places):
    state, log = places
    write_journal(log, state)
    status = current_apply(boot_time=BEFORE, demo_now=lambda *a: pytest.fail(str(a)))
    assert status.next_hint == "reboot; then run `sudo nvwizard verify`"
    assert status.driver_runs is None


MOK = "/var/lib/shim-signed/mok/MOK.der"


def dkms_under_secure_boot(blockers: tuple[str, ...] = ("secure-boot-dkms-only",)) -> Plan:
    """The plan of a DKMS install under Secure Boot, as build_plan makes it."""
    plan = install_plan("nvidia-driver-580-server")
    plan.mok_certificate = MOK
    plan.blockers = [Blocker(name, "...") for name in blockers]
    return plan


def test_this_machine_after_a_dkms_install_under_secure_boot_imports_the_key_first(places):
    """The reboot alone loads nothing: Secure Boot rejects the module until DKMS's key is
    imported (a terminal, a one-time password) and enrolled at the console. It said "reboot;
    then run `sudo nvwizard verify`"."""
    state, log = places
    write_journal(log, state, plan=dkms_under_secure_boot())
    status = current_apply(boot_time=BEFORE)
    assert status.next_step == NEXT_REBOOT
    assert status.next_hint == (
        "Secure Boot is on and DKMS built the module: Secure Boot rejects it until its key is "
        f"enrolled, so before the reboot: run `sudo mokutil --import {MOK}` in a terminal (it "
        "asks twice for a one-time password), reboot (`sudo reboot`) and, on the console or "
        "BMC: MOK Manager (press a key within 10 seconds) -> Enroll MOK -> Continue -> Yes -> "
        "the password; then run `sudo nvwizard verify`"
    )
    assert read_state(state).apply.mok_certificate == MOK  # kept in the state file
    assert current_apply(boot_time=AFTER).next_hint == "run `sudo nvwizard verify`"


def test_this_machine_with_its_reboot_scheduled_imports_the_key_before_it(places):
    state, log = places
    write_journal(log, state, plan=dkms_under_secure_boot())
    write_state(replace(read_state(state), reboot_scheduled=True), state)
    hint = current_apply(boot_time=BEFORE).next_hint
    assert hint.startswith(
        f"a reboot is scheduled: Secure Boot is on and DKMS built the module: Secure Boot "
        f"rejects it until its key is enrolled. Run `sudo mokutil --import {MOK}` now, before "
        "the scheduled reboot"
    )
    assert hint.endswith("; then run `sudo nvwizard verify`")


def test_a_demo_reboot_is_its_own_command_not_the_install_again(places):
    """A demo reboots from the command line with `nvwizard reboot --demo NAME`. It said
    `install --yes --accept gpu-processes --reboot`: the whole install again, accepting its
    blocking conditions again, only to reboot (hgx-h100's training jobs outlive the install)."""
    state, log = places
    plan = dkms_under_secure_boot(blockers=("gpu-processes",))
    plan.mok_certificate = None
    write_journal(log, state, host=DEMO, plan=plan)
    status = current_apply(demo_now=demo_as(booted_at=BEFORE))
    assert status.next_hint.startswith("reboot the demo: `nvwizard reboot --demo hgx-h100` ")
    assert "install" not in status.next_hint and "--accept" not in status.next_hint


def test_replay_and_follow_gives_the_past_then_live_events_until_the_end(places):
    state, log = places
    journal = write_journal(log, state, upto="install-running")
    lock = ApplyLock()
    lock.acquire(driver="nvidia-driver-580-server")
    lock.update(journal=str(journal.events_path))
    seen: list[ev.Event] = []
    replayed = threading.Event()

    def follower():
        for event in replay_and_follow(journal.events_path, poll_s=0.01):
            seen.append(event)
            if event.kind == ev.PROGRESS:
                replayed.set()

    thread = threading.Thread(target=follower)
    thread.start()
    assert replayed.wait(30)
    assert [e.kind for e in seen] == [ev.PLAN_STARTED, ev.STEP_STARTED, ev.OUTPUT, ev.PROGRESS]
    with open(journal.events_path, "a", encoding="utf-8") as out:
        finished = ev.PlanFinished(ev.Outcome(ev.DONE))
        out.write(json.dumps(finished.to_json()) + "\n")
    thread.join(30)
    lock.release()
    assert not thread.is_alive()
    assert seen[-1].kind == ev.PLAN_FINISHED


def test_follow_ends_when_the_worker_died_without_finishing(places):
    state, log = places
    journal = write_journal(log, state, upto="install-running")
    events = list(replay_and_follow(journal.events_path, poll_s=0.01))
    assert [e.kind for e in events][-1] == ev.PROGRESS


def test_latest_events_path_prefers_the_running_apply(places):
    state, log = places
    old = write_journal(log, state)
    assert latest_events_path() == old.events_path
    with ApplyLock() as lock:
        lock.update(journal="/elsewhere/apply-x.jsonl")
        assert str(latest_events_path()) == "/elsewhere/apply-x.jsonl"


def test_an_apply_that_died_after_releasing_holds_names_them(places):
    """A worker that dies between the repair step's unhold and the hold step cannot put the
    holds back: status names them instead of leaving them released in silence."""
    from nvwizard.engine.journal import Journal
    from nvwizard.plan import models as pm
    from nvwizard.plan.models import Step
    from tests.detach.helpers import install_plan

    state, log = places
    plan = install_plan("nvidia-fabricmanager-580")
    unhold = ["apt-mark", "unhold", "nvidia-fabricmanager-535"]
    repair = Step(
        id="repair",
        title="Repair the package manager",
        why="test",
        commands=[unhold],
        changes_system=True,
        on_failure="read the log",
        kind=pm.REPAIR,
    )
    plan.steps.insert(0, repair)
    plan.released_holds = ["nvidia-fabricmanager-535"]
    plan.carried_holds = ["nvidia-fabricmanager-580"]
    journal = Journal(log, state)
    journal(ev.PlanStarted(plan, 4242, "this machine", time=1000.0))
    journal(ev.StepStarted("repair", repair.title, (tuple(unhold),), pm.REPAIR, 1000.0))
    journal(ev.StepFinished("repair", 0, 0.1, True, 1000.0))
    journal(ev.StepStarted("install", "Install the driver", (), pm.INSTALL, 1000.0))
    journal.close()  # and nothing more: the worker is gone

    status = current_apply(boot_time=BEFORE)
    assert status.outcome == "interrupted"
    assert status.message == (
        "the apply stopped without finishing (its process is gone); it had released the "
        "administrator's holds on nvidia-fabricmanager-535 and not carried them over: they may "
        "not be on hold now (`apt-mark showhold`)"
    )
