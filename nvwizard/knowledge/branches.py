"""NVIDIA Linux driver branches: designation, release, end of life and the CUDA each supports.

Every branch Ubuntu has shipped as a driver package, from the 304 legacy series to the newest
data-center branch. Designations: PB (production branch), LTSB (long-term support branch), NFB
(new feature branch) and Legacy (a series kept only for old GPUs); None where NVIDIA gave the
branch none of these (the long- and short-lived branches before 2019, and 615, see below). apt's
`Support:` header, when a host's apt has one, wins over this table (DOMAIN.md: the host's apt
cache is the truth); the table fills in where apt is silent.

Dates are months, "YYYY-MM": `released` the first Linux release of the branch, `end_of_life`
the last month NVIDIA supports it. Whether a month has passed is decided against a `today` the
caller passes (tests pin it); nothing here reads the clock.

Sources (what each says):
- [dc-620] https://docs.nvidia.com/datacenter/tesla/drivers/620/supported-drivers-and-cuda-toolkit-versions.html
  "R580 Long Term Support Branch, End of Life June 2028; R595 Production Branch, March 2027;
  R620 Long Term Support Branch, September 2029 ... New Feature Branches are short-lived and do
  not have an end-of-life date."
- [dc-615] the same page for 615: "R535 LTSB June 2026; R580 LTSB June 2028; R595 PB March
  2027; R610 New Feature Branch August 2026". It lists no R615 row: NVIDIA publishes no
  designation, end of life or CUDA version for 615 (Ubuntu's archive has it as
  nvidia-driver-615-server*), so the table has none; the R620 page lists no 615 row either.
- [redist-615] https://developer.download.nvidia.com/compute/nvidia-driver/redist/redistrib_615.71.09.json:
  "release_date": "2026-09-09" for 615.71.09, the earliest 615 manifest found (no CUDA
  compatibility package, so no CUDA version either). Used as 615's release month.
- [dc-580] https://docs.nvidia.com/datacenter/tesla/drivers/supported-drivers-and-cuda-toolkit-versions.html
  (the v580 edition): "R535 LTSB June 2026; R570 PB February 2026; R580 LTSB August 2028 ...
  All other previous driver branches not listed (such as R575, R565, R560, R550, R525, R515,
  R510, R495, R465, R460, R455, R450, R440, R418, R410) are end of life." R580's date moved to
  June 2028 in the later editions; the newest edition wins.
- [dc-2021] https://docs.nvidia.com/datacenter/tesla/pdf/NVIDIA_CUDA_Drivers_Support.pdf
  (March 2021): "R418 LTSB, End of Life March 2022; R440 NFB November 2020; R450 LTSB July
  2023; R455 Evaluation/Developer Branch; R460 PB January 2022".
- [dc-lifecycle] https://docs.nvidia.com/datacenter/tesla/drivers/driver-lifecycle.html: a PB
  gets fixes "for up to 1 year", an LTSB for 3 years; an NFB is a short-lived feature release.
  Used to infer the first release of 595 and 620 from their published end of life.
- [releases-json] https://docs.nvidia.com/datacenter/tesla/drivers/releases.json, as recorded
  by endoflife.date (products/nvidia-driver.md): first release dates and branch types (R390,
  R418, R450, R470, R535, R580 LTS; R460, R510, R515, R525, R550, R570 PB; R495, R520, R530,
  R545, R555, R575 NFB; R590 neither), and end of life R470 2024-07, R510 2023-01, R515
  2023-05, R525 2023-12, R550 2025-04.
- [releases-json-types] the same releases.json read directly by Azure's aks-gpu
  (github.com/Azure/aks-gpu pull 113, July 2025), which lists its branch types: production
  460, 510, 515, 525, 550, 570; long-term 450, 470, 535; new feature 465, 495, 520, 560, 565,
  575 (e.g. "565.57.01 (new feature branch)"). So 560 and 565 are NFBs, as DOMAIN.md says and
  as Ubuntu's 565-server -> 580-server transition suggests; an earlier endoflife.date reading
  had typed them PB with end-of-life months 2025-08 and 2025-10, which NVIDIA never gives an
  NFB ("New Feature Branches are short-lived and do not have an end-of-life date", dc-620).
- [r310] NVIDIA's R310 Linux driver announcement of 2012-11-07 (reported e.g. by
  hothardware.com and muylinux.com that day): 310's first release month.
- Before 390 NVIDIA called its Linux branches "long-lived" or "short-lived" (the Unix driver
  archive and its forum announcements), never PB/LTSB/NFB, and published no end of life
  except for the legacy series; those rows keep designation and end of life None. Their first
  release months are None too where no source at hand gives one (313 to 387, except 310):
  unknown, not guessed. Every branch from 304 to 390 is long past in any case: the table's
  lifecycle treats an undesignated branch as ended once a newer PB/LTSB branch (390 on) exists.
- [unix-legacy] https://www.nvidia.com/en-us/drivers/unix/legacy-gpu/ and NVIDIA support answer
  5202: the 470 legacy series (Kepler) got security updates through September 2024; 390.xx
  (Fermi) until the end of 2022 (last release 390.157, 2022-11); 340.xx (Tesla generation)
  ended with 340.108 (2019-12); 304.xx (GeForce 6/7) with 304.137 (2017-09, support to 2017-12).
- [cuda-notes] CUDA Toolkit release notes, table "CUDA Toolkit and Corresponding Driver
  Versions" (e.g. https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/): the minimum Linux
  driver of each CUDA release (5.0 >= 304.54, 5.5 >= 319.37, 6.0 >= 331.62, 6.5 >= 340.29,
  7.0 >= 346.46, 7.5 >= 352.31, 8.0 >= 367.48, 9.0 >= 384.81,
  9.1 >= 387.26, 9.2 >= 396.26, 10.0 >= 410.48, 10.1 >= 418.39, 10.2 >= 440.33, 11.0 >=
  450.36.06, 11.1 >= 455.23, 11.2 >= 460.27.03, 11.3 >= 465.19.01, 11.4 >= 470.42.01, 11.5 >=
  495.29.05, 11.6 >= 510.39.01, 11.7 >= 515.43.04, 11.8 >= 520.61.05, 12.0 >= 525.60.13, ...).
  A branch's CUDA here is the newest CUDA whose minimum driver it meets, which is what
  `nvidia-smi` prints for it. Minor-version compatibility: any CUDA 11.x application runs on a
  driver >= 450.80.02, any 12.x on >= 525.60.13, any 13.x on >= 580 (no PTX JIT of newer code).
- [domain] shared/DOMAIN.md "Variants, explained correctly": the CUDA of 545-620 (565: 12.7,
  for which no toolkit exists; 610: 13.3; 620: 13.5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PB = "PB"
LTSB = "LTSB"
NFB = "NFB"
LEGACY = "Legacy"

DESIGNATION_NAMES = {
    PB: "production branch",
    LTSB: "long-term support branch",
    NFB: "new feature branch",
    LEGACY: "legacy branch for old GPUs",
}
# Designations NVIDIA supports for a published span (PB one year, LTSB three).
LONG_LIVED = (PB, LTSB)

# Minor-version compatibility (cuda-notes): every application built with a CUDA <major>.x
# toolkit runs on a driver of at least this branch, without PTX JIT of newer code.
MINOR_VERSION_COMPATIBLE_FROM = {"11": 450, "12": 525, "13": 580}


@dataclass(frozen=True)
class Branch:
    number: int  # 580
    designation: str | None  # PB, LTSB, NFB, Legacy, or None when no source says
    released: str | None  # "2025-08": first Linux release, None when no source says
    end_of_life: str | None  # "2028-06", None when no source publishes one
    cuda: str | None  # the newest CUDA version the branch supports, "13.0"
    source: str


# fmt: off
BRANCHES: tuple[Branch, ...] = (
    Branch(304, LEGACY, None, "2017-12", "5.0", "unix-legacy; cuda-notes (5.0 >= 304.54)"),
    Branch(310, None, "2012-11", None, "5.0", "r310; cuda-notes (5.0 >= 304.54)"),
    Branch(313, None, None, None, "5.0", "cuda-notes (5.5 needs 319.37)"),
    Branch(319, None, None, None, "5.5", "cuda-notes (5.5 >= 319.37)"),
    Branch(325, None, None, None, "5.5", "cuda-notes"),
    Branch(331, None, None, None, "6.0", "cuda-notes (6.0 >= 331.62)"),
    Branch(334, None, None, None, "6.0", "cuda-notes"),
    Branch(337, None, None, None, "6.0", "cuda-notes"),
    Branch(340, LEGACY, None, "2019-12", "6.5", "unix-legacy; cuda-notes (6.5 >= 340.29)"),
    Branch(343, None, None, None, "6.5", "cuda-notes"),
    Branch(346, None, None, None, "7.0", "cuda-notes"),
    Branch(349, None, None, None, "7.0", "cuda-notes"),
    Branch(352, None, None, None, "7.5", "cuda-notes"),
    Branch(355, None, None, None, "7.5", "cuda-notes"),
    Branch(358, None, None, None, "7.5", "cuda-notes"),
    Branch(361, None, None, None, "7.5", "cuda-notes"),
    Branch(364, None, None, None, "7.5", "cuda-notes (8.0 needs 367.48)"),
    Branch(367, None, None, None, "8.0", "cuda-notes"),
    Branch(370, None, None, None, "8.0", "cuda-notes"),
    Branch(375, None, None, None, "8.0", "cuda-notes"),
    Branch(378, None, None, None, "8.0", "cuda-notes (9.0 needs 384.81)"),
    Branch(381, None, None, None, "8.0", "cuda-notes"),
    Branch(384, None, None, None, "9.0", "cuda-notes"),
    Branch(387, None, None, None, "9.1", "cuda-notes"),
    Branch(390, LTSB, "2018-01", "2022-11", "9.1", "releases-json; unix-legacy; cuda-notes"),
    Branch(396, None, None, None, "9.2", "cuda-notes"),
    Branch(410, None, None, None, "10.0", "dc-580 (ended, no date); cuda-notes"),
    Branch(415, None, None, None, "10.0", "cuda-notes"),
    Branch(418, LTSB, "2019-01", "2022-03", "10.1", "dc-2021; releases-json; cuda-notes"),
    Branch(430, None, None, None, "10.1", "cuda-notes"),
    Branch(435, None, None, None, "10.1", "cuda-notes"),
    Branch(440, NFB, None, "2020-11", "10.2", "dc-2021; cuda-notes"),
    Branch(450, LTSB, "2020-06", "2023-07", "11.0", "dc-2021; releases-json; cuda-notes"),
    Branch(455, NFB, None, None, "11.1", "dc-2021 (evaluation/developer); cuda-notes"),
    Branch(460, PB, "2021-01", "2022-01", "11.2", "dc-2021; releases-json; cuda-notes"),
    Branch(465, NFB, "2021-04", None, "11.3", "releases-json; cuda-notes"),
    Branch(470, LTSB, "2021-07", "2024-09", "11.4", "releases-json (LTSB to 2024-07); "
           "unix-legacy (Kepler security updates to 2024-09); cuda-notes"),
    Branch(495, NFB, "2021-10", None, "11.5", "releases-json; cuda-notes"),
    Branch(510, PB, "2022-01", "2023-01", "11.6", "releases-json; cuda-notes"),
    Branch(515, PB, "2022-05", "2023-05", "11.7", "releases-json; cuda-notes"),
    Branch(520, NFB, "2022-10", None, "11.8", "releases-json; cuda-notes"),
    Branch(525, PB, "2022-11", "2023-12", "12.0", "releases-json; cuda-notes"),
    Branch(530, NFB, "2023-03", None, "12.1", "releases-json; cuda-notes"),
    Branch(535, LTSB, "2023-06", "2026-06", "12.2", "dc-615; releases-json; cuda-notes"),
    Branch(545, NFB, "2023-10", None, "12.3", "releases-json; domain"),
    Branch(550, PB, "2024-02", "2025-04", "12.4", "releases-json; domain"),
    Branch(555, NFB, "2024-06", None, "12.5", "releases-json; domain"),
    Branch(560, NFB, "2024-08", None, "12.6", "releases-json-types; releases-json; domain"),
    Branch(565, NFB, "2024-10", None, "12.7", "releases-json-types; releases-json; domain "
           "(no CUDA 12.7 toolkit exists)"),
    Branch(570, PB, "2025-01", "2026-02", "12.8", "dc-580; releases-json; domain"),
    Branch(575, NFB, "2025-06", None, "12.9", "dc-580 (ended, no date); releases-json; domain"),
    Branch(580, LTSB, "2025-08", "2028-06", "13.0", "dc-620 (dc-580 said 2028-08); domain"),
    Branch(590, NFB, "2025-12", None, "13.1", "releases-json (no PB/LTSB type); domain"),
    Branch(595, PB, "2026-03", "2027-03", "13.2", "dc-620; dc-lifecycle (released a year "
           "before its end of life); domain"),
    Branch(610, NFB, None, "2026-08", "13.3", "dc-615; domain"),
    Branch(615, None, "2026-09", None, None, "dc-615 (no row for R615: designation, end of "
           "life and CUDA unpublished); redist-615; Ubuntu archive (-server)"),
    Branch(620, LTSB, "2026-09", "2029-09", "13.5", "dc-620; dc-lifecycle (released three "
           "years before its end of life); domain"),
)
# fmt: on

_BY_NUMBER = {b.number: b for b in BRANCHES}
NEWEST_KNOWN = BRANCHES[-1].number


def branch(number: int) -> Branch | None:
    """The table row for a branch number, or None when no source covers it."""
    return _BY_NUMBER.get(number)


def designation(number: int) -> str | None:
    found = _BY_NUMBER.get(number)
    return found.designation if found else None


def end_of_life(number: int) -> str | None:
    found = _BY_NUMBER.get(number)
    return found.end_of_life if found else None


def highest_cuda(number: int) -> str | None:
    found = _BY_NUMBER.get(number)
    return found.cuda if found else None


def _month(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        year, month = (int(part) for part in text.split("-")[:2])
    except ValueError:
        return None
    return year, month


def is_end_of_life(end: str | None, today: dt.date) -> bool:
    """True once the month named by `end` ("2026-06") has passed by `today`; False when
    unknown. `today` is the report's day (report/build.py), never read from the clock here."""
    month = _month(end)
    if month is None:
        return False
    return (today.year, today.month) > month


