import pytest

from nvwizard.detect.dpkg import parse_dpkg_audit, parse_dpkg_l, parse_dpkg_query, parse_showhold

from ._samples import sample


def by_name(entries):
    return {(e.name, e.arch): e for e in entries}


def test_dpkg_l_full_output_with_header_and_every_state():
    entries = by_name(parse_dpkg_l(sample("dpkg", "dpkg-l-full.txt")))
    assert len(entries) == 15
    states = {name: e.state for (name, _), e in entries.items()}
    assert states["nvidia-driver-535-server"] == "hi"
    assert states["libnvidia-compute-470"] == "rc"
    assert states["nvidia-fabricmanager-535"] == "iU"
    assert states["nvidia-dkms-535-server"] == "iF"
    assert states["nvidia-kernel-source-535-server"] == "iH"  # "iHR": error flag dropped
    assert states["nvidia-utils-535-server"] == "ri"
    assert states["nvidia-driver-binary"] == "un"
    cfg = entries[("libnvidia-cfg1-535-server", "amd64")]
    assert cfg.version == "535.183.06-0ubuntu0.22.04.1"
    assert cfg.description == "NVIDIA binary OpenGL/GLX configuration library"
    assert entries[("nvidia-driver-binary", None)].version is None  # "<none>"
    assert entries[("zlib1g", "amd64")].version == "1:1.2.11.dfsg-2ubuntu9.2"
    assert not any(e.maybe_truncated for e in entries.values())  # piped: dpkg cuts nothing


def test_dpkg_l_grep_filtered_without_header_and_multiarch():
    entries = parse_dpkg_l(sample("dpkg", "dpkg-l-grep.txt"))
    names = [(e.name, e.arch) for e in entries]
    assert ("libnvidia-compute-550", "amd64") in names
    assert ("libnvidia-compute-550", "i386") in names
    assert ("libnvidia-common-550", "all") in names
    assert len(entries) == 9  # the "$ dpkg -l | grep" prompt line is not a package


def test_dpkg_l_narrow_terminal_marks_cut_values():
    entries = parse_dpkg_l(sample("dpkg", "dpkg-l-narrow-tty.txt"))
    assert [(e.name, e.maybe_truncated) for e in entries] == [
        ("libnvidia-cfg1", True),
        ("libnvidia-comm", True),
        ("nvidia-driver-", True),
        ("nvidia-prime", False),
    ]
    assert entries[0].version == "535.183.01-0"


def test_dpkg_l_old_layout_without_architecture_column():
    entries = parse_dpkg_l(sample("dpkg", "dpkg-l-old-no-arch.txt"))
    assert [(e.name, e.version, e.arch) for e in entries] == [
        ("nvidia-331", "331.38-0ubuntu7", None),
        ("nvidia-settings", "331.20-0ubuntu8", None),
    ]
    assert entries[0].description == "NVIDIA binary driver - version 331.38"


def test_dpkg_l_tolerates_crlf_lost_indentation_and_noise():
    text = (
        "some noise line\r\n"
        "   ii  nvidia-driver-580-open   580.95.05-0ubuntu1   amd64   NVIDIA driver   \r\n"
        "xx  not-a-state   1.0   amd64   nope\r\n"
        "ii\r\n"
        "ii  Bad_Name  1.0  amd64  nope\r\n"
    )
    [entry] = parse_dpkg_l(text)
    assert (entry.name, entry.version, entry.state, entry.arch) == (
        "nvidia-driver-580-open",
        "580.95.05-0ubuntu1",
        "ii",
        "amd64",
    )


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("nvidia-driver-535-server", "ii"),
        ("nvidia-utils-535-server", "hi"),
        ("libnvidia-compute-470", "rc"),
        ("nvidia-dkms-535-server", "iF"),
        ("nvidia-fabricmanager-535", "iU"),
        ("nvidia-kernel-source-535-server", "iH"),
        ("nvidia-driver-binary", "un"),
        ("libc-bin", "it"),
        ("nvidia-container-toolkit", "pi"),
    ],
)
def test_dpkg_query_status_words_map_to_dpkg_l_codes(name, state):
    entries = {e.name: e for e in parse_dpkg_query(sample("dpkg", "dpkg-query.txt"))}
    assert entries[name].state == state


