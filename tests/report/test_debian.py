"""Debian in the report: apt sources and their components, versions, candidates."""

from __future__ import annotations

import pytest

from nvwizard.detect.apt_sources import parse_apt_source_entries
from nvwizard.detect.models import AptPackage, DpkgEntry
from nvwizard.knowledge.debian import is_transitional
from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices
from nvwizard.plan.simulate import Simulation, check_simulation
from nvwizard.report import findings
from nvwizard.report.build import build_report
from nvwizard.report.debian import (
    component_gaps,
    components_missing,
    family_versions,
)
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.models import LoadedModule
from nvwizard.simulator import demo_host
from tests.debian_archive.plans import SourcesHost
from tests.report.helpers import report

BOOKWORM_MAIN_ONLY = """\
# file: /etc/apt/sources.list
deb http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://security.debian.org/debian-security bookworm-security main
"""
TRIXIE_DEB822 = """\
# file: /etc/apt/sources.list.d/debian.sources
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-updates main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security trixie-security main contrib
"""  # noqa: E501


def test_entries_say_their_file_format_and_options():
    entries = parse_apt_source_entries(TRIXIE_DEB822 + BOOKWORM_MAIN_ONLY)
    first = entries[0]
    assert (first.file, first.deb822, first.suite) == (
        "/etc/apt/sources.list.d/debian.sources",
        True,
        "trixie",
    )
    assert first.options == "[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
    assert entries[3].file == "/etc/apt/sources.list" and not entries[3].deb822
    assert [e.kind for e in entries].count("deb-src") == 1


def test_a_pasted_deb822_stanza_and_an_inline_key():
    text = (
        "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\n"
        "Components: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n"
        " mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw/NZJPR8lsD3K87ZM18gzyQZJD+w\n"
        " -----END PGP PUBLIC KEY BLOCK-----\n"
    )
    entries = parse_apt_source_entries(text)
    assert [(e.suite, e.components, e.deb822) for e in entries] == [
        ("trixie", ("main",), True),
        ("trixie-updates", ("main",), True),
    ]
    assert all(e.inline_key for e in entries)
    captured = "# file: /etc/apt/sources.list.d/x.sources\n"
    captured += "deb [signed-by=(inline key)] http://deb.debian.org/debian trixie main\n"
    assert parse_apt_source_entries(captured)[0].inline_key


def test_gaps_are_the_debian_entries_lacking_nvidias_components():
    gaps = component_gaps(parse_apt_source_entries(BOOKWORM_MAIN_ONLY), "bookworm")
    assert [(g.suite, g.missing) for g in gaps] == [
        ("bookworm", ("contrib", "non-free", "non-free-firmware")),
        ("bookworm-updates", ("contrib", "non-free", "non-free-firmware")),
        ("bookworm-security", ("contrib", "non-free", "non-free-firmware")),
    ]
    assert gaps[0].fixed_line == (
        "deb http://deb.debian.org/debian bookworm main contrib non-free non-free-firmware"
    )
    # contrib on a line of its own for the same archive counts; other releases do not
    split = BOOKWORM_MAIN_ONLY + (
        "deb http://deb.debian.org/debian/ bookworm contrib non-free non-free-firmware\n"
        "deb http://deb.debian.org/debian trixie main\n"
    )
    assert [g.suite for g in component_gaps(parse_apt_source_entries(split), "bookworm")] == [
        "bookworm-updates",
        "bookworm-security",
    ]
    assert component_gaps(parse_apt_source_entries(BOOKWORM_MAIN_ONLY), None) == []


def test_the_finding_gives_the_exact_line_in_the_machines_format():
    main_only = build_report(_machine("12", BOOKWORM_MAIN_ONLY))
    found = components_missing(main_only.debian)
    assert found.id == "debian-components-missing" and found.severity == "warn"
    assert "lack contrib, non-free, non-free-firmware" in found.message
    assert (
        "`deb http://deb.debian.org/debian bookworm main contrib non-free non-free-firmware` "
        "in /etc/apt/sources.list" in found.fix
    )
    deb822 = build_report(_machine("13", TRIXIE_DEB822))
    found = components_missing(deb822.debian)
    assert "`Components: main contrib non-free non-free-firmware` in " in found.fix
    assert "/etc/apt/sources.list.d/debian.sources" in found.fix
    assert "lack contrib, non-free, non-free-firmware" in found.message  # security has contrib
    assert "debian-components-missing" in {f.id for f in deb822.findings}
    assert components_missing(build_report(demo_host("debian13-l4")).debian) is None


def _machine(version: str, sources: str, apt: str = "") -> SourcesHost:
    base = demo_host("debian12-t4" if version == "12" else "debian13-l4")
    texts = {name: base.read(name) for name in ("lspci-nn.txt", "sysfs-pci.txt", "session.txt")}
    texts |= {name: base.read(name) for name in ("os-release.txt", "uname-r.txt", "lsmod.txt")}
    texts |= {"apt-sources.txt": sources, "apt-cache-show.txt": apt, "dpkg-query.txt": ""}
    return SourcesHost(texts, f"debian {version} main only")