def has_been_released(released: str | None, today: dt.date) -> bool:
    month = _month(released)
    return month is not None and (today.year, today.month) >= month


def newer_long_lived_release(number: int, today: dt.date) -> Branch | None:
    """The first PB or LTSB branch newer than `number` that was out by `today`, or None.

    An NFB, or a branch with no designation, is supported only until such a branch ships
    (DOMAIN.md; NVIDIA's lifecycle gives NFBs no end-of-life date of their own).
    """
    for row in BRANCHES:
        if (
            row.number > number
            and row.designation in LONG_LIVED
            and has_been_released(row.released, today)
        ):
            return row
    return None


def normalize_support(value: str | None) -> str | None:
    """apt's `Support:` header as PB, LTSB, NFB or Legacy, or its own text for anything else."""
    if not value:
        return None
    text = value.strip()
    for known in (LTSB, PB, NFB, LEGACY):
        if text.upper() == known.upper():
            return known
    return text or None


def cuda_words(number: int, cuda: str | None) -> str | None:
    """What CUDA a branch runs, minor-version compatibility included; None when unknown.

    "535": nvidia-smi says 12.2, and every CUDA 12.x application runs on it (cuda-notes).
    """
    if not cuda:
        return None
    major = cuda.split(".", 1)[0]
    compatible_from = MINOR_VERSION_COMPATIBLE_FROM.get(major)
    if compatible_from is None or number < compatible_from:
        return f"It supports CUDA up to {cuda}."
    return (
        f"It supports CUDA {cuda} natively (what nvidia-smi shows) and, through minor-version "
        f"compatibility, applications built with any CUDA {major}.x toolkit (no PTX JIT of "
        "code newer than the driver)."
    )
