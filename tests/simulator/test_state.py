"""The simulated machine's state: one explicit object per machine, saved and loaded as JSON."""

from __future__ import annotations

import json

import pytest

from nvwizard.detect.dpkg import parse_dpkg_query
from nvwizard.errors import UsageError
from nvwizard.simulator import BootResult, MachineState, StateFile, demo_host
from nvwizard.simulator.state import LoadedNvidia

QUICK = {"NVWIZARD_DEMO_SPEED": "0"}


@pytest.fixture(autouse=True)
def _no_demo_settings(monkeypatch):
    for name in ("NVWIZARD_DEMO_FAIL", "NVWIZARD_DEMO_SPEED", "NVWIZARD_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)


def run(host, *argv: str) -> int:
    return host.start(list(argv), QUICK).wait()


def installed(host) -> dict[str, str]:
    return {e.name: e.state for e in parse_dpkg_query(host.read("dpkg-query.txt") or "")}


def test_a_change_is_seen_by_later_reads_but_never_written_into_the_bundle():
    host = demo_host("rtx3090-fresh")
    on_disk = (host.path / "dpkg-query.txt").read_text()
    install = ("apt-get", "-y", "-o", "DPkg::Lock::Timeout=60", "install")
    assert run(host, *install, "nvidia-driver-580-server") == 0

    assert installed(host)["nvidia-driver-580-server"] == "ii"
    assert "dpkg-query.txt" in host.simulator.state.files
    assert (host.path / "dpkg-query.txt").read_text() == on_disk
    assert "nvidia-driver-580-server" not in installed(demo_host("rtx3090-fresh"))


def test_each_host_has_its_own_machine_and_every_command_on_one_host_shares_it():
    first, second = demo_host("hgx-h100"), demo_host("hgx-h100")
    assert first.simulator is not second.simulator
    assert first.simulator.state is not second.simulator.state

    assert run(first, "shutdown", "-r", "+1") == 0
    assert first.simulator.scheduled_reboot == "+1"
    assert second.simulator.scheduled_reboot is None  # nothing shared behind the hosts' backs
    assert run(first, "shutdown", "-c") == 0  # a later command sees what the first one did
    assert first.simulator.scheduled_reboot is None


def test_the_state_survives_its_json_unchanged():
    state = MachineState(
        files={"dpkg-query.txt": "a\tinstall ok installed\t1\n", "nvidia-smi.txt": None},
        auto={"dkms", "nvidia-utils-580"},
        enabled_units={"nvidia-persistenced.service"},
        active_units={"nvidia-persistenced.service"},
        scheduled_reboot="+1",
        reboot_due_at=1_767_000_000.5,
        lock_released=True,
        boots=[
            BootResult(
                "6.8.0-94-generic", None, True, "no nvidia module is installed", "no-driver"
            ),
            BootResult(
                "6.8.0-94-generic",
                LoadedNvidia("580.95.05", True, "/lib/modules/x/nvidia.ko.zst", True),
                False,
                None,
                "table",
            ),
        ],
    )
    again = MachineState.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state


def test_a_state_file_is_replaced_atomically_and_read_back(tmp_path):
    saved = StateFile(tmp_path / "demo-machines" / "x.json")
    assert saved.load() is None  # nothing saved yet
    saved.save(MachineState(files={"uname-r.txt": "6.8.0-94-generic\n"}))
    saved.save(MachineState(files={"uname-r.txt": "6.8.0-100-generic\n"}))

    assert saved.load() == MachineState(files={"uname-r.txt": "6.8.0-100-generic\n"})
    assert [p.name for p in saved.path.parent.iterdir()] == ["x.json"]  # no temporary left


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[1, 2]",
        '{"format": "something else"}',
        '{"format": "nvwizard-simulated-machine/1"}',
        json.dumps({**MachineState().to_json(), "files": {"uname-r.txt": 7}}),
        json.dumps({**MachineState().to_json(), "boots": [{"kernel": 1}]}),
        json.dumps({**MachineState().to_json(), "enabled_units": "nvidia"}),
        json.dumps({**MachineState().to_json(), "reboot_due_at": "soon"}),
        "\udcff",
    ],
)
def test_a_damaged_state_file_is_refused_in_one_line_saying_what_to_do(tmp_path, text):
    path = tmp_path / "hgx-h100.json"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(UsageError) as error:
        StateFile(path).load()
    message = str(error.value)
    assert "\n" not in message
    assert str(path) in message and "damaged" in message and "delete it" in message


