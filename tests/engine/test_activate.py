"""Loading the installed driver without a reboot, on simulated machines: the steps as the
engine runs them, the state after each in the journal, and the fallbacks (an unload that fails
midway, one refused before anything is unloaded, a load that fails)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from nvwizard.detect.lsmod import parse_lsmod
from nvwizard.detect.misc import parse_gpu_processes, parse_unit_states
from nvwizard.detect.proc_version import parse_proc_driver_version
from nvwizard.engine import events as ev
from nvwizard.engine.events import CANCELLED, DONE, FAILED, Outcome
from nvwizard.engine.journal import Journal
from nvwizard.engine.runner import Engine
from nvwizard.host.demo import find_demo
from nvwizard.plan.activate import build_activation_plan
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.models import Plan
from nvwizard.report.activation import LOAD, ActivationFacts, decide_activation
from nvwizard.report.activation_facts import activation_facts
from nvwizard.report.build import build_report
from nvwizard.simulator import bundle_host

DAEMONS_ONLY = (
    "2981\tnvidia-persiste\tnvidia-persistenced\t/dev/nvidia0,/dev/nvidia1\n"
    "3107\tnv-fabricmanage\troot\t/dev/nvidia-nvswitchctl\n"
)


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    monkeypatch.setenv("NVWIZARD_DEMO_SPEED", "0")
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL", raising=False)


def installed(tmp_path: Path, demo: str, **files: str):
    """A copy of demo `demo` (files replaced) with its recommended driver installed."""
    folder = tmp_path / demo
    shutil.copytree(find_demo(demo).path, folder)
    for name, text in files.items():
        (folder / name).write_text(text)
    host = bundle_host(folder)
    report = build_report(host)
    plan = build_plan(report, default_choices(report))
    # as an install that leaves NVIDIA's GPU services running (by hand, or an older nvwizard:
    # nvwizard's plan stops them before its purge), so the activation meets them running
    plan.steps = [s for s in plan.steps if s.id != "stop-services"]
    outcome = Engine(host, plan).run()
    assert outcome.status == DONE, outcome.message
    return host, plan.driver


class Run:
    def __init__(self, plan: Plan, outcome: Outcome, events: list[ev.Event], log: str):
        self.plan, self.outcome, self.events, self.log = plan, outcome, events, log

    def started(self) -> list[str]:
        return [e.step for e in self.events if isinstance(e, ev.StepStarted)]

    def output(self, step: str) -> list[str]:
        return [
            line
            for e in self.events
            if isinstance(e, ev.StepOutput) and e.step == step
            for line in e.lines
        ]


def activate(host, driver: str, tmp_path: Path, facts: ActivationFacts | None = None) -> Run:
    facts = facts or activation_facts(host, driver)
    activation = decide_activation(facts)
    plan = build_activation_plan(facts, activation, host.label)
    events: list[ev.Event] = []
    with Journal(tmp_path / "log", tmp_path / "state") as journal:
        outcome = Engine(host, plan, journal, [events.append]).run()
    return Run(plan, outcome, events, journal.log_path.read_text())


def modules(host) -> list[str]:
    return [m.name for m in parse_lsmod(host.read("lsmod.txt") or "")]


def loaded_version(host) -> str | None:
    found = parse_proc_driver_version(host.read("proc-driver-nvidia-version.txt") or "")
    return found.version if found else None


def active_units(host) -> set[str]:
    return {
        u.name
        for u in parse_unit_states(host.read("gpu-services.txt") or "")
        if u.active == "active"
    }


# -- it works ---------------------------------------------------------------------------------


def test_the_fresh_rtx3090_loads_in_place(tmp_path):
    host, driver = installed(tmp_path, "rtx3090-fresh")
    facts = activation_facts(host, driver)
    assert decide_activation(facts).verdict == LOAD
    run = activate(host, driver, tmp_path, facts)
    assert run.outcome.status == DONE, run.outcome.message
    assert not run.outcome.reboot_required
    assert run.started() == [
        "unload-nouveau",
        "load-nvidia",
        "start-gpu-services",  # persistenced, enabled by the install: a boot would start it
        "verify-driver",
    ]
    assert "nouveau" not in modules(host) and modules(host)[:2] == ["nvidia_uvm", "nvidia"]
    assert loaded_version(host) == facts.module_version
    assert active_units(host) == {"nvidia-persistenced.service"}
    assert "nvwizard: verify nvidia-smi: ok: nvidia-smi answers" in "\n".join(
        run.output("verify-driver")
    )


def test_the_state_after_every_step_is_in_the_journal(tmp_path):
    host, driver = installed(tmp_path, "rtx3090-fresh")
    run = activate(host, driver, tmp_path)
    for step in run.started():
        assert any(line.startswith("nvwizard: loaded now: ") for line in run.output(step)), step
    assert "nvwizard: loaded now: no nvidia module; nouveau not loaded" in run.log
    assert (
        f"nvwizard: loaded now: nvidia {loaded_version(host)} (open): nvidia_uvm nvidia" in run.log
    )
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    assert state["outcome"] == "done" and not state["reboot_pending"]


def test_an_upgrade_on_the_hgx_stops_and_restarts_its_services(tmp_path):
    host, driver = installed(tmp_path, "hgx-h100", **{"gpu-processes.txt": DAEMONS_ONLY})
    assert loaded_version(host) == "535.247.01"
    run = activate(host, driver, tmp_path)
    assert run.outcome.status == DONE, run.outcome.message
    assert run.started() == [
        "stop-gpu-services",
        "unload-nvidia",
        "load-nvidia",
        "start-gpu-services",
        "verify-driver",
    ]
    assert loaded_version(host) != "535.247.01"
    assert active_units(host) == {"nvidia-persistenced.service", "nvidia-fabricmanager.service"}
    daemons = {p.name for p in parse_gpu_processes(host.read("gpu-processes.txt"))}
    assert daemons == {"nvidia-persiste", "nv-fabricmanage"}
    assert "nvwizard: nvidia_peermem is not loaded" not in run.log  # never planned: not loaded


# -- the fallbacks ----------------------------------------------------------------------------


def test_an_unload_that_fails_midway_leaves_the_old_driver_and_restarts_the_services(
    tmp_path, monkeypatch
):
    host, driver = installed(tmp_path, "hgx-h100", **{"gpu-processes.txt": DAEMONS_ONLY})
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "unload:nvidia")
    run = activate(host, driver, tmp_path)
    outcome = run.outcome
    assert outcome.status == FAILED
    assert outcome.failed_step == "unload-nvidia"
    assert outcome.message == (
        "Unload the old driver's modules failed: modprobe: FATAL: Module nvidia is in use."
    )
    assert outcome.reboot_required
    assert "reboot" in outcome.next_action
    # nvidia_uvm, nvidia_drm and nvidia_modeset went; nvidia (the old one) stays and runs
    assert [m for m in modules(host) if m.startswith("nvidia")] == ["nvidia"]
    assert loaded_version(host) == "535.247.01"
    # nothing loaded; the services came back on the old driver, but the install replaced
    # fabric manager with the new branch's, which does not start beside the old module: it
    # runs once the reboot loads the new driver
    assert run.started() == ["stop-gpu-services", "unload-nvidia", "restart-gpu-services"]
    assert active_units(host) == {"nvidia-persistenced.service"}
    assert "nvwizard: loaded now: nvidia 535.247.01 (proprietary): nvidia" in run.log
    # and says so, with what it means until the reboot
    assert outcome.next_action.startswith(
        "The old nvidia module keeps running, without fabric manager: the installed "
        "nvidia-fabricmanager-595 (595.58.03) runs only beside the 595.58.03 driver, so "
        "multi-GPU jobs over NVLink cannot start until the reboot, but the modules already "
        "unloaded"
    )


def test_an_unload_is_refused_before_anything_leaves_when_a_job_started_meanwhile(tmp_path):
    host, driver = installed(tmp_path, "hgx-h100", **{"gpu-processes.txt": DAEMONS_ONLY})
    facts = activation_facts(host, driver)  # the decision: nothing but the services
    job = "1843117\tpython3\tmlops\t/dev/nvidia0\n"
    host.simulator.write("gpu-processes.txt", DAEMONS_ONLY + job)  # then a job starts
    run = activate(host, driver, tmp_path, facts)
    assert run.outcome.status == FAILED
    assert run.outcome.message.startswith(
        "Unload the old driver's modules failed: nvidia_uvm is in use"
    )
    assert "nothing was unloaded" in run.outcome.message
    assert [m for m in modules(host) if m.startswith("nvidia")] == [
        "nvidia_uvm",
        "nvidia_drm",
        "nvidia_modeset",
        "nvidia",
    ]
    assert run.outcome.next_action.startswith(
        "The old driver keeps running and its services were started again, without fabric "
        "manager: the installed nvidia-fabricmanager-595 (595.58.03) runs only beside the "
        "595.58.03 driver, so multi-GPU jobs over NVLink cannot start until the reboot."
    )
    # the new branch's fabric manager (installed) does not start beside the old module
    assert active_units(host) == {"nvidia-persistenced.service"}


def test_a_load_that_fails_offers_the_reboot_with_the_exact_error(tmp_path, monkeypatch):
    host, driver = installed(tmp_path, "rtx3090-fresh")
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", "load:nvidia")
    run = activate(host, driver, tmp_path)
    outcome = run.outcome
    assert outcome.status == FAILED and outcome.failed_step == "load-nvidia"
    assert outcome.message == (
        "Load the new driver failed: modprobe: ERROR: could not insert 'nvidia': No such device"
    )
    assert outcome.next_action.startswith("Reboot to load the new driver")
    assert outcome.reboot_required
    assert "verify-driver" not in run.started()
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    assert state["reboot_pending"] and state["outcome"] == "failed"


def test_secure_boot_refusing_the_key_says_so(tmp_path):
    """A DKMS module under Secure Boot, when the decision was told Secure Boot was off."""
    host, driver = installed(
        tmp_path, "debian12-t4", **{"mokutil-sb-state.txt": "SecureBoot enabled\n"}
    )
    facts = replace(activation_facts(host, driver), secure_boot="disabled")
    run = activate(host, driver, tmp_path, facts)
    assert run.outcome.message.endswith(
        "modprobe: ERROR: could not insert 'nvidia': Key was rejected by service"
    )
    # Debian's dkms key: imported, then enrolled in MOK Manager at the reboot
    assert run.outcome.next_action.startswith(
        "Secure Boot refused the module until its key is enrolled: run `sudo mokutil --import "
        "/var/lib/dkms/mok.pub` in a terminal (it asks twice for a one-time password), reboot"
    )
    assert run.outcome.next_action.endswith("then run `sudo nvwizard verify`.")


def test_cancelling_after_the_old_module_left_still_loads_the_new_one(tmp_path):
    host, driver = installed(tmp_path, "hgx-h100", **{"gpu-processes.txt": DAEMONS_ONLY})
    facts = activation_facts(host, driver)
    plan = build_activation_plan(facts, decide_activation(facts), host.label)

    def cancel_after_unload(event):
        if isinstance(event, ev.StepFinished) and event.step == "unload-nvidia":
            engine.cancel()

    engine = Engine(host, plan, listeners=[cancel_after_unload])
    assert engine.run().status == DONE  # stopping there would leave no driver at all
    assert loaded_version(host) == facts.module_version


def test_cancelling_before_any_module_left_stops(tmp_path):
    host, driver = installed(tmp_path, "hgx-h100", **{"gpu-processes.txt": DAEMONS_ONLY})
    facts = activation_facts(host, driver)
    plan = build_activation_plan(facts, decide_activation(facts), host.label)
    engine = Engine(host, plan)
    engine.cancel()
    assert engine.run().status == CANCELLED
    assert loaded_version(host) == "535.247.01"


def test_the_plan_says_what_a_failed_unload_leaves_on_an_nvswitch_board(tmp_path):
    """Before it runs: the note and the unload's failure text name the missing fabric manager;
    a board without one (rtx3090-fresh) has nothing of it."""
    host, driver = installed(tmp_path, "hgx-h100", **{"gpu-processes.txt": DAEMONS_ONLY})
    facts = activation_facts(host, driver)
    assert (facts.fabric_manager, facts.fabric_manager_version) == (
        "nvidia-fabricmanager-595",
        "595.58.03",
    )
    activation = decide_activation(facts)
    assert activation.verdict == LOAD
    gap = (
        "without fabric manager: the installed nvidia-fabricmanager-595 (595.58.03) runs only "
        "beside the 595.58.03 driver, so multi-GPU jobs over NVLink cannot start until the reboot"
    )
    assert (
        "nvidia 535.247.01 runs until the unload; if an unload fails, it keeps running and the "
        f"services are started again, {gap}."
    ) in activation.notes
    plan = build_activation_plan(facts, activation, host.label)
    assert plan.step("unload-nvidia").on_failure.startswith(
        f"The old driver keeps running and the services start again, {gap}; "
    )
    fresh, fresh_driver = installed(tmp_path / "fresh", "rtx3090-fresh")
    fresh_facts = activation_facts(fresh, fresh_driver)
    assert fresh_facts.fabric_manager is None
    assert decide_activation(fresh_facts).until_reboot is None
