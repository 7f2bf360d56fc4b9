"""apt's sources as entries: one-line `deb` lines and deb822 stanzas read into one model."""

from nvwizard.detect.apt_sources import INLINE_KEY, AptSourceEntry, parse_apt_source_entries

from ._samples import sample

CUDA_2204 = "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64/"
CUDA_2404 = "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/"


def test_one_line_entries_with_their_options_and_deb_src():
    entries = parse_apt_source_entries(sample("misc", "apt-sources.txt"))
    restricted = ("main", "restricted")
    assert entries == [
        # the commented-out backports line is no source
        AptSourceEntry("deb", "http://archive.ubuntu.com/ubuntu/", "jammy", restricted),
        AptSourceEntry("deb", "http://security.ubuntu.com/ubuntu", "jammy-security", restricted),
        AptSourceEntry("deb-src", "http://archive.ubuntu.com/ubuntu/", "jammy", restricted),
        AptSourceEntry(
            "deb", CUDA_2204, "/", (), "[signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg]"
        ),
    ]


def test_deb822_stanzas_give_an_entry_per_type_uri_and_suite():
    entries = parse_apt_source_entries(sample("misc", "apt-sources-deb822.txt"))
    assert [(e.kind, e.uri, e.suite) for e in entries] == [
        ("deb", "http://archive.ubuntu.com/ubuntu/", "noble"),
        ("deb", "http://archive.ubuntu.com/ubuntu/", "noble-updates"),
        ("deb", "http://archive.ubuntu.com/ubuntu/", "noble-backports"),
        ("deb", "http://security.ubuntu.com/ubuntu/", "noble-security"),
        # the disabled PPA stanza (Enabled: no) is left out
        ("deb", CUDA_2404, "/"),
    ]
    assert all(e.deb822 for e in entries)
    assert entries[0].components == ("main", "restricted", "universe", "multiverse")
    assert entries[0].options == "[signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg]"
    assert entries[-1].inline_key and INLINE_KEY in entries[-1].options
    assert entries[-1].uri_key == CUDA_2404.rstrip("/")


def test_a_deb_line_without_a_suite_or_with_an_unclosed_option_is_no_entry():
    text = "deb http://example.com/only-a-uri\ndeb [arch=amd64 http://example.com/ x main\n"
    assert parse_apt_source_entries(text) == []
