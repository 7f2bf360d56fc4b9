import datetime as dt

from nvwizard.report.recommend import mark_recommended, recommend, variant_rank

from .helpers import candidate, flavours, gpu, offered

TODAY = dt.date(2026, 1, 15)  # 610 NFB (EOL 2026-08), 535 (EOL 2026-06) and 570 still alive
LATE = dt.date(2026, 12, 7)
RTX3090 = [gpu("2204", "GA102 [GeForce RTX 3090]")]
GTX1080 = [gpu("1b80", "GP104 [GeForce GTX 1080]")]
RTX5090 = [gpu("2b85", "GB202 [GeForce RTX 5090]")]


def pick(candidates, today=TODAY, **kw):
    return recommend(offered(candidates, today), **kw)


def test_ampere_desktop_gets_the_open_desktop_build():
    assert pick(flavours(580, RTX3090), headless=False).package == "nvidia-driver-580-open"


def test_ampere_headless_gets_the_server_open_build():
    choice = pick(flavours(580, RTX3090), headless=True)
    assert choice.package == "nvidia-driver-580-server-open"
    assert "server ranking (headless machine)" in choice.reason


def test_unknown_headless_ranks_as_a_server_and_says_it_assumed_so():
    choice = pick(flavours(580, RTX3090), headless=None)
    assert choice.package == "nvidia-driver-580-server-open"
    assert "assumed a headless server" in choice.reason


def test_an_answered_ranking_says_it_was_asked_for_not_detected():
    desktop = pick(flavours(580, RTX3090), headless=False, answered=True)
    assert desktop.package == "nvidia-driver-580-open"
    assert "desktop ranking (the desktop driver was asked for)" in desktop.reason
    server = pick(flavours(580, RTX3090), headless=True, answered=True)
    assert "server ranking (a headless install was asked for)" in server.reason
    assert "assumed" not in server.reason


def test_pascal_never_gets_an_open_variant():
    both = flavours(580, GTX1080) + flavours(535, GTX1080)
    assert pick(both, headless=False).package == "nvidia-driver-580"
    assert pick(both, headless=True).package == "nvidia-driver-580-server"


def test_blackwell_gets_only_open_variants():
    both = flavours(595, RTX5090) + flavours(580, RTX5090)
    assert pick(both, headless=False).package == "nvidia-driver-595-open"
    assert pick(both, headless=True).package == "nvidia-driver-595-server-open"
    closed = [c for c in both if not c.open]
    assert pick(closed, headless=False).package is None


def test_595_production_branch_beats_610_new_feature_branch():
    choice = pick(flavours(610, RTX3090) + flavours(595, RTX3090), headless=False)
    assert choice.package == "nvidia-driver-595-open"
    assert "production branch (PB), supported until 2027-03" in choice.reason


def test_apt_support_header_decides_over_the_table():
    # apt says 610 is PB on this host: then the higher branch wins.
    both = flavours(610, RTX3090, support="PB") + flavours(595, RTX3090)
    assert pick(both, headless=False).package == "nvidia-driver-610-open"


def test_prefer_variant_closed_turns_off_the_open_preference():
    closed = flavours(580, RTX3090, prefer_variant="Closed")
    desktop = pick(closed, headless=False)
    assert desktop.package == "nvidia-driver-580"
    assert pick(closed, headless=True).package == "nvidia-driver-580-server"
    assert "Prefer-Variant: Closed" in desktop.reason


def test_prefer_variant_open_prefers_open_below_560():
    assert pick(
        flavours(550, RTX3090, prefer_variant="Open"), headless=False, today=dt.date(2024, 6, 1)
    ).package == ("nvidia-driver-550-open")


def test_no_open_preference_before_560():
    early = dt.date(2024, 6, 1)
    assert pick(flavours(550, RTX3090), headless=False, today=early).package == "nvidia-driver-550"
    assert pick(flavours(550, RTX3090), headless=True, today=early).package == (
        "nvidia-driver-550-server"
    )


