"""The wizard's start-up runs with Python's cyclic garbage collector paused (issue 12: ~15% of
the time to the first frame); it is resumed at the first frame, and on every way out before it."""

from __future__ import annotations

import gc

import pytest

from nvwizard.cli import main as cli_main
from nvwizard.cli import wizard_cmd
from nvwizard.errors import EXIT_REFUSED, RefusedError
from nvwizard.tui.app import resume_collector


@pytest.fixture(autouse=True)
def _collector_restored():
    yield
    gc.unfreeze()
    gc.enable()


def test_the_wizard_starts_with_the_collector_paused_and_leaves_it_running(monkeypatch):
    seen = []

    def run(args):
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(wizard_cmd, "run", run)
    assert cli_main.main(["--demo"]) == 0
    assert seen == [False]
    assert gc.isenabled()


def test_a_refused_start_leaves_the_collector_running(monkeypatch):
    def run(args):
        raise RefusedError("the wizard needs a full-screen terminal (TERM=dumb)")

    monkeypatch.setattr(wizard_cmd, "run", run)
    assert cli_main.main(["--demo"]) == EXIT_REFUSED
    assert gc.isenabled()


def test_commands_leave_the_collector_alone(monkeypatch, capsys):
    gc.enable()
    assert cli_main.main(["detect", "--demo", "vm-no-gpu", "--json"]) == 0
    capsys.readouterr()
    assert gc.isenabled()


def test_the_first_frame_resumes_the_collector_with_start_up_frozen():
    gc.disable()
    frozen_before = gc.get_freeze_count()
    resume_collector()
    assert gc.isenabled()
    assert gc.get_freeze_count() > frozen_before


def test_resuming_a_running_collector_freezes_nothing():
    gc.enable()
    frozen_before = gc.get_freeze_count()
    resume_collector()
    assert gc.get_freeze_count() == frozen_before


async def test_the_wizard_resumes_the_collector_once_its_first_frame_is_drawn():
    from tests.tui.test_walk_fake import make_app

    gc.disable()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert gc.isenabled()
        assert type(app.screen).__name__ == "DetectScreen"