def test_a_saved_demo_larger_than_nvwizard_writes_is_damaged_not_read(tmp_path):
    from nvwizard.host.record_files import RECORD_LIMIT

    path = tmp_path / "demo-machines" / "hgx-h100.json"
    path.parent.mkdir()
    with open(path, "w", encoding="utf-8") as out:  # valid JSON, far more than a demo's state
        out.write(json.dumps(MachineState().to_json()) + " " * RECORD_LIMIT)
    with pytest.raises(UsageError) as error:
        demo_host("hgx-h100", state_dir=tmp_path)
    assert str(error.value) == (
        f"the saved demo machine {path} is damaged (larger than 16 MiB, more than nvwizard "
        "writes); delete it to start again from the bundle"
    )


@pytest.mark.parametrize(
    ("kind", "said"),
    [("fifo", "a FIFO"), ("dev-zero", "a character device")],
)
def test_a_saved_demo_that_is_no_regular_file_is_damaged_never_opened(tmp_path, kind, said):
    """A FIFO there made every `--demo NAME` command hang, a symlink to /dev/zero read until
    memory ran out: the state file's and the journal's check (host/record_files.py) applies
    here too. In a subprocess with a time limit: a hang fails."""
    import os

    from tests.cli.run import nvwizard

    path = tmp_path / "demo-machines" / "hgx-h100.json"
    path.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    for command in (["detect"], ["plan"], ["verify"]):
        done = nvwizard(
            *command, "--demo", "hgx-h100", env={"NVWIZARD_STATE_DIR": str(tmp_path)}, timeout=30
        )
        assert (done.returncode, done.stdout) == (2, ""), done
        assert done.stderr == (
            f"nvwizard: the saved demo machine {path} is damaged (not a regular file: {said}); "
            "delete it to start again from the bundle\n"
        )


# -- a demo machine kept in the state directory ------------------------------------------------

INSTALL = ("apt-get", "-y", "-o", "DPkg::Lock::Timeout=60", "install")


def test_a_demo_is_saved_after_a_change_and_the_next_host_goes_on_from_there(tmp_path):
    host = demo_host("rtx3090-fresh", state_dir=tmp_path)
    saved = tmp_path / "demo-machines" / "rtx3090-fresh.json"
    assert run(host, "dpkg-query", "-W") == 0
    assert run(host, "apt-get", "-s", "install", "nvidia-driver-580-server") == 0
    assert not saved.exists()  # read-only commands and simulations save nothing

    assert run(host, *INSTALL, "nvidia-driver-580-server") == 0
    assert saved.is_file()

    later = demo_host("rtx3090-fresh", state_dir=tmp_path)
    assert installed(later)["nvidia-driver-580-server"] == "ii"
    assert later.label.startswith("demo rtx3090-fresh (after your changes: ")
    assert "packages installed" in later.label
    assert later.read("reboot-required.txt")  # what the install left pending, still pending


def test_nvwizard_state_dir_is_where_a_demo_lives_and_without_it_nothing_is_kept(
    tmp_path, monkeypatch
):
    host = demo_host("rtx3090-fresh")  # no state directory: this host only
    assert run(host, *INSTALL, "nvidia-driver-580-server") == 0
    assert "nvidia-driver-580-server" not in installed(demo_host("rtx3090-fresh"))

    monkeypatch.setenv("NVWIZARD_STATE_DIR", str(tmp_path))
    assert run(demo_host("rtx3090-fresh"), *INSTALL, "nvidia-driver-580-server") == 0
    assert (tmp_path / "demo-machines" / "rtx3090-fresh.json").is_file()
    assert "nvidia-driver-580-server" in installed(demo_host("rtx3090-fresh"))
    assert demo_host("hgx-h100").label == "demo hgx-h100"  # each demo its own file


def test_a_scheduled_reboot_happens_while_no_process_runs_once_it_is_due(tmp_path, monkeypatch):
    host = demo_host("rtx3090-fresh", state_dir=tmp_path)
    assert run(host, *INSTALL, "nvidia-driver-580-server") == 0
    assert host.start(["shutdown", "-r", "+1"], {"NVWIZARD_DEMO_SPEED": "1"}).wait() == 0
    due = host.simulator.state.reboot_due_at
    assert due is not None

    monkeypatch.setattr("time.time", lambda: due - 1)  # a later process, before it is due
    waiting = demo_host("rtx3090-fresh", state_dir=tmp_path)
    assert waiting.simulator.scheduled_reboot == "+1" and waiting.simulator.last_boot is None
    assert "a reboot scheduled" in waiting.label
    assert "nvidia" not in (waiting.read("lsmod.txt") or "").split()

    monkeypatch.setattr("time.time", lambda: due + 1)  # and one after
    booted = demo_host("rtx3090-fresh", state_dir=tmp_path)
    assert booted.simulator.scheduled_reboot is None
    assert booted.simulator.last_boot is not None and booted.simulator.last_boot.module
    assert booted.label.endswith(", rebooted)")
    assert booted.read("reboot-required.txt") is None
    assert demo_host("rtx3090-fresh", state_dir=tmp_path).simulator.state.boots == (
        booted.simulator.state.boots  # the boot was saved: it happens once
    )


