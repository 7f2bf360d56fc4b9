import pytest

from nvwizard.detect.apt_cache import modalias_matches, parse_apt_cache_show

from ._samples import sample


def packages():
    return {p.package: p for p in parse_apt_cache_show(sample("misc", "apt-cache-show.txt"))}


def test_stanzas_fields_and_folded_depends():
    pkgs = packages()
    assert list(pkgs) == [
        "nvidia-driver-580-server-open",
        "nvidia-driver-595",
        "linux-modules-nvidia-580-server-open-6.8.0-87-generic",
    ]
    drv = pkgs["nvidia-driver-580-server-open"]
    assert (drv.version, drv.support, drv.origin, drv.section, drv.installed_size_kib) == (
        "580.95.05-0ubuntu0.24.04.2",
        "LTSB",
        "Ubuntu",
        "restricted/libs",
        13,
    )
    assert drv.depends[0] == (
        "nvidia-driver-580-server-open-common (= 580.95.05-0ubuntu0.24.04.2) "
        "| nvidia-driver-580-server-open-common-alt"
    )
    assert len(drv.depends) == 5
    assert drv.depends[-1] == "libnvidia-compute-580-server (= 580.95.05-0ubuntu0.24.04.2)"
    assert drv.provides == ("nvidia-driver-binary",)
    assert drv.extra["Source"] == "nvidia-graphics-drivers-580-server"
    assert drv.extra["Description"].startswith("NVIDIA Server Driver metapackage This")


def test_modaliases_header():
    pkgs = packages()
    assert pkgs["nvidia-driver-580-server-open"].modaliases == (
        "pci:v000010DEd00001E02sv*sd*bc03sc00i00*",
        "pci:v000010DEd00001E04sv*sd*bc03sc00i00*",
        "pci:v000010DEd00002330sv*sd*bc03sc02i00*",
        "pci:v000010DEd00002204sv*sd*bc03sc00i00*",
    )
    assert pkgs["nvidia-driver-595"].support == "PB"
    modules = pkgs["linux-modules-nvidia-580-server-open-6.8.0-87-generic"]
    assert modules.modaliases == () and modules.support is None


def test_lost_indentation_and_crlf_still_fold():
    text = "Package: a\r\nDepends: b,\r\nc (>= 1)\r\n\r\nPackage: d\r\n"
    pkgs = parse_apt_cache_show(text)
    assert [(p.package, p.depends) for p in pkgs] == [("a", ("b", "c (>= 1)")), ("d", ())]


def test_stanza_without_package_is_skipped():
    assert parse_apt_cache_show("N: Unable to locate package nvidia-driver-999\n\n") == []
    assert parse_apt_cache_show("Version: 1\n") == []


@pytest.mark.parametrize(
    ("pattern", "modalias", "matches"),
    [
        (
            "pci:v000010DEd00002204sv*sd*bc03sc00i00*",
            "pci:v000010DEd00002204sv00001043sd000087B3bc03sc00i00",
            True,
        ),
        (
            "pci:v000010DEd00002204sv*sd*bc03sc00i00*",
            "pci:v000010ded00002204sv00001043sd000087b3bc03sc00i00",
            True,  # case-insensitive
        ),
        (
            "pci:v000010DEd00001340sv*sd*bc03sc*i*",
            "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00",
            False,
        ),
        (
            "pci:v000010DEd*sv*sd*bc03sc02i00*",
            "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00",
            True,
        ),
        ("", "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00", False),
    ],
)
def test_modalias_matches(pattern, modalias, matches):
    assert modalias_matches(pattern, modalias) is matches