def test_dpkg_query_versions_and_missing_version():
    entries = {e.name: e for e in parse_dpkg_query(sample("dpkg", "dpkg-query.txt"))}
    assert entries["nvidia-driver-535-server"].version == "535.183.06-0ubuntu0.22.04.1"
    assert entries["nvidia-driver-binary"].version is None


def test_dpkg_query_ignores_unknown_status_words_and_keeps_arch():
    text = "foo:amd64\tinstall ok installed\t1.0\nbar\tinstall ok exploded\t1.0\nbaz\n"
    [entry] = parse_dpkg_query(text)
    assert (entry.name, entry.arch, entry.state) == ("foo", "amd64", "ii")


def test_dpkg_audit_lists_every_complained_package():
    assert parse_dpkg_audit(sample("dpkg", "dpkg-audit.txt")) == [
        "nvidia-dkms-535-server",
        "nvidia-driver-535-server",
        "nvidia-fabricmanager-535",
        "libnvidia-nscq-535",
    ]


def test_dpkg_audit_with_lost_indentation_does_not_read_prose():
    text = "\n".join(line.strip() for line in sample("dpkg", "dpkg-audit.txt").splitlines())
    assert parse_dpkg_audit(text)[0] == "nvidia-dkms-535-server"
    assert "configuring" not in parse_dpkg_audit(text)
    assert len(parse_dpkg_audit(text)) == 4


@pytest.mark.parametrize("text", ["", "\n", "   \n\n"])
def test_dpkg_audit_clean(text):
    assert parse_dpkg_audit(text) == []


def test_showhold():
    assert parse_showhold(sample("dpkg", "apt-mark-showhold.txt")) == [
        "nvidia-driver-535-server",
        "nvidia-utils-535-server",
        "libnvidia-compute-535-server",
    ]
    assert parse_showhold("E: Could not open lock file\n\n") == []


def test_rows_cut_by_dpkg_s_pager_lose_only_their_description():
    # https://github.com/NVIDIA/nvidia-docker/issues/1629: every row ends in ">" at the edge
    rows = parse_dpkg_l(sample("dpkg", "dpkg-l-pager-cut.txt"))
    compute = [r for r in rows if r.name == "libnvidia-compute-470"]
    assert [(r.version, r.arch, r.state) for r in compute] == [
        ("470.103.01-0ubuntu0.20.04.1", "amd64", "ii"),
        ("470.103.01-0ubuntu0.20.04.1", "i386", "ii"),
    ]
    assert {r.description for r in rows} == {None}  # not ">"
    assert not any(r.maybe_truncated for r in rows)  # names and versions are whole
    assert [r.name for r in rows if r.state == "rc"] == ["libnvidia-compute-418-server"]


def test_a_pager_cut_inside_the_version_marks_the_row():
    text = sample("dpkg", "dpkg-l-pager-cut.txt")
    narrow = "\n".join(line[:48] + ">" if len(line) > 48 else line for line in text.splitlines())
    [cfg] = [r for r in parse_dpkg_l(narrow) if r.name == "libnvidia-cfg1-470"]
    assert (cfg.version, cfg.maybe_truncated) == ("470.103.0", True)


def test_names_cut_in_their_architecture_suffix():
    # https://github.com/NVIDIA/nvidia-docker/issues/854: "libnvidia-compute-390:amd6"
    rows = parse_dpkg_l(sample("dpkg", "dpkg-l-cut-names-ppa.txt"))
    old = [(r.name, r.arch, r.state) for r in rows if r.name.startswith("libnvidia-compute-39")]
    assert old == [
        ("libnvidia-compute-390", "amd64", "rc"),
        ("libnvidia-compute-390", "i386", "rc"),
        ("libnvidia-compute-396", "amd64", "rc"),
        ("libnvidia-compute-396", "i386", "rc"),
    ]
    [cfg] = [r for r in rows if r.name == "libnvidia-cfg1-410"]
    assert (cfg.version, cfg.maybe_truncated) == ("410.73-0ubuntu0~gp", True)
