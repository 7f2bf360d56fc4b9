"""Debian in the report: which of Debian's driver families apt offers, at which versions,
whether they can be installed together today, and whether the apt sources enable the areas
(contrib, non-free, non-free-firmware) they live in.

Hooked into report/build.py (`debian_facts`, `checked_candidates`) and report/findings.py
(`components_missing`); knowledge/debian.py holds the names and the release table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace

from nvwizard.detect.apt_sources import AptSourceEntry
from nvwizard.detect.debversion import compare_versions
from nvwizard.detect.models import AptPackage
from nvwizard.knowledge import debian
from nvwizard.report.candidates import OfferedDriver, enrich
from nvwizard.report.lifecycle import with_lifecycle
from nvwizard.report.models import DriverCandidate, Finding, Gpu

SOURCES_FILE_STEM = "/etc/apt/sources.list.d/nvwizard-debian-components"


@dataclass(frozen=True)
class ComponentGap:
    """A Debian archive entry (URI and suite) that lacks some of the NVIDIA components."""

    uri: str
    suite: str
    components: tuple[str, ...]  # what the sources enable for it now
    missing: tuple[str, ...]  # of contrib, non-free, non-free-firmware
    options: str  # "[signed-by=...]" of the entry, repeated for the new one
    file: str | None
    deb822: bool
    inline_key: bool

    @property
    def fixed_line(self) -> str:
        """The one-line entry with every component it needs."""
        options = f" {self.options}" if self.options else ""
        components = " ".join((*self.components, *self.missing))
        return f"deb{options} {self.uri} {self.suite} {components}"


@dataclass
class DebianFacts:
    """What a Debian report knows beyond the candidates."""

    release: str | None  # "12"
    codename: str | None  # "bookworm"
    # the newest version apt offers of each driver-family package (knowledge.debian)
    versions: dict[str, str] = field(default_factory=dict)
    component_gaps: list[ComponentGap] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "release": self.release,
            "codename": self.codename,
            "versions": dict(self.versions),
            "component_gaps": [asdict(g) for g in self.component_gaps],
        }


def family_versions(packages: Iterable[AptPackage]) -> dict[str, str]:
    """Each driver-family package apt offers -> its newest version."""
    newest: dict[str, str] = {}
    for package in packages:
        if not package.version or not debian.is_family_part(package.package):
            continue
        known = newest.get(package.package)
        if known is None or compare_versions(package.version, known) > 0:
            newest[package.package] = package.version
    return newest


def component_gaps(entries: Iterable[AptSourceEntry], codename: str | None) -> list[ComponentGap]:
    """The Debian archive entries of this release that lack an NVIDIA component."""
    if not codename:
        return []
    suites = (codename, f"{codename}-updates", f"{codename}-security")
    enabled: dict[tuple[str, str], list[AptSourceEntry]] = {}
    for entry in entries:
        if entry.kind == "deb" and entry.suite in suites:
            enabled.setdefault((entry.uri_key, entry.suite), []).append(entry)
    gaps = []
    for (_, suite), found in enabled.items():
        components = tuple(dict.fromkeys(c for e in found for c in e.components))
        if "main" not in components:
            continue  # not Debian's archive as installed (a mirror of contrib alone, say)
        missing = tuple(c for c in debian.NVIDIA_COMPONENTS if c not in components)
        if missing:
            first = found[0]
            gaps.append(
                ComponentGap(
                    first.uri,
                    suite,
                    components,
                    missing,
                    first.options,
                    first.file,
                    first.deb822,
                    any(e.inline_key for e in found),
                )
            )
    return gaps


def debian_facts(
    release: str | None,
    codename: str | None,
    packages: Sequence[AptPackage],
    entries: Iterable[AptSourceEntry],
) -> DebianFacts:
    known = debian.release(release)
    codename = codename or (known.codename if known else None)
    return DebianFacts(
        release, codename, family_versions(packages), component_gaps(entries, codename)
    )


# -- candidates -----------------------------------------------------------------------------


def open_modules_lag(facts: DebianFacts) -> str | None:
    """Why the open kernel modules cannot be installed beside the current family, or None.

    nvidia-open-kernel-dkms depends on firmware-nvidia-gsp at exactly its own version, and
    nvidia-driver, nvidia-smi and libcuda1 on each other at theirs: when the newest versions
    differ (bookworm: the open modules 535.261.03 in contrib, the driver 535.309.01 from
    bookworm-security), apt has no consistent set to install."""
    versions = facts.versions
    open_version = versions.get(debian.OPEN_MODULES)
    driver_version = versions.get(debian.CURRENT_DRIVER)
    if not open_version or not driver_version:
        return None
    if _upstream(open_version) == _upstream(driver_version):
        return None
    ahead = [
        name
        for name in (debian.CURRENT_DRIVER, "nvidia-smi", "libcuda1")
        if name in versions and _upstream(versions[name]) != _upstream(open_version)
    ]
    return (
        f"the open modules ({open_version}) lag {debian.CURRENT_DRIVER} ({driver_version}): "
        f"they need firmware-nvidia-gsp at exactly {_upstream(open_version)}, so apt cannot "
        f"install them beside the newer {_words(ahead)}"
    )


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _upstream(version: str) -> str:
    return version.split(":", 1)[-1].rsplit("-", 1)[0]


def checked_candidates(
    candidates: list[DriverCandidate],
    facts: DebianFacts,
    gpus: Sequence[Gpu],
    today: dt.date,
    kernel: str | None = None,
) -> list[DriverCandidate]:
    """Debian's candidates as they can really be installed today: the open modules marked
    when their version lags the driver's; with no driver package visible because the sources
    lack contrib/non-free, the release's families as expected (the plan enables them)."""
    if not candidates and gpus and facts.component_gaps:
        candidates = expected_candidates(facts, gpus, today, kernel)
    lag = open_modules_lag(facts)
    if lag is None:
        return candidates
    return [
        replace(c, runnable=False, reason=lag)
        if c.package == debian.OPEN_MODULES and c.runnable
        else c
        for c in candidates
    ]