def test_variant_orders():
    def order(server_ranking, prefer=None):
        ranked = sorted(
            flavours(580, RTX3090, prefer_variant=prefer),
            key=lambda c: variant_rank(c, server_ranking),
        )
        return [c.flavour.removeprefix("580") or "plain" for c in ranked]

    assert order(False) == ["-open", "plain", "-server-open", "-server"]
    assert order(True) == ["-server-open", "-server", "-open", "plain"]
    assert order(True, "Closed") == ["-server", "plain", "-server-open", "-open"]


def test_a_branch_past_its_end_of_life_never_beats_a_supported_one():
    both = flavours(535, RTX3090) + flavours(575, RTX3090)
    # While 535 (LTSB) lives it beats the NFB 575 ...
    assert pick(both, headless=True).package == "nvidia-driver-535-server"
    # ... once it ended (2026-06) only the NFB is left alive: still current? No, 580 (LTSB,
    # 2025-08) superseded 575 long ago, so both are dead: the LTSB supported most recently.
    late = pick(both, headless=True, today=LATE)
    assert late.package == "nvidia-driver-535-server" and late.every_branch_dead


def test_an_nfb_is_dead_once_a_newer_long_lived_branch_is_offered():
    # RTX 2070 offered 418-server/450/460 in 2020: today all three are past their end.
    rtx2070 = [gpu("1f02", "TU106 [GeForce RTX 2070]")]
    mixed = [candidate(n, rtx2070) for n in ("nvidia-driver-595", "nvidia-driver-590")]
    choice = pick(mixed, headless=False, today=LATE)
    assert choice.package == "nvidia-driver-595"
    alone = pick([candidate("nvidia-driver-590", rtx2070)], headless=False, today=LATE)
    assert alone.every_branch_dead  # 595 PB was released after 590: it superseded it


def test_every_branch_dead_takes_the_long_lived_branch_supported_most_recently():
    rtx2070s = [gpu(None, "TU104 [GeForce RTX 2070 SUPER]")]
    names = ("450", "460", "470", "495", "510", "515")
    dead = [candidate(f"nvidia-driver-{b}", rtx2070s) for b in names]
    choice = pick(dead, headless=False, today=LATE)
    assert choice.package == "nvidia-driver-470"  # LTSB, supported until 2024-09: the latest
    assert choice.every_branch_dead and "past its end of life" in choice.reason
    # ubuntu-drivers' pick (515 PB, ended 2023-05) does not beat a branch supported later
    dead[-1] = candidate("nvidia-driver-515", rtx2070s, ubuntu_drivers_recommended=True)
    assert pick(dead, headless=False, today=LATE).package == "nvidia-driver-470"


def test_follows_ubuntu_drivers_when_it_agrees():
    both = flavours(595, RTX3090, prefer_variant="Open")
    both[1] = candidate(
        "nvidia-driver-595-open", RTX3090, ubuntu_drivers_recommended=True, prefer_variant="Open"
    )
    choice = pick(both, headless=False)
    assert choice.follows_ubuntu_drivers is True
    assert "nvwizard agrees" in choice.reason


def test_says_why_it_departs_from_ubuntu_drivers_on_a_headless_machine():
    both = flavours(595, RTX3090)
    both[1] = candidate("nvidia-driver-595-open", RTX3090, ubuntu_drivers_recommended=True)
    choice = pick(both, headless=True)
    assert choice.package == "nvidia-driver-595-server-open"
    assert choice.follows_ubuntu_drivers is False
    assert choice.ubuntu_drivers_choice == "nvidia-driver-595-open"
    assert "server variant of the same branch" in choice.reason


def test_never_follows_an_unrunnable_ubuntu_drivers_choice():
    both = [
        candidate("nvidia-driver-580-open", GTX1080, ubuntu_drivers_recommended=True),
        candidate("nvidia-driver-580", GTX1080),
    ]
    choice = pick(both, headless=False)
    assert choice.package == "nvidia-driver-580"
    assert "GSP" in choice.reason


def test_no_candidates_means_no_recommendation():
    choice = pick([], headless=True)
    assert choice.package is None and choice.reason


