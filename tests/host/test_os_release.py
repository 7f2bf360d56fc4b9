"""os-release read by distro: this machine's, a fake root's, a bundle's, a demo's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nvwizard.host.base import Host
from nvwizard.host.bundle import BundleHost
from nvwizard.host.local import LocalHost
from nvwizard.host.os_release import os_release_file, read_os_release
from nvwizard.report.build import build_report, os_release
from nvwizard.simulator import bundle_host, demo_host

SAMPLES = Path(__file__).resolve().parents[1] / "detect" / "samples" / "misc"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def test_ubuntu_quoted_and_unquoted_values():
    fields = read_os_release(SAMPLES / "os-release-jammy.txt")
    assert fields is not None
    assert {k: fields[k] for k in ("ID", "VERSION_ID", "PRETTY_NAME", "ID_LIKE")} == {
        "ID": "ubuntu",
        "VERSION_ID": "22.04",
        "PRETTY_NAME": "Ubuntu 22.04.4 LTS",
        "ID_LIKE": "debian",
    }
    assert fields["VERSION_CODENAME"] == fields["CODENAME"] == "jammy"


def test_single_quotes_escapes_crlf_comments_and_empty_values(tmp_path):
    text = (
        "# comment\r\nID='ubuntu'\r\n"
        'PRETTY_NAME="Ubuntu \\"Noble\\" 24.04"\r\nVERSION_ID=\r\nNAME=Ubuntu # trailing\r\n'
    )
    fields = read_os_release(write(tmp_path / "os-release", text))
    assert fields == {
        "ID": "ubuntu",
        "PRETTY_NAME": 'Ubuntu "Noble" 24.04',
        "VERSION_ID": "",
        "NAME": "Ubuntu",
    }


def test_byte_order_marks_at_the_start_and_mid_file(tmp_path):
    bom = "\ufeff"
    text = f'{bom}PRETTY_NAME="Ubuntu 24.04.3 LTS"\r\n{bom}ID=ubuntu\r\nVERSION_ID="24.04"\r\n'
    fields = read_os_release(write(tmp_path / "os-release", text))
    assert fields == {"PRETTY_NAME": "Ubuntu 24.04.3 LTS", "ID": "ubuntu", "VERSION_ID": "24.04"}


@pytest.mark.parametrize(
    "data",
    [
        b'ID="ubuntu\nVERSION_ID="24.04"\n',  # an unclosed quote: the rest is one value
        b"PRETTY_NAME=Ubuntu \xe9\n",  # not UTF-8
    ],
    ids=["unclosed-quote", "not-utf8"],
)
def test_a_file_distro_cannot_read_gives_nothing(tmp_path, data):
    assert read_os_release(write(tmp_path / "os-release", data)) is None


def test_a_file_without_assignments_gives_no_fields(tmp_path):
    assert read_os_release(write(tmp_path / "os-release", "not an os-release\n=\n===")) == {}


def test_no_file_and_a_folder_give_none(tmp_path):
    assert read_os_release(tmp_path / "missing") is None
    assert read_os_release(tmp_path) is None


def test_a_root_with_usr_lib_os_release_only(tmp_path):
    write(tmp_path / "usr/lib/os-release", "ID=debian\nVERSION_ID=12\n")
    host = LocalHost(root=str(tmp_path))
    assert os_release_file(tmp_path) == tmp_path / "usr/lib/os-release"
    assert host.os_release() == {"ID": "debian", "VERSION_ID": "12"}
    assert host.read("os-release.txt") == "ID=debian\nVERSION_ID=12\n"  # a capture's text


def test_etc_os_release_comes_first(tmp_path):
    write(tmp_path / "usr/lib/os-release", "ID=debian\n")
    write(tmp_path / "etc/os-release", "ID=ubuntu\n")
    host = LocalHost(root=str(tmp_path))
    assert host.os_release() == {"ID": "ubuntu"}
    assert host.read("os-release.txt") == "ID=ubuntu\n"


def test_only_os_release_is_read(tmp_path):
    """No lsb-release, debian_version or *-release file stands in for a missing os-release."""
    write(tmp_path / "etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n")
    write(tmp_path / "etc/debian_version", "12.7\n")
    write(tmp_path / "etc/redhat-release", "Rocky Linux release 9.4 (Blue Onyx)\n")
    host = LocalHost(root=str(tmp_path))
    assert host.os_release() is None
    assert host.read("os-release.txt") is None
    assert host.missing["os-release.txt"] == "/etc/os-release does not exist"


def test_this_machine():
    host = LocalHost()
    fields = host.os_release()
    assert fields is not None and fields["ID"]
    assert f"ID={fields['ID']}" in host.read("os-release.txt").replace('"', "")
    assert os_release(host).id == fields["ID"]


def test_a_bundle_with_and_without_its_simulated_machine(tmp_path):
    shutil.copy(SAMPLES / "os-release-debian12.txt", tmp_path / "os-release.txt")
    expected = read_os_release(tmp_path / "os-release.txt")
    assert expected is not None and expected["ID"] == "debian"
    assert BundleHost(tmp_path).os_release() == expected
    assert bundle_host(tmp_path).os_release() == expected
    release = os_release(BundleHost(tmp_path))
    assert (release.id, release.version_id, release.version_codename, release.id_like) == (
        "debian",
        "12",
        "bookworm",
        None,
    )


def test_a_bundle_without_os_release(tmp_path):
    (tmp_path / "uname-r.txt").write_text("6.8.0-45-generic\n")
    assert BundleHost(tmp_path).os_release() is None
    assert bundle_host(tmp_path).os_release() == {}
    report = build_report(BundleHost(tmp_path))
    assert (report.os, report.os_id, report.os_version) == (None, None, None)


def test_the_simulator_names_the_archive_from_the_same_fields(tmp_path):
    """apt's simulation lines name the release distro read: Debian's suite, no -updates."""
    host = demo_host("debian12-t4")
    assert host.os_release()["VERSION_CODENAME"] == "bookworm"
    command = host.start(
        ["apt-get", "-s", "install", "nvidia-driver"], {"NVWIZARD_DEMO_SPEED": "0"}
    )
    lines = [line.text for line in command.lines()]
    command.wait()
    assert any("Debian:12/bookworm" in line for line in lines), lines


def test_the_simulator_reads_single_quoted_values_as_distro_does(tmp_path):
    """Before distro, the simulator kept single quotes: "Ubuntu:'22.04'/'jammy'-updates"."""
    bundle = tmp_path / "bundle"
    shutil.copytree(demo_host("rtx3090-fresh").path, bundle)
    (bundle / "os-release.txt").write_text(
        "NAME='Ubuntu'\nID='ubuntu'\nVERSION_ID='22.04'\nVERSION_CODENAME='jammy'\n"
    )
    command = bundle_host(bundle).start(
        ["apt-get", "-s", "install", "nvidia-driver-580"], {"NVWIZARD_DEMO_SPEED": "0"}
    )
    lines = [line.text for line in command.lines()]
    assert command.wait() == 0
    assert lines[-1].endswith("Ubuntu:22.04/jammy-updates [amd64])"), lines[-1]


class TextHost(Host):
    """A host with the sources' texts only (as test doubles and pastes are)."""

    kind = "bundle"
    label = "texts"

    def __init__(self, files: dict[str, str]):
        self.files = files

    def read(self, source):
        return self.files.get(source)

    def start(self, argv, env=None):
        raise AssertionError("reading the OS runs nothing")


def test_a_host_with_only_the_text_has_it_read_the_same_way():
    bom_crlf = "\ufeffPRETTY_NAME='Ubuntu 24.04.1 LTS'\r\nID=ubuntu\r\nVERSION_ID=\"24.04\"\r\n"
    assert TextHost({"os-release.txt": bom_crlf}).os_release() == {
        "PRETTY_NAME": "Ubuntu 24.04.1 LTS",
        "ID": "ubuntu",
        "VERSION_ID": "24.04",
    }
    assert TextHost({"os-release.txt": 'ID="ubuntu\n'}).os_release() is None
    assert TextHost({}).os_release() is None
