import datetime as dt

from nvwizard.knowledge.branches import (
    BRANCHES,
    branch,
    designation,
    end_of_life,
    highest_cuda,
    is_end_of_life,
    normalize_support,
)


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
    assert designation(590) is None  # DOMAIN.md names its CUDA but not its designation


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
    assert normalize_support("") is None
