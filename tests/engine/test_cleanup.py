"""Old applies' run folders and worker outputs are pruned when a new apply starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from nvwizard.engine import detach
from nvwizard.engine.cleanup import prune_old_applies
from nvwizard.engine.lock import ApplyLock


def run_ids(count: int) -> list[str]:
    """Oldest first, in the form new_run_id() makes."""
    return [f"200011{day:02d}-120000-abc{day:03x}" for day in range(1, count + 1)]


@pytest.fixture
def places(tmp_path, monkeypatch):
    state, log = tmp_path / "state", tmp_path / "log"
    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(state))
    monkeypatch.setenv("NVWIZARD_LOG_DIR", str(log))
    log.mkdir(parents=True)
    return state, log


def make_applies(state: Path, log: Path, ids: list[str]) -> None:
    for run_id in ids:
        (state / "applies" / run_id).mkdir(parents=True)
        (state / "applies" / run_id / "plan.json").write_text("{}")
        (log / f"worker-{run_id}.out").write_text("")


def remaining(state: Path, log: Path) -> tuple[list[str], list[str]]:
    dirs = sorted(p.name for p in (state / "applies").iterdir())
    outs = sorted(p.name for p in log.iterdir())
    return dirs, outs


def test_keeps_the_newest_ten_and_leaves_journals_and_foreign_files(places):
    state, log = places
    ids = run_ids(13)
    make_applies(state, log, ids)
    (state / "applies" / "notes").mkdir()
    (log / "apply-20261101T120000000000Z.jsonl").write_text("")
    (log / "worker-by-hand.out").write_text("")

    removed = prune_old_applies(state, log)

    assert len(removed) == 6  # three folders, three worker outputs
    dirs, outs = remaining(state, log)
    assert dirs == sorted([*ids[3:], "notes"])
    assert outs == sorted(
        [f"worker-{i}.out" for i in ids[3:]]
        + ["apply-20261101T120000000000Z.jsonl", "worker-by-hand.out"]
    )


def test_orphan_worker_outputs_count_as_applies(places):
    state, log = places
    ids = run_ids(12)
    make_applies(state, log, ids[1:])
    (log / f"worker-{ids[0]}.out").write_text("exited before taking the lock")
    prune_old_applies(state, log)
    dirs, outs = remaining(state, log)
    assert dirs == ids[2:] and outs == [f"worker-{i}.out" for i in ids[2:]]


def test_never_removes_the_running_apply_or_a_protected_one(places):
    state, log = places
    ids = run_ids(14)
    make_applies(state, log, ids)
    with ApplyLock(state) as lock:
        lock.update(run_id=ids[0])
        prune_old_applies(state, log, protect=[ids[1]])
    dirs, _ = remaining(state, log)
    assert dirs == [ids[0], ids[1], *ids[4:]]


def test_nothing_to_prune_and_missing_folders_are_fine(tmp_path):
    assert prune_old_applies(tmp_path / "none", tmp_path / "nolog") == []


def test_starting_an_apply_prunes_the_old_ones(places, monkeypatch):
    state, log = places
    ids = run_ids(12)
    make_applies(state, log, ids)
    monkeypatch.setattr(detach, "start_detached", lambda *a, **k: None)
    monkeypatch.setattr(detach, "_await_start", lambda directory, run_id, *a: run_id)
    from nvwizard.plan.build import build_plan, default_choices
    from tests.plan.reports import hopper_server

    report = hopper_server()
    new_id = detach.start_detached_apply(build_plan(report, default_choices(report)))

    dirs, _ = remaining(state, log)
    assert new_id in dirs and len(dirs) == 10
    assert dirs == sorted([*ids[3:], new_id])
    assert (state / "applies" / new_id / "plan.json").exists()