def expected_candidates(
    facts: DebianFacts,
    gpus: Sequence[Gpu],
    today: dt.date,
    kernel: str | None = None,
) -> list[DriverCandidate]:
    """The release's proprietary families from knowledge/debian.py, while apt cannot see them.

    The open modules are left out: whether their version matches the driver's can only be
    checked once apt lists them (bookworm's do not)."""
    known = debian.release(facts.release)
    if known is None:
        return []
    found = []
    for name, branch in known.drivers_for(kernel):
        driver = debian.parse_debian_driver(name, branch)
        if driver is None or driver.open:
            continue
        offer = OfferedDriver(name, branch, False, driver.server)
        found.append(enrich(offer, gpus, {}))
    return with_lifecycle(found, today)


# -- findings -------------------------------------------------------------------------------


def components_missing(
    facts: DebianFacts | None, by_hand: Callable[[str], str] = str
) -> Finding | None:
    """The sources do not enable contrib, non-free or non-free-firmware for this release.
    `by_hand`: how the fix says what only a person at the machine does (findings/common.py's,
    which says it as that on a demo)."""
    if facts is None or not facts.component_gaps:
        return None
    gaps = facts.component_gaps
    missing = sorted({c for g in gaps for c in g.missing}, key=debian.NVIDIA_COMPONENTS.index)
    where = "; ".join(f"{g.uri} {g.suite} ({' '.join(g.components)})" for g in gaps)
    first = gaps[0]
    if first.deb822:
        example = (
            f"`Components: {' '.join((*first.components, *first.missing))}` in "
            f"{first.file or 'its .sources file'}"
        )
    else:
        example = f"`{first.fixed_line}`" + (f" in {first.file}" if first.file else "")
    return Finding(
        "debian-components-missing",
        "warn",
        f"Debian's NVIDIA packages are in contrib, non-free and non-free-firmware; the apt "
        f"sources lack {', '.join(missing)} for {where}, so apt offers no NVIDIA driver.",
        "nvwizard's plan adds them (a step you confirm, in a file of its own). "
        + by_hand(
            f"Add them yourself instead, to each of these entries, e.g. {example}, then `sudo "
            "apt-get update`."
        ),
    )
