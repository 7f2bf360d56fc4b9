"""The ranking, tested as a table on real-format outputs (tests/report/corpus_cases.py):
GPU x offered set -> what an expert installs on a headless server on 2026-12-07, and why."""

from __future__ import annotations

import datetime as dt

import pytest

from nvwizard.host.base import Host
from nvwizard.report.build import build_report

from .corpus_cases import CASES

TODAY = dt.date(2026, 12, 7)
FILES = {
    "ubuntu_drivers": "ubuntu-drivers-devices.txt",
    "ubuntu_drivers_list": "ubuntu-drivers-list.txt",
    "lspci": "lspci-nn.txt",
    "apt": "apt-cache-show.txt",
}


class PasteHost(Host):
    """What a user pasted into a bug report: a few files, nothing else."""

    kind = "bundle"
    label = "paste"

    def __init__(self, case: dict):
        self.files = {FILES[k]: v for k, v in case.items() if k in FILES}

    def read(self, source):
        return self.files.get(source)

    def start(self, argv, env=None):
        raise AssertionError("a report never runs commands")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_corpus_case(case):
    report = build_report(PasteHost(case), today=TODAY)
    assert report.gpus, "every case has an NVIDIA GPU the parsers must find"
    assert report.recommended_driver == case["expect"], case["why"]
    ids = {f.id for f in report.findings}
    assert ("every-driver-past-end-of-life" in ids) == case["every_dead"]
    assert set(case.get("findings", ())) <= ids
    assert report.drivers_not_understood == case.get("not_understood", [])
    # a paste shows nothing about a desktop: the server ranking, and it says it assumed so
    assert report.headless is None and "headless-unknown" in ids
    if case["expect"]:
        assert "assumed a headless server" in report.recommendation_reason
        chosen = report.candidate(case["expect"])
        assert chosen.runnable and chosen.recommended


def test_the_corpus_covers_every_generation_and_format():
    reports = [build_report(PasteHost(c), today=TODAY) for c in CASES]
    generations = {g.architecture for r in reports for g in r.gpus}
    assert {"Tesla", "Fermi", "Kepler", "Maxwell", "Pascal", "Volta", "Turing", "Ampere",
            "Hopper", "Ada", "Blackwell"} <= generations  # fmt: skip
    candidates = [c for r in reports for c in r.driver_candidates]
    assert any(c.legacy_name for c in candidates)
    assert any(c.source == "third-party" for c in candidates)
    assert any(r.gpus[0].name is None for r in reports)  # no model line, id unknown to us
    assert any(r.gpus[0].device_id is None for r in reports)  # plain lspci, no ids


def test_detect_text_says_listed_but_not_understood_never_no_data():
    from nvwizard.cli.detect_cmd import format_report

    [case] = [c for c in CASES if c["name"] == "unknown-names-only"]
    text = format_report(build_report(PasteHost(case), today=TODAY))
    assert "listed but not understood: nvidia-graphics-driver-future" in text
    assert "no apt data" not in text


def test_a_legacy_recommendation_is_refused_by_the_plan_with_what_to_do():
    from nvwizard.errors import RefusedError
    from nvwizard.plan.build import build_plan, default_choices

    [case] = [c for c in CASES if c["name"].startswith("geforce9800gt")]
    report = build_report(PasteHost(case), today=TODAY)
    with pytest.raises(RefusedError, match="old-style package .* apt-get install nvidia-340"):
        build_plan(report, default_choices(report))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_reason_never_contradicts_the_pick(case):
    """The variant sentence names only what decided it: no open preference beside a
    proprietary pick the GPU had no choice about, no desktop build 'first in the server
    ranking' without saying that no -server build is offered."""
    report = build_report(PasteHost(case), today=TODAY)
    if not case["expect"]:
        return
    own = report.recommendation_reason.split(" nvwizard's rule:")[0]
    chosen = report.candidate(case["expect"])
    if not chosen.open:
        assert "open modules preferred" not in own or any(
            c.runnable and c.open and c.branch == chosen.branch for c in report.driver_candidates
        ), own
    if not chosen.server and "server ranking" in own:
        assert f"no data-center (-server) build of branch {chosen.branch} is offered" in own


def test_detect_text_shows_no_device_id_it_does_not_know():
    from nvwizard.cli.detect_cmd import format_report

    [case] = [c for c in CASES if c["name"] == "quadro-gv100-volta-plain-lspci"]
    text = format_report(build_report(PasteHost(case), today=TODAY))
    [line] = [line for line in text.splitlines() if "GV100GL" in line]
    assert line == "  0000:3b:00.0  Quadro GV100  Volta (GV100GL), open kernel modules: unsupported"


def test_detect_text_names_what_it_did_not_understand_beside_the_candidates():
    from nvwizard.cli.detect_cmd import format_report

    case = {
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==
modalias : pci:v000010DEd00000A65sv00001043sd00008334bc03sc00i00
vendor   : NVIDIA Corporation
model    : GT218 [GeForce 210]
driver   : nvidia-current - distro non-free
driver   : nvidia-340 - distro non-free recommended
driver   : xserver-xorg-video-nouveau - distro free builtin
"""
    }
    report = build_report(PasteHost(case), today=TODAY)
    assert report.drivers_not_understood == ["nvidia-current"]  # no apt version: no branch
    text = format_report(report)
    assert "nvidia-340" in text
    assert "also listed but not understood (no branch known): nvidia-current" in text


@pytest.mark.parametrize(
    "case", [c for c in CASES if "apt" not in c], ids=[c["name"] for c in CASES if "apt" not in c]
)
def test_without_apt_data_the_reason_claims_no_apt_header(case):
    """A paste shows no apt stanza: what ubuntu-drivers does is told as it ranks without
    headers, never 'Support: PB' or 'the apt headers nvwizard sees'."""
    reason = build_report(PasteHost(case), today=TODAY).recommendation_reason
    theirs = reason.split(" nvwizard's rule:")[-1]
    assert "Support:" not in theirs and "apt headers nvwizard sees" not in theirs, theirs
    assert "then by the apt Support header" not in theirs, theirs
    if "ubuntu-drivers" in theirs:
        assert "saw no apt headers" in theirs or "saw none" in theirs, theirs


def test_without_apt_data_ubuntu_drivers_is_reproduced_without_headers():
    # GTX 650 Ti, 2020: ubuntu-drivers marked 450-server (its machine had headers); without
    # headers its ranking takes the highest plain name, 450, and the text says which is which.
    [case] = [c for c in CASES if c["name"] == "gtx650ti-kepler-2020"]
    reason = build_report(PasteHost(case), today=TODAY).recommendation_reason
    assert (
        "ubuntu-drivers marks nvidia-driver-450-server recommended; nvwizard saw no apt headers, "
        "and without them its current ranking would pick nvidia-driver-450"
    ) in reason
