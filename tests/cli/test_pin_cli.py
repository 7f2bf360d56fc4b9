"""`nvwizard _pin-cuda-repository`: the plan's pin step alone, as the exported playbook runs it
on a host that already runs the planned driver (tests/export/test_playbook_pin.py)."""

from __future__ import annotations

from nvwizard.cli.main import main
from nvwizard.knowledge.cuda import PIN_FILE
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host


def _pin_content() -> str:
    report = build_report(demo_host("hgx-h100"))
    plan = build_plan(report, default_choices(report))
    step = plan.step("cuda-pin")
    assert step is not None
    return step.writes[0].content


def test_the_plans_pin_is_written_and_detection_then_sees_the_repository_pinned(places, capsys):
    assert build_report(demo_host("hgx-h100")).stack.cuda_repo_driver_pin is False
    assert main(["_pin-cuda-repository", "--demo", "hgx-h100", "--content", _pin_content()]) == 0
    assert capsys.readouterr().out == f"Wrote {PIN_FILE} on demo hgx-h100\n"
    after = build_report(demo_host("hgx-h100"))
    assert after.stack.cuda_repo_driver_pin is True
    assert build_plan(after, default_choices(after)).step("cuda-pin") is None


def test_anything_but_an_apt_pin_is_refused_in_one_line(places, capsys):
    code = main(["_pin-cuda-repository", "--demo", "hgx-h100", "--content", "deb http://x /"])
    assert code == 2
    assert capsys.readouterr().err == (
        "nvwizard: --content is not nvwizard's apt pin: it lacks 'Pin: release o=NVIDIA'\n"
    )
    assert build_report(demo_host("hgx-h100")).stack.cuda_repo_driver_pin is False
