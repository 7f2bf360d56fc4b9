"""A simulated machine answers detection's `apt-cache show` as a real one does: with the
stanzas of the packages host/apt_show_query.py asks for, not all its simulated apt offers."""

from __future__ import annotations

import re

import pytest

from nvwizard.detect.apt_cache import parse_apt_cache_show
from nvwizard.host.apt_show_query import apt_show_answer, apt_show_pattern
from nvwizard.host.demo import DEMOS
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from nvwizard.simulator.machine import APT_LISTING

NAMES = [d.name for d in DEMOS]

LISTING = """Package: nvidia-driver-580
Version: 580.95.05-0ubuntu1
Description: NVIDIA driver metapackage
 with a continuation line

Package: binutils
Version: 2.42-4ubuntu2

Package: linux-modules-nvidia-580-6.8.0-94-generic
Version: 6.8.0-94.94
\t
Package: linux-modules-nvidia-580-6.8.0-90-generic
Version: 6.8.0-90.90
"""


def test_the_answer_keeps_only_the_asked_stanzas_whole_and_in_order():
    answer = apt_show_answer(LISTING, "6.8.0-94-generic")
    assert [p.package for p in parse_apt_cache_show(answer)] == [
        "nvidia-driver-580",
        "linux-modules-nvidia-580-6.8.0-94-generic",  # this kernel's, not another kernel's
    ]
    assert "Description: NVIDIA driver metapackage\n with a continuation line\n" in answer
    assert apt_show_answer("Package: binutils\n", "6.8.0-94-generic") == ""


@pytest.mark.parametrize("demo", NAMES)
def test_a_demo_answers_only_what_the_query_names(demo):
    host = demo_host(demo)
    kernel = (host.read("uname-r.txt") or "").strip()
    wanted = re.compile(apt_show_pattern(kernel))
    answered = parse_apt_cache_show(host.read(APT_LISTING) or "")
    assert all(wanted.match(p.package) for p in answered)


@pytest.mark.parametrize("demo", NAMES)
def test_detection_needs_nothing_the_query_leaves_out(demo):
    """The report from the query's answer is the report from everything apt offers: a package
    detection reads but the live query does not ask for would be missing on a real machine
    (Debian's libnvidia-cfg1 was: its version was unknown there)."""
    answered = demo_host(demo)
    whole = demo_host(demo)
    stored = whole.simulator.stored  # type: ignore[union-attr]
    whole.read = lambda source: stored(source)  # type: ignore[method-assign]
    assert build_report(answered, offers=True) == build_report(whole, offers=True)
