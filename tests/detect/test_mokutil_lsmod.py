import pytest

from nvwizard.detect.lsmod import parse_lsmod
from nvwizard.detect.mokutil import parse_sb_state

from ._samples import sample


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("mokutil-enabled.txt", "enabled"),
        ("mokutil-disabled-setup-mode.txt", "disabled"),
        ("mokutil-no-efi.txt", "unsupported"),
        ("mokutil-no-sb.txt", "unsupported"),
        ("mokutil-shim-validation-off.txt", "disabled"),
        ("mokutil-failed.txt", "unknown"),
    ],
)
def test_sb_state(name, state):
    assert parse_sb_state(sample("misc", name)) == state


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("", "unknown"),
        ("bash: mokutil: command not found\n", "unknown"),
        ("SecureBoot enabled\r\n", "enabled"),
    ],
)
def test_sb_state_odd_inputs(text, state):
    assert parse_sb_state(text) == state


def test_lsmod_full_with_header():
    entries = {e.name: e for e in parse_lsmod(sample("misc", "lsmod-full.txt"))}
    assert "Module" not in entries
    assert entries["nvidia"].size == 104828928
    assert entries["nvidia"].used_by == ("nvidia_uvm", "nvidia_modeset")
    assert entries["nvidia_uvm"].used_by == ()
    assert len(entries["x_tables"].used_by) == 10
    # the use count: modules using it plus what is no module (open files, the console)
    assert entries["nvidia"].count == 59
    assert "nouveau" not in entries


def test_lsmod_grep_filtered():
    entries = parse_lsmod(sample("misc", "lsmod-grep-nouveau.txt"))
    assert entries[0].name == "nouveau"
    assert len(entries) == 8  # the "$ lsmod | grep" line is not a module


def test_lsmod_odd_fields():
    text = "nvidia 56799232 2 nvidia_uvm,nvidia_modeset,[permanent]\nbroken line\nfoo x 1\n"
    [entry] = parse_lsmod(text)
    assert entry.used_by == ("nvidia_uvm", "nvidia_modeset")


def test_lsmod_use_count_dash_is_unknown():
    [entry] = parse_lsmod("ip_tables 32768 - \n")
    assert entry.count is None
