import datetime as dt
import re

from nvwizard.knowledge.branches import (
    BRANCHES,
    branch,
    cuda_words,
    designation,
    end_of_life,
    highest_cuda,
    is_end_of_life,
    newer_long_lived_release,
    normalize_support,
)
from nvwizard.knowledge.explanations import SERVER_TEXT


def test_data_center_branches_from_the_domain_notes():
    assert (designation(535), end_of_life(535)) == ("LTSB", "2026-06")
    assert (designation(580), end_of_life(580)) == ("LTSB", "2028-06")
    assert (designation(595), end_of_life(595)) == ("PB", "2027-03")
    assert (designation(610), end_of_life(610)) == ("NFB", "2026-08")
    assert (designation(620), end_of_life(620)) == ("LTSB", "2029-09")
    assert designation(570) == "PB" and designation(575) == "NFB" and designation(470) == "LTSB"


def test_highest_cuda_per_branch():
    assert highest_cuda(470) == "11.4"
    assert highest_cuda(535) == "12.2"
    assert highest_cuda(565) == "12.7"
    assert highest_cuda(580) == "13.0"
    assert highest_cuda(595) == "13.2"
    assert highest_cuda(999) is None


def test_unknown_branches_are_none_not_guesses():
    assert branch(541) is None
    assert designation(615) is None  # NVIDIA's R615 documents publish no row for it
    assert end_of_life(575) is None  # NFBs have no end-of-life date of their own


# Every Linux driver branch NVIDIA released from 304 (the oldest legacy series Ubuntu shipped,
# nvidia-304) to 620, long- and short-lived alike: NVIDIA's Unix driver archive.
LINUX_BRANCHES = (
    304, 310, 313, 319, 325, 331, 334, 337, 340, 343, 346, 349, 352, 355, 358, 361, 364, 367,
    370, 375, 378, 381, 384, 387, 390, 396, 410, 415, 418, 430, 435, 440, 450, 455, 460, 465,
    470, 495, 510, 515, 520, 525, 530, 535, 545, 550, 555, 560, 565, 570, 575, 580, 590, 595,
    610, 615, 620,
)  # fmt: skip


def test_every_linux_branch_from_304_is_in_the_table():
    assert [b.number for b in BRANCHES] == list(LINUX_BRANCHES)
    assert all(b.cuda for b in BRANCHES if b.number != 615)


def test_the_short_lived_branches_before_390_carry_their_cuda_and_no_guessed_dates():
    # The newest CUDA whose minimum driver each branch meets (CUDA release notes' table).
    cuda = {n: highest_cuda(n) for n in (310, 313, 319, 325, 334, 337, 343, 349)}
    assert cuda == {
        310: "5.0", 313: "5.0", 319: "5.5", 325: "5.5",
        334: "6.0", 337: "6.0", 343: "6.5", 349: "7.0",
    }  # fmt: skip
    cuda = {n: highest_cuda(n) for n in (355, 358, 364, 370, 378, 381)}
    assert cuda == {355: "7.5", 358: "7.5", 364: "7.5", 370: "8.0", 378: "8.0", 381: "8.0"}
    assert branch(310).released == "2012-11"
    # NVIDIA gave these no PB/LTSB/NFB designation and published no end of life.
    for number in (313, 319, 325, 334, 337, 343, 349, 355, 358, 364, 370, 378, 381):
        row = branch(number)
        assert (row.designation, row.end_of_life, row.released) == (None, None, None)


def test_615_has_only_its_release_month_published():
    row = branch(615)
    assert (row.designation, row.end_of_life, row.cuda, row.released) == (
        None, None, None, "2026-09",
    )  # fmt: skip


def test_designations_and_ends_from_nvidia():
    assert (designation(570), end_of_life(570)) == ("PB", "2026-02")
    assert (designation(550), end_of_life(550)) == ("PB", "2025-04")
    assert (designation(418), end_of_life(418)) == ("LTSB", "2022-03")
    assert (designation(390), end_of_life(390)) == ("LTSB", "2022-11")
    assert (designation(340), end_of_life(340)) == ("Legacy", "2019-12")
    assert {designation(n) for n in (440, 455, 495, 520, 530, 545, 555, 575, 590)} == {"NFB"}
    # NVIDIA's releases.json types 560 and 565 as new feature branches: no end of life of
    # their own (565-server is an NFB's -server build).
    assert (designation(560), end_of_life(560)) == ("NFB", None)
    assert (designation(565), end_of_life(565)) == ("NFB", None)
    assert highest_cuda(610) == "13.3" and highest_cuda(620) == "13.5"


def test_an_nfb_is_superseded_by_the_next_long_lived_release():
    # 495 (NFB, 2021-10) was superseded by 510 PB (2022-01).
    assert newer_long_lived_release(495, dt.date(2021, 12, 1)) is None
    assert newer_long_lived_release(495, dt.date(2022, 2, 1)).number == 510
    # 610 by 620 (LTSB, 2026-09); nothing is newer than 620.
    assert newer_long_lived_release(610, dt.date(2026, 12, 7)).number == 620
    assert newer_long_lived_release(620, dt.date(2026, 12, 7)) is None


def test_cuda_words_say_minor_version_compatibility():
    assert "any CUDA 12.x" in cuda_words(535, "12.2")
    assert "any CUDA 13.x" in cuda_words(580, "13.0")
    assert cuda_words(418, "10.1") == "It supports CUDA up to 10.1."
    assert cuda_words(615, None) is None


def test_every_row_has_a_source_and_rows_are_ordered():
    assert all(b.source for b in BRANCHES)
    numbers = [b.number for b in BRANCHES]
    assert numbers == sorted(set(numbers))


def test_end_of_life_is_past_only_after_the_named_month():
    assert not is_end_of_life("2026-06", dt.date(2026, 6, 30))
    assert is_end_of_life("2026-06", dt.date(2026, 7, 1))
    assert not is_end_of_life(None, dt.date(2030, 1, 1))
    assert not is_end_of_life("soon", dt.date(2030, 1, 1))


def test_apt_support_header_normalised():
    assert normalize_support(" pb ") == "PB"
    assert normalize_support("LTSB") == "LTSB"
    assert normalize_support("Legacy") == "Legacy"
    assert normalize_support("legacy") == "Legacy"
    assert normalize_support("Beta") == "Beta"
    assert normalize_support("") is None


def test_the_server_explanation_names_only_real_nfbs():
    # "-server builds of new feature branches too (565-server, 575-server)": the table agrees.
    examples = [int(n) for n in re.findall(r"(\d{3})-server", SERVER_TEXT)]
    assert examples and all(designation(n) == "NFB" for n in examples)
