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
