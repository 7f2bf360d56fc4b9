"""The wizard's repair after a failed apply, through the real backend on a demo machine:
detected again, planned by plan/build.py's build_repair_plan, applied by the engine."""

from __future__ import annotations

from nvwizard.detect.dpkg import parse_dpkg_query
from nvwizard.engine import events as ev
from nvwizard.engine.runner import Engine
from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from nvwizard.tui.backend import LayersBackend

FAILING = "nvidia-dkms-580"


def failed_install(monkeypatch):
    """The GTX 1080 demo after a desktop install whose DKMS postinst failed."""
    monkeypatch.setenv("NVWIZARD_DEMO_FAIL", FAILING)
    host = demo_host("gtx1080-secureboot")
    plan = build_plan(build_report(host), Choices(driver="nvidia-driver-580", headless=False))
    assert not Engine(host, plan).run().ok
    monkeypatch.delenv("NVWIZARD_DEMO_FAIL")  # the cause is fixed: the repair can succeed
    return host


def states(host) -> dict[str, str]:
    return {e.name: e.state for e in parse_dpkg_query(host.read("dpkg-query.txt") or "")}


def test_the_repair_is_planned_from_a_fresh_detection_and_finishes_the_packages(monkeypatch):
    host = failed_install(monkeypatch)
    unfinished = sorted(n for n, s in states(host).items() if s in ("iF", "iU"))
    assert FAILING in unfinished and len(unfinished) > 1  # what depends on it is left unpacked
    events: list = []
    backend = LayersBackend()

    run = backend.start_repair(host, events.append)
    run.run()

    started = next(e for e in events if isinstance(e, ev.PlanStarted))
    steps = started.plan.steps
    assert [s.id for s in steps] == ["repair", "verify", "audit"]
    assert steps[0].commands[0] == ["dpkg", "--configure", "-a"]
    assert any("-f" in argv and "install" in argv for argv in steps[0].commands)
    verify_argv = steps[1].commands[0]
    assert sorted(verify_argv[3:]) == unfinished  # exactly what the failure left unfinished
    finished = next(e for e in events if isinstance(e, ev.PlanFinished))
    assert finished.outcome.status == "done", finished.outcome
    assert not any(s in ("iF", "iU") for s in states(host).values())
    assert backend.log_path() == run.log_path is not None
    assert not run.detached  # a demo machine repairs in-process


def test_a_repair_cancelled_before_its_plan_is_ready_runs_nothing(monkeypatch):
    host = failed_install(monkeypatch)
    before = states(host)
    events: list = []
    run = LayersBackend().start_repair(host, events.append)

    run.cancel()
    assert run.run() is None

    assert events == [] and run.applying is None
    assert states(host) == before
