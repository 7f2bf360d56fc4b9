"""Every Debian plan nvwizard builds, resolved by the real apt against the recorded subset of
Debian's archive (offline, deterministic): bookworm and trixie, every kernel flavour the
archive has headers for, every driver candidate of the demo machine, headless and desktop."""

from __future__ import annotations

import pytest

from nvwizard.detect.debversion import compare_versions
from nvwizard.errors import NvwizardError
from nvwizard.knowledge import debian
from nvwizard.knowledge.debian import headers_meta
from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices
from nvwizard.plan.simulate import simulation_commands
from nvwizard.report.debian import open_modules_lag
from tests.debian_archive.archive import installed_by, parse_index, status_text
from tests.debian_archive.plans import demo_report, plan_cases
from tests.debian_archive.record import DEMO_ROOT, SPECS, demo_files, recorded

CASES = [
    case
    for codename, spec in SPECS.items()
    for case in plan_cases(codename, spec.demo, recorded(codename).kernels)
]


def _upstream(version: str) -> str:
    return version.split(":", 1)[-1].rsplit("-", 1)[0]


def test_the_plans_cover_every_flavour_candidate_and_kind():
    for codename in SPECS:
        data = recorded(codename)
        keys = {c.key for c in CASES if c.key.startswith(f"{codename}/")}
        assert keys == set(data.outcomes), "record again: python scripts/debian_indices.py"
    flavours = {c.key.split("/")[1] for c in CASES}
    assert {"amd64", "cloud-amd64", "rt-amd64", "6.12-amd64"} <= flavours


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_each_debian_plan_resolves_on_the_real_package_graph(case, debian_archive):
    data, root = debian_archive(case.key.split("/", 1)[0])
    assert data.outcomes[case.key] == ("ok" if case.plan else f"refused: {case.refused}")
    if case.plan is None:
        return
    done = root.run(case.install_argv)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "Remv " not in done.stdout  # a fresh machine: nothing is removed
    installed = installed_by(done.stdout)
    missing = [p for p in case.plan.install_list if p not in installed]
    assert not missing, f"named but not installed: {missing}"
    # the family comes at one version (apt cannot mix them; pins are never needed)
    family = {p: v for p, v in installed.items() if debian.is_family_part(p)}
    assert len({_upstream(v) for v in family.values()}) == 1, family
    # the running kernel's headers and the metapackage that follows its updates
    kernel = data.kernels[case.flavour]
    assert f"linux-headers-{kernel}" in installed
    assert headers_meta(kernel) in installed
    # Verify runs nvidia-smi: every plan installs the family's
    driver = debian.parse_debian_driver(case.driver)
    assert debian.smi_package(driver.flavour) in installed
    # the newest version apt offers, the one the report's candidate carries
    report = demo_report(SPECS[case.key.split("/")[0]].demo, {"uname-r.txt": kernel})
    newest = report.debian.versions[driver.kernel_dkms]
    assert compare_versions(installed[driver.kernel_dkms], newest) == 0


# -- bookworm's open modules: why nvwizard refuses them rather than pinning -------------------


def test_bookworm_open_modules_as_planned_break_apt(debian_archive):
    data, root = debian_archive("bookworm")
    evidence = data.evidence["open-modules-headless"]
    done = root.simulate_install(evidence["packages"], recommends=False)
    assert done.returncode == 100
    assert "held broken packages" in done.stderr
    assert "nvidia-open-kernel-dkms : Depends: firmware-nvidia-gsp (= 535.261.03)" in done.stdout
    report = demo_report("debian12-t4", {})
    assert "lag nvidia-driver" in (open_modules_lag(report.debian) or "")
    candidate = report.candidate(debian.OPEN_MODULES)
    assert candidate is not None and not candidate.runnable
    assert "firmware-nvidia-gsp at exactly 535.261.03" in candidate.reason


