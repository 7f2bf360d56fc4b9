"""Each screen at 80x24 on the demo machines, as SVG snapshots (tests/tui/__snapshots__/).

Deterministic: demo pace 0, spinners frozen, explanations dated TOUR_DAY. After a deliberate
UI change: `python -m pytest tests/tui/test_snapshots.py --snapshot-update`, then look at the
report before committing.
"""

from __future__ import annotations

import pytest

from nvwizard.tui.tour import (
    ACTIVATE_DEMO,
    ACTIVATE_TOUR,
    TOUR,
    VERIFY_DEMO,
    VERIFY_TOUR,
    demo_app,
    walk_to,
)

SIZE = (80, 24)


@pytest.mark.parametrize("stop", [s.name for s in TOUR])
def test_tour_screen(snap_compare, stop):
    async def run_before(pilot):
        await walk_to(pilot, stop)

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("stop", [s.name for s in ACTIVATE_TOUR if s.name[:1].isdigit()])
def test_loading_without_a_reboot(snap_compare, stop):
    """The fresh RTX 3090: the Reboot screen offers loading it now, then it is loaded."""

    async def run_before(pilot):
        await walk_to(pilot, stop, ACTIVATE_TOUR)

    assert snap_compare(demo_app(ACTIVATE_DEMO), terminal_size=SIZE, run_before=run_before)


def test_verify_screen_with_failures(snap_compare):
    async def run_before(pilot):
        await walk_to(pilot, VERIFY_TOUR[-1].name, VERIFY_TOUR)

    assert snap_compare(demo_app(VERIFY_DEMO), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare):
    async def run_before(pilot):
        await walk_to(pilot, "03-select")
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)


def test_no_gpu_machine(snap_compare):
    async def run_before(pilot):
        await walk_to(pilot, "01-detect")

    assert snap_compare(demo_app("vm-no-gpu"), terminal_size=SIZE, run_before=run_before)


def test_detect_in_monochrome(snap_compare, monkeypatch):
    """NO_COLOR=1: the words still say it (PURGE/keep, ✓/✗, WARN/BLOCK)."""
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot):
        await walk_to(pilot, "02-purge")

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=run_before)