def test_mark_recommended_sets_exactly_one():
    marked = mark_recommended(flavours(580, RTX3090), "nvidia-driver-580-open")
    assert [c.package for c in marked if c.recommended] == ["nvidia-driver-580-open"]


def test_secure_boot_prefers_signed_modules_among_live_branches_only():
    both = flavours(580, GTX1080) + flavours(570, GTX1080)
    signed = {"nvidia-driver-570", "nvidia-driver-570-server"}
    choice = pick(both, headless=True, signed=signed)
    assert choice.package == "nvidia-driver-570-server"
    assert "Secure Boot" in choice.reason
    # once 570 ended (2026-02), a supported DKMS driver beats an ended signed one
    assert pick(both, headless=True, signed=signed, today=LATE).package == (
        "nvidia-driver-580-server"
    )
    assert pick(both, headless=True).package == "nvidia-driver-580-server"
    assert pick(both, headless=True, signed=set()).package == "nvidia-driver-580-server"


def test_secure_boot_explains_departing_from_ubuntu_drivers():
    both = flavours(580, GTX1080) + flavours(570, GTX1080)
    both[0] = candidate("nvidia-driver-580", GTX1080, ubuntu_drivers_recommended=True)
    choice = pick(both, headless=False, signed={"nvidia-driver-570"})
    assert choice.package == "nvidia-driver-570"
    assert "no signed modules" in choice.reason and choice.follows_ubuntu_drivers is False


def test_reason_states_the_rule_and_ubuntu_drivers_pick_separately():
    both = flavours(595, RTX3090) + flavours(580, RTX3090)
    choice = pick(both, headless=True, today=LATE)
    assert "nvwizard's rule: only drivers this GPU can run" in choice.reason
    # no marker here: nvwizard says what ubuntu-drivers' own ranking would take
    assert "ubuntu-drivers would recommend nvidia-driver-595:" in choice.reason
    assert "`ubuntu-drivers install --gpgpu` would take nvidia-driver-595-server" in choice.reason


def _versioned(package: str, version: str | None, server: bool = False):
    from dataclasses import replace

    return replace(
        candidate("nvidia-driver-535-server" if server else "nvidia-driver-535", RTX3090),
        package=package,
        version=version,
    )


def test_on_debian_the_newest_build_of_a_branch_comes_before_the_variant():
    builds = [
        _versioned("nvidia-driver", "535.309.01-0+deb12u1"),
        _versioned("nvidia-tesla-535-driver", "535.216.03-3~deb12u1", server=True),
    ]
    debian = pick(builds, headless=True, newest_build_first=True)
    assert debian.package == "nvidia-driver"
    assert "nvidia-driver 535.309.01-0+deb12u1 is a newer build than" in debian.reason
    assert "within a branch, the newest build apt offers comes before the variant" in (
        debian.reason
    )
    # without the Debian rule (Ubuntu) the server ranking alone decides, as before
    assert pick(builds, headless=True).package == "nvidia-tesla-535-driver"
    # at the same upstream version (revisions aside), or with versions unknown, the variant
    same = [
        _versioned("nvidia-driver", "535.309.01-0+deb12u1"),
        _versioned("nvidia-tesla-535-driver", "535.309.01-1~deb12u1", server=True),
    ]
    assert pick(same, headless=True, newest_build_first=True).package == "nvidia-tesla-535-driver"
    unknown = [_versioned("nvidia-driver", None), _versioned("nvidia-tesla-535-driver", None, True)]
    assert (
        pick(unknown, headless=True, newest_build_first=True).package == "nvidia-tesla-535-driver"
    )
    # the ranking's own pick at the newest version: no note
    ahead = [
        _versioned("nvidia-driver", "535.216.03-3"),
        _versioned("nvidia-tesla-535-driver", "535.309.01-1", server=True),
    ]
    choice = pick(ahead, headless=True, newest_build_first=True)
    assert choice.package == "nvidia-tesla-535-driver" and "newer build" not in choice.reason
