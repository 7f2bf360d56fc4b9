"""The robustness checks (invariants.py) catch what they are there to catch."""

from __future__ import annotations

import functools
from dataclasses import replace

import pytest

from nvwizard.detect.dpkg import parse_dpkg_query
from nvwizard.detect.lspci import parse_lspci
from nvwizard.detect.models import DpkgEntry, NvidiaSmi, PciDevice
from nvwizard.detect.nvidia_smi import parse_nvidia_smi

from . import invariants
from ._samples import sample

LSPCI = sample("lspci", "lspci-nn-k-rtx3090.txt")
DPKG = sample("dpkg", "dpkg-query.txt")


def lying(parser, change):
    """`parser` with its result passed through `change`, under the parser's own name and
    annotation (what the checks read)."""

    @functools.wraps(parser)
    def parse(text: str):
        return change(parser(text))

    return parse


def test_the_real_parsers_pass():
    invariants.check(parse_lspci, LSPCI, parse_lspci(LSPCI))
    invariants.check(parse_dpkg_query, DPKG, parse_dpkg_query(DPKG))


LIES = [
    (
        "an invented GPU",
        "PciDevice.address = '0000:41:00.0': not in the input",
        parse_lspci,
        LSPCI,
        lambda found: [*found, PciDevice("0000:41:00.0", "10de", "2330", "0302")],
    ),
    (
        "a device id not in the input",
        "PciDevice.device_id = '2b85': not in the input",
        parse_lspci,
        LSPCI,
        lambda found: [replace(found[-1], device_id="2b85")],
    ),
    (
        "an invented package",
        "DpkgEntry.name = 'nvidia-driver-999': not in the input",
        parse_dpkg_query,
        DPKG,
        lambda found: [*found, DpkgEntry("nvidia-driver-999", "999.1-0ubuntu1", "ii")],
    ),
    (
        "a version not in the input",
        "DpkgEntry.version = '1:99.0': not in the input",
        parse_dpkg_query,
        DPKG,
        lambda found: [replace(found[0], version="1:99.0")],
    ),
    (
        "a state outside dpkg's letters",
        "DpkgEntry.state = 'xx': not the model's format",
        parse_dpkg_query,
        DPKG,
        lambda found: [replace(found[0], state="xx")],
    ),
    (
        "a number where the model says text",
        "version: 580 is none of str | None",
        parse_dpkg_query,
        DPKG,
        lambda found: [replace(found[0], version=580)],
    ),
    (
        "a status outside the documented ones",
        "NvidiaSmi.status = 'broken'",
        parse_nvidia_smi,
        "",
        lambda found: replace(found, status="broken"),
    ),
    (
        "a list where the annotation says a dataclass",
        "list, not NvidiaSmi",
        parse_nvidia_smi,
        "",
        lambda _: [],
    ),
]


@pytest.mark.parametrize(
    ("what", "said", "parser", "text", "change"), LIES, ids=[lie[0] for lie in LIES]
)
def test_a_lying_parser_fails_the_checks(what, said, parser, text, change):
    parse = lying(parser, change)
    with pytest.raises(AssertionError) as caught:
        invariants.check(parse, text, parse(text))
    assert said in str(caught.value), what


def test_empty_means_nothing_found():
    assert invariants.is_empty(NvidiaSmi(status="error"), "parse_nvidia_smi")
    assert invariants.is_empty([], "parse_lspci")
    assert not invariants.is_empty([DpkgEntry("dkms", None, "rc")], "parse_dpkg_l")
    assert not invariants.is_empty(NvidiaSmi(status="ok", driver_version="580.95.05"), "x")


def test_found_again_needs_every_item_and_the_same_scalars():
    gpu = PciDevice("0000:01:00.0", "10de", "2204", "0300")
    other = replace(gpu, address="0000:02:00.0")
    assert invariants.found_again([gpu], [other, gpu, gpu])
    assert not invariants.found_again([gpu, other], [gpu, gpu])
    assert not invariants.found_again(NvidiaSmi("ok", "580.95.05"), NvidiaSmi("ok", "535.1"))