def test_deleting_the_saved_file_resets_the_demo_to_its_bundle(tmp_path):
    host = demo_host("hgx-h100", state_dir=tmp_path)
    assert run(host, "apt-get", "-y", "purge", "nvidia-driver-535-server") == 0
    assert "nvidia-driver-535-server" not in installed(demo_host("hgx-h100", state_dir=tmp_path))

    (tmp_path / "demo-machines" / "hgx-h100.json").unlink()

    again = demo_host("hgx-h100", state_dir=tmp_path)
    assert again.label == "demo hgx-h100"
    assert installed(again)["nvidia-driver-535-server"] == "ii"


def test_a_damaged_saved_demo_stops_the_command_instead_of_being_half_used(tmp_path):
    saved = tmp_path / "demo-machines" / "hgx-h100.json"
    saved.parent.mkdir()
    saved.write_text('{"format": "nvwizard-simulated-machine/1", "files": []}')
    with pytest.raises(UsageError, match="delete it to start again from the bundle"):
        demo_host("hgx-h100", state_dir=tmp_path)


def test_a_state_dir_that_is_no_folder_holds_no_saved_demo(tmp_path):
    """Nothing can have been saved there; writing there is what reports the bad place."""
    (tmp_path / "file").write_text("x")
    assert StateFile(tmp_path / "file" / "demo-machines" / "x.json").load() is None


# -- one writer at a time: the state directory's apply lock ------------------------------------

HOLD_THE_LOCK = """
import sys
from nvwizard.engine.lock import ApplyLock
lock = ApplyLock(sys.argv[1])
lock.acquire(driver="nvidia-driver-580-server", host="demo rtx3090-fresh")
print("held", flush=True)
sys.stdin.readline()  # hold it until the test closes our stdin
"""


def test_a_saved_demo_is_not_written_while_another_process_applies_in_its_state_dir(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from nvwizard.errors import RefusedError

    host = demo_host("rtx3090-fresh", state_dir=tmp_path)
    saved = tmp_path / "demo-machines" / "rtx3090-fresh.json"
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RefusedError) as refused:
            run(host, *INSTALL, "nvidia-driver-580-server")
        assert str(refused.value) == (
            f"the demo machine saved in {saved} is being changed by another nvwizard apply "
            f"(it holds {tmp_path / 'apply.lock'}): wait for it to end (`nvwizard status`), "
            "then run this again"
        )
        assert not saved.exists()
    finally:
        holder.stdin.close()
        holder.wait()
    # The holder is gone: the next change is saved.
    again = demo_host("rtx3090-fresh", state_dir=tmp_path)
    assert run(again, *INSTALL, "nvidia-driver-580-server") == 0
    assert saved.is_file()


def test_a_saved_demo_changed_by_another_process_is_not_overwritten_with_a_stale_machine(
    tmp_path,
):
    from nvwizard.errors import RefusedError

    stale = demo_host("rtx3090-fresh", state_dir=tmp_path)  # loaded before the other's change
    other = demo_host("rtx3090-fresh", state_dir=tmp_path)
    assert run(other, *INSTALL, "nvidia-driver-580-server") == 0
    saved = tmp_path / "demo-machines" / "rtx3090-fresh.json"
    after_other = saved.read_text()
    with pytest.raises(RefusedError, match="was changed by another nvwizard process"):
        run(stale, *INSTALL, "nvidia-driver-570-server")
    assert saved.read_text() == after_other
    # the one that wrote it goes on writing it
    assert run(other, "apt-get", "-y", "purge", "nvidia-driver-580-server") == 0
    later = installed(demo_host("rtx3090-fresh", state_dir=tmp_path))
    assert "nvidia-driver-580-server" not in later and "nvidia-driver-570-server" not in later


def test_a_saved_demo_is_written_under_a_lock_this_process_holds(tmp_path):
    """An in-process apply holds the apply lock; its own saves must not wait for themselves."""
    from nvwizard.engine.lock import ApplyLock

    host = demo_host("rtx3090-fresh", state_dir=tmp_path)
    with ApplyLock(tmp_path):
        assert run(host, *INSTALL, "nvidia-driver-580-server") == 0
    assert (tmp_path / "demo-machines" / "rtx3090-fresh.json").is_file()
