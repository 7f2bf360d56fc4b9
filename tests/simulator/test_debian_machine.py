"""The simulated Debian machines: the plan's `sources` step, and trixie's compiler line."""

from __future__ import annotations

import pytest

from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from tests.debian_archive.archive import parse_index, suites
from tests.debian_archive.record import HERE as ARCHIVE_DATA

QUICK = {"NVWIZARD_DEMO_SPEED": "0"}
MAIN_ONLY = (
    "# file: /etc/apt/sources.list\n"
    "deb http://deb.debian.org/debian trixie main\n"
    "deb http://security.debian.org/debian-security trixie-security main\n"
)


def run(host, argv):
    command = host.start(argv, QUICK)
    lines = [line.text for line in command.lines()]
    return command.wait(), lines


def test_the_sources_step_adds_its_entries_to_the_simulated_machine():
    host = demo_host("debian13-l4")
    host.simulator.write("apt-sources.txt", MAIN_ONLY)
    report = build_report(host)
    assert "debian-components-missing" in {f.id for f in report.findings}
    (argv,) = build_plan(report, Choices(driver="nvidia-driver")).step("sources").commands

    code, lines = run(host, argv)

    assert code == 0 and lines[0] == "Wrote /etc/apt/sources.list.d/nvwizard-debian-components.list"
    after = build_report(host)
    assert "debian-components-missing" not in {f.id for f in after.findings}
    assert after.debian.component_gaps == []
    again, lines = run(host, argv)
    assert again == 1 and "not overwritten" in lines[0]


def test_trixie_modules_report_trixies_compiler():
    host = demo_host("debian13-l4")
    assert run(host, ["apt-get", "-y", "install", "nvidia-kernel-dkms", "nvidia-smi"])[0] == 0
    result = host.simulator.boot()
    assert result.module is not None, result.why_no_module
    version = host.read("proc-driver-nvidia-version.txt")
    assert "gcc version 14.2.0 (Debian 14.2.0-19)" in version


@pytest.mark.parametrize("name, codename", [("debian12-t4", "bookworm"), ("debian13-l4", "trixie")])
def test_each_download_names_the_suite_its_version_comes_from(name, codename):
    """apt's Get: line names the archive and suite of the version it fetches: bookworm's
    security updates from security.debian.org's bookworm-security, the rest from bookworm
    (the simulator named every download bookworm-updates). The truth: the real indices the
    demo's package data was recorded from (tests/debian_archive/<release>/<suite>.Packages)."""
    host = demo_host(name)
    driver = "nvidia-tesla-535-driver" if codename == "bookworm" else "nvidia-driver"
    code, lines = run(host, ["apt-get", "-y", "install", driver, "nvidia-smi"])
    assert code == 0
    gets = [line.split() for line in lines if line.startswith("Get:")]
    assert len(gets) > 20
    where = {}
    for suite, _base in suites(codename):
        text = (ARCHIVE_DATA / codename / f"{suite}.Packages").read_text()
        for stanza in parse_index(text):
            where.setdefault((stanza.package, stanza.version), suite)
    base = {
        codename: "http://deb.debian.org/debian",
        f"{codename}-security": "http://security.debian.org/debian-security",
    }
    seen = set()
    for get in gets:
        # Get:N URI SUITE/COMPONENT INDEX-ARCH PACKAGE ARCH VERSION [SIZE], as real apt 2.6
        _n, uri, suite_component, index_arch, package, arch, version, *_size = get
        suite = suite_component.split("/")[0]
        assert suite == where[(package, version)], get
        assert uri == base[suite] and index_arch == "amd64" and arch in ("amd64", "all"), get
        seen.add(suite)
    assert seen == set(base)  # both suites appear: security updates and the release
