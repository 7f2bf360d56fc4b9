import datetime as dt

from nvwizard.report.recommend import mark_recommended, recommend, variant_rank

from .helpers import candidate, flavours, gpu

TODAY = dt.date(2026, 1, 15)  # 610 NFB (EOL 2026-08) and 535 (EOL 2026-06) still supported
RTX3090 = [gpu("2204", "GA102 [GeForce RTX 3090]")]
GTX1080 = [gpu("1b80", "GP104 [GeForce GTX 1080]")]
RTX5090 = [gpu("2b85", "GB202 [GeForce RTX 5090]")]


def test_ampere_desktop_gets_the_open_desktop_build():
    choice = recommend(flavours(580, RTX3090), headless=False, today=TODAY)
    assert choice.package == "nvidia-driver-580-open"


def test_ampere_headless_gets_the_server_open_build():
    choice = recommend(flavours(580, RTX3090), headless=True, today=TODAY)
    assert choice.package == "nvidia-driver-580-server-open"
    assert "server ranking" in choice.reason


def test_pascal_never_gets_an_open_variant():
    offered = flavours(580, GTX1080) + flavours(535, GTX1080)
    assert recommend(offered, headless=False, today=TODAY).package == "nvidia-driver-580"
    assert recommend(offered, headless=True, today=TODAY).package == "nvidia-driver-580-server"


def test_blackwell_gets_only_open_variants():
    offered = flavours(595, RTX5090) + flavours(580, RTX5090)
    assert recommend(offered, headless=False, today=TODAY).package == "nvidia-driver-595-open"
    assert recommend(offered, headless=True, today=TODAY).package == (
        "nvidia-driver-595-server-open"
    )
    # With only proprietary packages offered, nothing can be recommended.
    closed = [c for c in offered if not c.open]
    assert recommend(closed, headless=False, today=TODAY).package is None


def test_595_production_branch_beats_610_new_feature_branch():
    offered = flavours(610, RTX3090) + flavours(595, RTX3090) + flavours(580, RTX3090)
    choice = recommend(offered, headless=False, today=TODAY)
    assert choice.package == "nvidia-driver-595-open"
    assert "production branch (PB)" in choice.reason


def test_apt_support_header_decides_over_the_table():
    # apt says 610 is PB on this host: then the higher branch wins.
    offered = flavours(610, RTX3090, support="PB") + flavours(595, RTX3090)
    assert recommend(offered, headless=False, today=TODAY).package == "nvidia-driver-610-open"


def test_prefer_variant_closed_turns_off_the_open_preference():
    offered = flavours(580, RTX3090)
    desktop = recommend(offered, headless=False, closed_preferred={580}, today=TODAY)
    server = recommend(offered, headless=True, closed_preferred={580}, today=TODAY)
    assert desktop.package == "nvidia-driver-580"
    assert server.package == "nvidia-driver-580-server"
    assert "Prefer-Variant: Closed" in desktop.reason


def test_no_open_preference_before_560():
    offered = flavours(550, RTX3090)
    assert recommend(offered, headless=False, today=TODAY).package == "nvidia-driver-550"
    assert recommend(offered, headless=True, today=TODAY).package == "nvidia-driver-550-server"


def test_rankings_match_ubuntu_drivers_order():
    def order(headless, closed=()):
        ranked = sorted(flavours(580, RTX3090), key=lambda c: variant_rank(c, headless, closed))
        return [c.flavour.removeprefix("580") or "plain" for c in ranked]

    assert order(False) == ["-open", "plain", "-server-open", "-server"]
    assert order(True) == ["-server-open", "-server", "-open", "plain"]
    assert order(True, {580}) == ["-server", "plain", "-server-open", "-open"]


def test_end_of_life_branch_is_demoted():
    offered = flavours(535, RTX3090) + flavours(575, RTX3090)
    # While supported, the LTSB 535 beats the NFB 575 despite the lower number ...
    assert recommend(offered, headless=True, today=TODAY).package == "nvidia-driver-535-server"
    # ... and once it ended (2026-06), the current branch wins.
    late = dt.date(2026, 12, 1)
    choice = recommend(offered, headless=True, today=late)
    assert choice.package == "nvidia-driver-575-server-open"


def test_follows_ubuntu_drivers_when_it_agrees():
    offered = flavours(595, RTX3090)
    offered[1] = candidate("nvidia-driver-595-open", RTX3090, ubuntu_drivers_recommended=True)
    choice = recommend(offered, headless=False, today=TODAY)
    assert choice.follows_ubuntu_drivers is True
    assert "same driver" in choice.reason


def test_says_why_it_departs_from_ubuntu_drivers_on_a_headless_machine():
    offered = flavours(595, RTX3090)
    offered[1] = candidate("nvidia-driver-595-open", RTX3090, ubuntu_drivers_recommended=True)
    choice = recommend(offered, headless=True, today=TODAY)
    assert choice.package == "nvidia-driver-595-server-open"
    assert choice.follows_ubuntu_drivers is False
    assert choice.ubuntu_drivers_choice == "nvidia-driver-595-open"
    assert "headless" in choice.reason


def test_never_follows_an_unrunnable_ubuntu_drivers_choice():
    offered = [
        candidate("nvidia-driver-580-open", GTX1080, ubuntu_drivers_recommended=True),
        candidate("nvidia-driver-580", GTX1080),
    ]
    choice = recommend(offered, headless=False, today=TODAY)
    assert choice.package == "nvidia-driver-580"
    assert "GSP" in choice.reason


def test_no_candidates_means_no_recommendation():
    choice = recommend([], headless=True, today=TODAY)
    assert choice.package is None and choice.reason


def test_mark_recommended_sets_exactly_one():
    marked = mark_recommended(flavours(580, RTX3090), "nvidia-driver-580-open")
    assert [c.package for c in marked if c.recommended] == ["nvidia-driver-580-open"]


def test_secure_boot_prefers_drivers_with_signed_modules():
    offered = flavours(580, GTX1080) + flavours(570, GTX1080)
    signed = {"nvidia-driver-570", "nvidia-driver-570-server"}
    choice = recommend(offered, headless=True, signed=signed, today=TODAY)
    assert choice.package == "nvidia-driver-570-server"
    assert "Secure Boot" in choice.reason
    # Without Secure Boot the newer LTSB wins, signed modules or not.
    assert recommend(offered, headless=True, today=TODAY).package == "nvidia-driver-580-server"
    # When nothing has signed modules, rank as usual (the finding warns instead).
    assert recommend(offered, headless=True, signed=set(), today=TODAY).package == (
        "nvidia-driver-580-server"
    )


def test_secure_boot_explains_departing_from_ubuntu_drivers():
    offered = flavours(580, GTX1080) + flavours(570, GTX1080)
    offered[0] = candidate("nvidia-driver-580", GTX1080, ubuntu_drivers_recommended=True)
    choice = recommend(offered, headless=False, signed={"nvidia-driver-570"}, today=TODAY)
    assert choice.package == "nvidia-driver-570"
    assert "no signed modules" in choice.reason and choice.follows_ubuntu_drivers is False
