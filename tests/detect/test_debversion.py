import shutil
import subprocess

import pytest

from nvwizard.detect.debversion import compare_versions, really_upstream, version_key

ORDERED = [
    "0",
    "1.0~~",
    "1.0~",
    "1.0~rc1",
    "1.0",
    "1.0-0+deb12u1",
    "1.0-1~bpo",
    "1.0-1",
    "1.0a",  # letters sort before any other character
    "1.0+b1",
    "1.0.0",
    "1.0.1",
    "2.0",
    "6.1.176-1",
    "6.1.192-3",
    "535.247.01-1~deb12u1",
    "535.247.01-1",
    "535.261.03-1",
    "535.309.01-0+deb12u1",
    "20220217+3~deb12u1",
    "1:2.0",
    "2:21.1.7-3",
    "2:21.1.7-3+deb12u10",
]


def test_versions_sort_as_dpkg_sorts_them():
    assert sorted(reversed(ORDERED), key=version_key) == ORDERED
    assert compare_versions("535.309.01-0+deb12u1", "535.261.03-1") == 1
    assert compare_versions("1.0", "1.0-0") == 0  # no revision compares as revision 0


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="needs dpkg to compare with")
def test_every_pair_agrees_with_dpkg():
    for left in ORDERED:
        for right in ORDERED[::3]:
            expected = 0
            for op, value in (("lt", -1), ("gt", 1)):
                done = subprocess.run(["dpkg", "--compare-versions", left, op, right])
                if done.returncode == 0:
                    expected = value
            assert compare_versions(left, right) == expected, (left, right)


@pytest.mark.parametrize(
    ("upstream", "really"),
    [
        ("440.82+really.440.64", "440.64"),  # Ubuntu focal-updates' rolled-back 440 driver
        ("1.3.dfsg+really1.3.1", "1.3.1"),  # Debian's zlib1g
        ("580.95.05", "580.95.05"),
        ("440.82+really", "440.82+really"),  # nothing after it: not a roll-back
    ],
)
def test_really_upstream_is_the_release_a_rolled_back_package_carries(upstream, really):
    assert really_upstream(upstream) == really