def test_bookworm_open_modules_pinned_miss_the_update_and_are_lost_on_full_upgrade(
    debian_archive, tmp_path
):
    """The alternative to refusing: pin every family part to the open modules' version. It
    resolves, but the driver then stays behind bookworm-security and a full upgrade swaps the
    open modules for the proprietary ones."""
    data, root = debian_archive("bookworm")
    pinned = data.evidence["open-modules-headless"]["pinned"]
    assert "nvidia-open-kernel-dkms=535.261.03-1" in pinned
    done = root.simulate_install(pinned, recommends=False)
    assert done.returncode == 0, done.stdout[-2000:]
    versions = installed_by(done.stdout)
    assert versions["nvidia-smi"] == "535.261.03-1"  # not bookworm-security's 535.309.01
    # that install, as a dpkg status: then what upgrades do
    stanzas = {(s.package, s.version): s for t in data.indices.values() for s in parse_index(t)}
    new = [stanzas[(name, version)] for name, version in sorted(versions.items())]
    root.set_status(data.status + "\n" + status_text(new, full=True))
    try:
        upgrade = root.run(["apt-get", "-s", "upgrade"])
        assert upgrade.returncode == 0
        assert "The following packages have been kept back:" in upgrade.stdout
        assert "Inst nvidia-smi " not in upgrade.stdout
        full = root.run(["apt-get", "-s", "full-upgrade"])
        assert "Remv nvidia-open-kernel-dkms [535.261.03-1]" in full.stdout
        assert "Inst nvidia-kernel-dkms (535.309.01-0+deb12u1" in full.stdout
    finally:
        root.set_status(data.status)


def test_trixie_open_modules_match_the_driver_and_are_offered():
    report = demo_report("debian13-l4", {})
    assert open_modules_lag(report.debian) is None
    candidate = report.candidate(debian.OPEN_MODULES)
    assert candidate is not None and candidate.runnable


def test_the_release_table_names_what_the_recorded_archive_offers():
    """knowledge/debian.py's table, used when apt cannot see the archive, is the archive's."""
    for codename, spec in SPECS.items():
        report = demo_report(spec.demo, {})
        offered = {(c.package, c.branch) for c in report.driver_candidates}
        table = set(debian.release(spec.version).drivers)
        assert offered == table, codename


@pytest.mark.parametrize("codename", list(SPECS))
def test_the_debian_demos_package_data_is_the_recorded_subset(codename):
    """What the demo machine offers and has installed is the subset real apt resolved."""
    spec = SPECS[codename]
    for name, text in demo_files(spec, recorded(codename)).items():
        assert (DEMO_ROOT / spec.demo / name).read_text() == text, (
            f"{spec.demo}/{name} differs: python scripts/debian_indices.py rewrites it"
        )


# -- nvidia-persistenced: only a recommendation names it ----------------------------------


@pytest.mark.parametrize("codename", list(SPECS))
def test_persistenced_stays_out_of_a_headless_install_only(codename, debian_archive):
    """Debian's nvidia-persistenced enables and starts its own service. Headless installs take
    no recommendations: without --persistenced apt installs no nvidia-persistenced. A desktop
    install takes the metapackage's recommendations, nvidia-persistenced among them (what the
    plan's warning says)."""
    _data, root = debian_archive(codename)
    report = demo_report(SPECS[codename].demo, {})
    planned = 0
    for candidate in report.driver_candidates:
        for headless in (True, False):
            choices = Choices(driver=candidate.package, headless=headless, persistenced=False)
            try:
                plan = build_plan(report, choices)
            except NvwizardError:
                continue  # refused (bookworm's lagging open modules): no install to check
            done = root.run(simulation_commands(plan)["install"])
            assert done.returncode == 0, done.stdout[-2000:]
            installed = installed_by(done.stdout)
            assert (debian.PERSISTENCED in installed) is not headless, (plan.driver, headless)
            assert any(debian.PERSISTENCED in w for w in plan.warnings) is not headless
            planned += 1
    assert planned >= 4
