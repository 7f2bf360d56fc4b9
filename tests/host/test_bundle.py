"""BundleHost: raw reads, the in-memory overlay, and the simulator hand-off."""

from __future__ import annotations

from nvwizard.host.bundle import BundleHost


def test_reads_files_and_none_for_missing(tmp_path):
    (tmp_path / "uname-r.txt").write_text("6.8.0-94-generic\n")
    host = BundleHost(tmp_path)
    assert host.read("uname-r.txt") == "6.8.0-94-generic\n"
    assert host.read("nvidia-smi.txt") is None
    assert host.kind == "bundle"
    assert host.label == f"bundle {tmp_path}"
    assert not host.is_real


def test_crlf_is_left_for_the_parsers_and_bad_bytes_are_replaced(tmp_path):
    (tmp_path / "lsmod.txt").write_bytes(b"Module  Size  Used by\r\nnvidia 1 0\r\n\xff\xfe\r\n")
    text = BundleHost(tmp_path).read("lsmod.txt")
    assert text.startswith("Module  Size  Used by\r\nnvidia 1 0\r\n")
    assert "\ufffd" in text


def test_a_directory_in_place_of_a_file_reads_as_missing(tmp_path):
    (tmp_path / "dpkg-l.txt").mkdir()
    assert BundleHost(tmp_path).read("dpkg-l.txt") is None


def test_overlay_changes_later_reads_but_not_the_disk(tmp_path):
    (tmp_path / "dpkg-query.txt").write_text("nvidia-driver-535\tinstall ok installed\t535\n")
    host = BundleHost(tmp_path)
    host.write("dpkg-query.txt", "")
    host.write("reboot-required.txt", "*** System restart required ***\n")
    host.write("nvidia-smi.txt", None)
    assert host.read("dpkg-query.txt") == ""
    assert host.read("reboot-required.txt").startswith("***")
    assert host.read("nvidia-smi.txt") is None
    assert "nvidia-driver-535" in (tmp_path / "dpkg-query.txt").read_text()
    assert not (tmp_path / "reboot-required.txt").exists()
    assert "nvidia-driver-535" in BundleHost(tmp_path).read("dpkg-query.txt")


def test_start_goes_to_the_simulator(tmp_path):
    host = BundleHost(tmp_path)
    command = host.start(["true"])
    list(command.lines())
    assert isinstance(command.wait(), int)
