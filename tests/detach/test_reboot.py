"""The scheduled reboot: argv through the host, cancellable, and the state marks verification."""

from __future__ import annotations

import pytest

from nvwizard.engine.attach import NEXT_REBOOT, NEXT_VERIFY, current_apply
from nvwizard.engine.reboot import cancel_reboot, reboot_argv, schedule_reboot
from nvwizard.engine.state import RecordedState, read_state
from nvwizard.engine.verify import verification_pending
from nvwizard.errors import NvwizardError
from tests.detach.fake_host import RecordingHost
from tests.detach.journal_fixtures import write_journal


def test_reboot_argv():
    assert reboot_argv(1) == ["shutdown", "-r", "+1"]
    assert reboot_argv(None) == ["shutdown", "-r", "now"]
    assert reboot_argv(0) == ["shutdown", "-r", "now"]


def test_schedule_and_cancel_on_this_machine(places):
    state, log = places
    write_journal(log, state)
    host = RecordingHost()
    message = schedule_reboot(host, 1)
    assert host.calls == [["shutdown", "-r", "+1"]]
    assert "shutdown -c" in message and "nvwizard" in message
    recorded = read_state(state)
    assert recorded.reboot_scheduled is True and recorded.verify_pending is True
    status = current_apply(boot_time=500.0)
    assert status.next_step == NEXT_REBOOT
    assert "scheduled" in status.next_hint
    # After the reboot, the next `nvwizard` goes to Verify.
    assert current_apply(boot_time=5000.0).next_step == NEXT_VERIFY

    cancel_reboot(host)
    assert host.calls[-1] == ["shutdown", "-c"]
    assert read_state(state).reboot_scheduled is False


def test_verification_pending_only_after_the_reboot(places, monkeypatch):
    state, log = places
    write_journal(log, state)
    host = RecordingHost()
    monkeypatch.setattr("nvwizard.engine.attach._boot_time", lambda: 500.0)
    assert not verification_pending(host)
    monkeypatch.setattr("nvwizard.engine.attach._boot_time", lambda: 5000.0)
    assert verification_pending(host)
    assert not verification_pending(RecordingHost(kind="demo"))


def test_a_failing_shutdown_is_a_clear_error_and_unmarks_the_state(places):
    state, log = places
    write_journal(log, state)
    host = RecordingHost(answers={"shutdown -r +1": (["Failed to connect to bus"], 1)})
    with pytest.raises(NvwizardError, match="Failed to connect to bus"):
        schedule_reboot(host, 1)
    assert read_state(state).reboot_scheduled is False


def test_a_demo_host_changes_no_state(places):
    state, _ = places
    host = RecordingHost(kind="demo")
    schedule_reboot(host, 1)
    assert host.calls == [["shutdown", "-r", "+1"]]
    assert read_state(state) == RecordedState()
    assert not (state / "state.json").exists()