def test_with_the_archive_unseen_the_release_table_offers_its_proprietary_families():
    rep = build_report(_machine("12", BOOKWORM_MAIN_ONLY))
    assert [(c.package, c.branch) for c in rep.driver_candidates] == [
        ("nvidia-driver", 535),
        ("nvidia-tesla-535-driver", 535),
        ("nvidia-tesla-470-driver", 470),
    ]  # not the open modules: whether they match the driver needs apt's versions
    assert rep.recommended_driver == "nvidia-tesla-535-driver"
    # bookworm's arm64 archive has no nvidia-tesla-535-driver
    arm = _machine("12", BOOKWORM_MAIN_ONLY)
    arm.sources["uname-r.txt"] = "6.1.0-57-arm64\n"
    assert "nvidia-tesla-535-driver" not in {c.package for c in build_report(arm).driver_candidates}
    # the same pick as once apt sees the archive
    trixie = build_report(_machine("13", TRIXIE_DEB822))
    assert trixie.recommended_driver == build_report(demo_host("debian13-l4")).recommended_driver


def test_a_plan_on_a_main_only_machine_enables_the_components_first():
    rep = build_report(_machine("12", BOOKWORM_MAIN_ONLY))
    plan = build_plan(rep, Choices(driver="nvidia-driver"))
    ids = [s.id for s in plan.steps]
    assert ids.index("preflight") < ids.index("sources") < ids.index("update")
    step = plan.step("sources")
    assert step.changes_system and "nvwizard-debian-components.list" in step.title
    argv = step.commands[0]
    assert argv[argv.index("--name") + 1] == "nvwizard-debian-components.list"
    assert argv[argv.index("--content") + 1].splitlines()[2:] == [
        "deb http://deb.debian.org/debian bookworm contrib non-free non-free-firmware",
        "deb http://deb.debian.org/debian bookworm-updates contrib non-free non-free-firmware",
        "deb http://security.debian.org/debian-security bookworm-security contrib non-free "
        "non-free-firmware",
    ]
    assert plan.branch == 535  # the release table's, said as such
    assert any("apt does not offer nvidia-driver yet" in w for w in plan.warnings)
    # apt cannot see the packages before the step: no install simulation, said so
    check = check_simulation(plan, Simulation(purge=None, autoremove=None, install=None))
    assert check.ok and "only once the sources step" in check.notes[0]


def test_deb822_sources_get_a_deb822_file_with_the_same_key():
    rep = build_report(_machine("13", TRIXIE_DEB822))
    step = build_plan(rep, Choices(driver="nvidia-driver")).step("sources")
    argv = step.commands[0]
    assert argv[argv.index("--name") + 1] == "nvwizard-debian-components.sources"
    content = argv[argv.index("--content") + 1]
    assert (
        "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: trixie-security\n"
        "Components: non-free non-free-firmware\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" in content
    )
    assert (
        "URIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\n"
        "Components: contrib non-free non-free-firmware\n" in content
    )
    assert content.count("Types: deb") == 2  # one stanza per archive and missing set


def test_an_inline_key_is_not_guessed_the_plan_says_what_to_do():
    from nvwizard.errors import RefusedError

    inline = "# file: /etc/apt/sources.list.d/debian.sources\n"
    inline += "deb [signed-by=(inline key)] http://deb.debian.org/debian trixie main\n"
    rep = build_report(_machine("13", inline))
    with pytest.raises(RefusedError, match="add the components to that entry by hand"):
        build_plan(rep, Choices(driver="nvidia-driver"))


def test_versions_are_the_newest_apt_offers_and_transitional_drivers_are_none():
    stanzas = [
        AptPackage("nvidia-driver", "535.261.03-1"),
        AptPackage("nvidia-driver", "535.309.01-0+deb12u1"),
        AptPackage("nvidia-settings", "535.309.01-0+deb12u1"),  # not a family part
        AptPackage("nvidia-tesla-driver", "525.147.05-15~deb12u1", depends=("nvidia-driver",)),
    ]
    assert family_versions(stanzas) == {
        "nvidia-driver": "535.309.01-0+deb12u1",
        "nvidia-tesla-driver": "525.147.05-15~deb12u1",
    }
    assert is_transitional(stanzas[3]) and not is_transitional(stanzas[0])


def test_nvml_mismatch_reads_debians_library_names():
    rep = report(
        loaded_module=LoadedModule("535.261.03", "proprietary"),
        installed_packages=[
            DpkgEntry("libcuda1", "535.309.01-0+deb12u1", "ii"),
            DpkgEntry("nvidia-smi", "535.309.01-0+deb12u1", "ii"),
        ],
    )
    found = findings.nvml_mismatch(rep, ExtraFacts())
    assert found is not None and "535.309.01" in found.message
