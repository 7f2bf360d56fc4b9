"""On this machine, `verify` records its result in the state file; the next step follows it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nvwizard.engine.attach import NEXT_NOTHING, NEXT_VERIFY, current_apply
from nvwizard.engine.state import StateFileError, read_state, write_state
from nvwizard.engine.verify import verify
from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import find_demo
from tests.detach.journal_fixtures import write_journal


def real_host(name: str) -> BundleHost:
    """A demo machine's facts, treated as this machine (so the result is recorded)."""
    return BundleHost(find_demo(name).path, kind="local", label="this machine")


def test_a_passing_verify_is_recorded_and_clears_the_pending_verification(places):
    state, log = places
    write_journal(log, state)  # an apply of 580-server finished, reboot pending
    assert current_apply(boot_time=5000.0).next_step == NEXT_VERIFY
    result = verify(real_host("hgx-h100"))
    recorded = read_state(state)
    # The state says 580-server was chosen, but 535-server runs: the flavour still matches
    # (both proprietary), the version check compares module and libraries.
    assert recorded.verify == result
    assert recorded.verify_pending is (not result.ok)
    assert recorded.apply.outcome == "done"  # the apply's own record is kept
    assert [c.name for c in recorded.verify.checks][0] == "module-loaded"
    assert result.ok
    assert current_apply(boot_time=5000.0).next_step == NEXT_NOTHING


def test_a_failing_verify_keeps_verification_pending(places):
    state, log = places
    write_journal(log, state)
    result = verify(real_host("nvml-mismatch"))
    assert not result.ok
    recorded = read_state(state)
    assert recorded.verify.ok is False
    assert recorded.verify_pending is True
    assert current_apply(boot_time=5000.0).next_step == NEXT_VERIFY


def test_the_chosen_flavour_comes_from_the_state_file(places):
    state, log = places
    write_journal(log, state)
    recorded = read_state(state)
    # as if the open modules had been chosen
    write_state(replace(recorded, apply=replace(recorded.apply, flavour="535-server-open")), state)
    checks = {c.name: c for c in verify(real_host("hgx-h100")).checks}
    assert not checks["flavour"].ok
    assert "chosen: 535-server-open" in checks["flavour"].detail


def test_a_demo_host_records_nothing(places):
    state, log = places
    write_journal(log, state)
    before = read_state(state)
    verify(BundleHost(find_demo("hgx-h100").path, kind="demo"))
    assert read_state(state) == before


def test_a_damaged_state_file_stops_verify_before_any_check_and_is_left_alone(places):
    state, _ = places
    state.mkdir(parents=True)
    (state / "state.json").write_text('{"events":7}')
    with pytest.raises(StateFileError, match="move it aside") as caught:
        verify(real_host("hgx-h100"))
    assert caught.value.exit_code == 2 and "\n" not in str(caught.value)
    assert (state / "state.json").read_text() == '{"events":7}'  # for the person to look at
