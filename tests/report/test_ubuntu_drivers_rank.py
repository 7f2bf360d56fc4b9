"""ubuntu-drivers' two comparators, reproduced: each case is what its detect.py decides.

The expected picks were checked against ubuntu-drivers-common's own `_cmp_gfx_alternatives`
and `_cmp_gfx_alternatives_gpgpu` (1:0.10.10) on 40,000 random package sets while writing
this module; the cases below pin every rule of the comparators one by one.
"""

import pytest

from nvwizard.report.ubuntu_drivers_rank import RankedPackage, open_preferred, pick, ranked, why


def flavours(branch, support=None, prefer=None):
    return [
        RankedPackage(f"nvidia-driver-{branch}{suffix}", support, prefer)
        for suffix in ("", "-open", "-server", "-server-open")
    ]


def order(packages, gpgpu=False):
    return [p.name.removeprefix("nvidia-driver-") for p in ranked(packages, gpgpu)]


@pytest.mark.parametrize(
    ("prefer", "gpgpu", "expected"),
    [
        ("Open", False, ["580-open", "580", "580-server-open", "580-server"]),
        ("Open", True, ["580-server-open", "580-server", "580-open", "580"]),
        (None, False, ["580", "580-server", "580-open", "580-server-open"]),
        (None, True, ["580-server", "580", "580-server-open", "580-open"]),
        ("Closed", False, ["580", "580-server", "580-open", "580-server-open"]),
    ],
)
def test_variant_order_within_a_branch(prefer, gpgpu, expected):
    assert order(flavours(580, "LTSB", prefer), gpgpu) == expected


def test_open_preference_comes_from_the_header_not_the_branch():
    assert open_preferred(RankedPackage("nvidia-driver-470-open", prefer_variant="Open"))
    assert not open_preferred(RankedPackage("nvidia-driver-595-open"))  # header missing
    assert not open_preferred(RankedPackage("nvidia-driver-595-open", prefer_variant="Closed"))
    # only an invalid value falls back to "branch >= 560"
    assert open_preferred(RankedPackage("nvidia-driver-560-open", prefer_variant="open"))
    assert not open_preferred(RankedPackage("nvidia-driver-555-open", prefer_variant="open"))
    assert not open_preferred(RankedPackage("xserver-xorg-video-nouveau", prefer_variant="Open"))


def test_the_variant_decides_before_the_branch():
    # RTX 5090, Ubuntu 24.04 in 2025 (open-gpu-kernel-modules issue 872): the 570 packages
    # had no Prefer-Variant header, so `devices` marked the proprietary plain package.
    offered = flavours(570, "PB")
    assert pick(offered).name == "nvidia-driver-570"
    # A plain package of an older branch beats an -open one of a newer branch.
    mixed = [RankedPackage("nvidia-driver-535", "LTSB"), RankedPackage("nvidia-driver-580-open")]
    assert pick(mixed).name == "nvidia-driver-535"


def test_desktop_scores_pb_and_ltsb_alike_then_the_higher_name():
    offered = [
        RankedPackage("nvidia-driver-580", "LTSB"),
        RankedPackage("nvidia-driver-595", "PB"),
        RankedPackage("nvidia-driver-610", "NFB"),
        RankedPackage("nvidia-driver-615"),
    ]
    assert order(offered) == ["595", "580", "615", "610"]  # no header above NFB
    # gpgpu: PB above LTSB whatever the names; NFB below no header; Legacy last
    servers = [RankedPackage(p.name + "-server", p.support) for p in offered] + [
        RankedPackage("nvidia-driver-390-server", "Legacy")
    ]
    assert order(servers, gpgpu=True) == [
        "595-server",
        "580-server",
        "615-server",
        "610-server",
        "390-server",
    ]


def test_desktop_puts_legacy_above_nfb_but_gpgpu_below():
    offered = [
        RankedPackage("nvidia-driver-390", "Legacy"),
        RankedPackage("nvidia-driver-440", "NFB"),
    ]
    assert pick(offered).name == "nvidia-driver-390"
    assert pick(offered, gpgpu=True).name == "nvidia-driver-440"


def test_names_compare_as_strings_and_only_known_support_values_count():
    offered = [RankedPackage("nvidia-driver-1000", "PB"), RankedPackage("nvidia-driver-990", "PB")]
    assert pick(offered).name == "nvidia-driver-990"  # "9" > "1"
    lowercase = [RankedPackage("nvidia-driver-580", "ltsb"), RankedPackage("nvidia-driver-570")]
    assert pick(lowercase).name == "nvidia-driver-580"  # "ltsb" ignored: plain name order


def test_legacy_names_take_part_by_their_suffix():
    # GTX 650 Ti, 2020 (ubuntu-drivers-common issue 48): nvidia-340 counts as a plain variant,
    # nvidia-384-updates as no variant at all (the lowest fit level).
    offered = [
        RankedPackage("nvidia-340", "Legacy"),
        RankedPackage("nvidia-384-updates"),
        RankedPackage("nvidia-driver-390", "LTSB"),
        RankedPackage("nvidia-driver-450", "LTSB"),
        RankedPackage("nvidia-driver-450-server", "LTSB"),
        RankedPackage("xserver-xorg-video-nouveau"),
    ]
    assert pick(offered).name == "nvidia-driver-450"
    assert pick(offered, gpgpu=True).name == "nvidia-driver-450-server"
    assert ranked(offered)[-1].name == "nvidia-384-updates"
    assert all(p.name.startswith("nvidia-") for p in ranked(offered))


def test_why_names_the_rule_that_decided():
    text = why(RankedPackage("nvidia-driver-570", "PB"))
    assert "desktop ranking orders the variants plain > -server > -open > -server-open" in text
    assert "no Prefer-Variant header" in text and "Support: PB" in text
    server = why(RankedPackage("nvidia-driver-595-server-open", "PB", "Open"), gpgpu=True)
    assert "-server-open > -server > -open > plain" in server
    assert "Prefer-Variant header says Open" in server and "PB before LTSB" in server


def test_nothing_to_pick():
    assert pick([]) is None
    assert pick([RankedPackage("xserver-xorg-video-nouveau")]) is None


def test_why_names_no_newer_branch_that_lost_on_its_support_not_its_variant():
    """RTX 3090 on Ubuntu 22.04: 610-open has the variant 595-open has, and loses on its
    Support header (NFB); its plain 610 ranking lower on the variant is not why 610 lost."""
    offered = flavours(610, "NFB", "Open") + flavours(595, "PB", "Open")
    chosen = pick(offered)
    assert chosen.name == "nvidia-driver-595-open"
    text = why(chosen, others=offered)
    assert "ranks lower on the variant alone" not in text
    assert "610" not in text


def test_why_still_names_a_newer_branch_whose_every_variant_ranks_lower():
    """GTX 1080: ubuntu-drivers lists no 580-open; 580's Prefer-Variant: Open puts its plain
    package second, below 535's plain one (no header): 580 lost on the variant alone."""
    offered = [
        RankedPackage("nvidia-driver-580", "LTSB", "Open"),
        RankedPackage("nvidia-driver-580-server", "LTSB", "Open"),
        RankedPackage("nvidia-driver-535", "LTSB"),
        RankedPackage("nvidia-driver-535-server", "LTSB"),
    ]
    chosen = pick(offered)
    assert chosen.name == "nvidia-driver-535"
    assert "the newer nvidia-driver-580 ranks lower on the variant alone" in why(
        chosen, others=offered
    )
