"""The detached worker's own crash still ends the journal, with advice that names the install."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from nvwizard.engine import detach, journal
from nvwizard.engine import events as ev
from nvwizard.engine.runner import Engine
from nvwizard.plan import models as pm
from tests.detach.helpers import install_plan


def _crash(plan: pm.Plan, tmp_path, places, monkeypatch) -> ev.Outcome:
    def crash(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Engine, "run", crash)
    monkeypatch.setattr(detach, "_survive_the_terminal", lambda engine: None)
    plan_file = tmp_path / "run" / "plan.json"
    plan_file.parent.mkdir()
    plan_file.write_text(json.dumps(plan.to_json()), encoding="utf-8")
    with pytest.raises(RuntimeError, match="a bug"):
        detach.run_worker(plan_file, "run-1")
    last = journal.read_events(journal.latest_journal(places[1]))[-1]
    assert isinstance(last, ev.PlanFinished) and last.outcome.status == ev.FAILED
    return last.outcome


def test_a_crashed_install_names_the_repair_and_the_install_to_run_again(
    tmp_path, places, monkeypatch
):
    """It said "then apply again" and named no command (`status` names it)."""
    plan = replace(install_plan("nvidia-driver-580-server"), install_options=["--cuda", "12.8"])
    outcome = _crash(plan, tmp_path, places, monkeypatch)
    assert outcome.next_action == (
        "Run `sudo dpkg --configure -a`, then "
        "`sudo nvwizard install --driver nvidia-driver-580-server --cuda 12.8` again."
    )


def test_a_crashed_apply_of_no_install_keeps_the_plain_words(tmp_path, places, monkeypatch):
    plan = replace(install_plan("nvidia-driver-580-server"), purpose=pm.REPAIR_PLAN)
    outcome = _crash(plan, tmp_path, places, monkeypatch)
    assert outcome.next_action == "Run `dpkg --configure -a`, then apply again."
