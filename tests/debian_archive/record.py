"""Record, from Debian's full indices, the small subset of them every Debian plan needs.

For a release: the kernel each flavour's metapackage installs today; a base server system
(Priority required and important, plus `BASE_EXTRAS` and the running kernel) resolved by apt
and written as a dpkg status file; then every plan of the release's demo machine (plans.py)
resolved with `apt-get -s` on top of that base, and the tools a plan's repository step installs
from the archive (curl, ca-certificates). The subset is every version of each package those
resolutions install, plus every driver-family package (knowledge/debian.py), so apt meets the
same choices offline as on the real archive.

A plan nvwizard refuses is recorded as refused. For the open kernel modules when they lag the
driver (bookworm), the evidence behind that refusal is recorded too: the plan as it would be
(apt's "held broken packages"), and the smallest `pkg=version` pin set that makes it resolve,
with that set's closure, so tests can show what such a pinned install does on upgrade.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nvwizard.detect.debversion import compare_versions, version_key
from nvwizard.knowledge import cuda, debian
from nvwizard.knowledge.debian import DebianDriver
from nvwizard.plan.debian import debian_install_lists
from nvwizard.plan.models import Choices
from nvwizard.plan.stack_steps import REPOSITORY_TOOLS
from tests.debian_archive.archive import (
    AptRoot,
    Stanza,
    installed_by,
    parse_index,
    relation_names,
    status_text,
    suites,
)
from tests.debian_archive.plans import demo_report, plan_cases

HERE = Path(__file__).resolve().parent
BASE_EXTRAS = ("openssh-server", "unattended-upgrades", "sudo", "python3", "pciutils", "kmod")
APT_SOURCES = "deb http://deb.debian.org/debian {0} main contrib non-free non-free-firmware\n"


@dataclass(frozen=True)
class ReleaseSpec:
    codename: str
    version: str
    demo: str  # the demo machine whose plans are recorded
    running_flavour: str  # the kernel flavour the demo (and the base system) runs
    flavours: tuple[str, ...]  # kernel metapackages: linux-image-<flavour>


SPECS = {
    "bookworm": ReleaseSpec(
        "bookworm",
        "12",
        "debian12-t4",
        "amd64",
        # 6.12-amd64: bookworm-security's 6.12 kernels, with their own headers metapackage
        ("amd64", "cloud-amd64", "rt-amd64", "6.12-amd64"),
    ),
    "trixie": ReleaseSpec(
        "trixie", "13", "debian13-l4", "amd64", ("amd64", "cloud-amd64", "rt-amd64")
    ),
}


@dataclass
class Recorded:
    """What tests/debian_archive/<release>/ holds."""

    indices: dict[str, str]  # suite -> Packages (the subset)
    status: str  # the base system, as a dpkg status file
    kernels: dict[str, str]  # flavour -> kernel ABI (`uname -r`) its metapackage installs
    outcomes: dict[str, str] = field(default_factory=dict)  # plan key -> "ok" | why not
    evidence: dict[str, dict] = field(default_factory=dict)  # see module docstring

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for suite, text in self.indices.items():
            (folder / f"{suite}.Packages").write_text(text)
        (folder / "status").write_text(self.status)
        facts = {"kernels": self.kernels, "outcomes": self.outcomes, "evidence": self.evidence}
        (folder / "recorded.json").write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")

    @classmethod
    def read(cls, folder: Path, codename: str) -> Recorded:
        indices = {s: (folder / f"{s}.Packages").read_text() for s, _ in suites(codename)}
        facts = json.loads((folder / "recorded.json").read_text())
        status = (folder / "status").read_text()
        return cls(indices, status, facts["kernels"], facts["outcomes"], facts["evidence"])


def recorded(codename: str) -> Recorded:
    return Recorded.read(HERE / codename, codename)


# -- from the full indices --------------------------------------------------------------------


def newest(stanzas: Iterable[Stanza]) -> Stanza | None:
    return max(stanzas, key=lambda s: version_key(s.version), default=None)


def kernel_abi(by_name: Mapping[str, list[Stanza]], flavour: str) -> str | None:
    """The ABI linux-image-<flavour> installs: "amd64" -> "6.1.0-57-amd64"."""
    meta = newest(by_name.get(f"linux-image-{flavour}", []))
    if meta is None:
        return None
    for name in relation_names(meta.get("Depends")):
        if name.startswith("linux-image-") and name != meta.package:
            return name.removeprefix("linux-image-").removesuffix("-unsigned")
    return None


def base_names(stanzas: Iterable[Stanza]) -> set[str]:
    return {
        s.package
        for s in stanzas
        if s.get("Priority") in ("required", "important") and "/" not in s.get("Section")
    }


def family_stanzas_text(stanzas: Iterable[Stanza]) -> str:
    """What `apt-cache show` gives nvwizard's detection: the driver families' stanzas, and the
    archive's CUDA toolkit (what `--cuda distro` installs)."""
    family = [s for s in stanzas if _offered_to_detection(s.package)]
    family.sort(key=lambda s: (s.package, version_key(s.version)))
    return "\n".join(s.text() for s in _newest_first(family))


def _offered_to_detection(name: str) -> bool:
    return debian.is_family_part(name) or name == cuda.DISTRO_TOOLKIT


def _newest_first(stanzas: list[Stanza]) -> list[Stanza]:
    by_name: dict[str, list[Stanza]] = {}
    for stanza in stanzas:
        by_name.setdefault(stanza.package, []).append(stanza)
    ordered = []
    for name in sorted(by_name):
        ordered += sorted(by_name[name], key=lambda s: version_key(s.version), reverse=True)
    return ordered


def pin_until_consistent(root: AptRoot, packages: list[str], version: str) -> list[str] | None:
    """`pkg=version` for the family parts of `packages` and every package apt then reports
    unmet at that version, until apt resolves; None when no such set exists."""
    pins = {p: (f"{p}={version}" if debian.is_family_part(p) else p) for p in packages}
    for _ in range(60):
        done = root.simulate_install(pins.values(), recommends=False)
        if done.returncode == 0:
            return list(pins.values())
        out = done.stdout + done.stderr
        named = set(re.findall(rf"(\S+) \(= {re.escape(version)}\)", out))
        named |= set(re.findall(r"^ (\S+) : (?:Depends|Recommends|PreDepends)", out, re.M))
        named = {n for n in named if ":" not in n and not pins.get(n, "").endswith(version)}
        if not named:
            return None
        for name in sorted(named):
            pins[name] = f"{name}={version}"
    return None


def record(
    spec: ReleaseSpec,
    full: Mapping[str, str],
    work: Path,
    flavours: Iterable[str] | None = None,
) -> Recorded:
    """The subset of `full` (suite -> Packages text) this release's plans need; the plans of
    `flavours` only (all by default: about a minute, apt resolving against the whole index)."""
    by_suite = {suite: parse_index(text) for suite, text in full.items()}
    every = [s for stanzas in by_suite.values() for s in stanzas]
    by_name: dict[str, list[Stanza]] = {}
    for stanza in every:
        by_name.setdefault(stanza.package, []).append(stanza)
    kernels = {f: abi for f in spec.flavours if (abi := kernel_abi(by_name, f))}
    running = kernels[spec.running_flavour]

    root = AptRoot.create(work / "full", full)
    wanted = sorted(base_names(every) | set(BASE_EXTRAS))
    wanted += [f"linux-image-{running}", f"linux-image-{spec.running_flavour}"]
    base_run = root.simulate_install(wanted)
    if base_run.returncode != 0:
        raise RuntimeError(f"the base system does not resolve:\n{base_run.stdout[-2000:]}")
    base = _stanzas_of(by_name, installed_by(base_run.stdout))
    status = status_text(base)
    root.set_status(status)

    apt_show = family_stanzas_text(every)
    sources = APT_SOURCES.format(spec.codename)
    resolved = {f: kernels[f] for f in (flavours or kernels) if f in kernels}
    needed: dict[str, set[str]] = {}
    outcomes: dict[str, str] = {}
    for case in plan_cases(spec.codename, spec.demo, resolved, apt_show, sources):
        if case.plan is None:
            outcomes[case.key] = f"refused: {case.refused}"
            continue
        done = root.run(case.install_argv)
        outcomes[case.key] = "ok" if done.returncode == 0 else _apt_error(done.stdout + done.stderr)
        _add(needed, installed_by(done.stdout))
    # what a repository step installs from the archive first, where dpkg has no curl
    tools = root.simulate_install(REPOSITORY_TOOLS, recommends=False)
    if tools.returncode != 0:
        raise RuntimeError(f"{' '.join(REPOSITORY_TOOLS)} do not resolve:\n{tools.stdout[-2000:]}")
    _add(needed, installed_by(tools.stdout))
    evidence = _open_modules_evidence(spec, root, kernels, apt_show, sources)
    for item in evidence.values():
        _add(needed, item.pop("installs", {}))

    def kept(stanza: Stanza) -> bool:
        # every version of a family part (their versions must agree); of the rest, the
        # versions apt chose (its candidates, or a pinned family's dependencies)
        return debian.is_family_part(stanza.package) or stanza.version in needed.get(
            stanza.package, ()
        )

    indices = {
        suite: "\n".join(s.text() for s in _newest_first([s for s in stanzas if kept(s)]))
        for suite, stanzas in by_suite.items()
    }
    return Recorded(indices, status, kernels, outcomes, evidence)


def _add(needed: dict[str, set[str]], versions: Mapping[str, str]) -> None:
    for name, version in versions.items():
        needed.setdefault(name, set()).add(version)


def _stanzas_of(by_name: Mapping[str, list[Stanza]], versions: Mapping[str, str]) -> list[Stanza]:
    found = []
    for name in sorted(versions):
        match = [s for s in by_name.get(name, []) if s.version == versions[name]]
        if match:
            found.append(match[0])
    return found


def _apt_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("E: ")]
    return lines[-1] if lines else output.strip().splitlines()[-1]


def _open_modules_evidence(
    spec: ReleaseSpec,
    root: AptRoot,
    kernels: Mapping[str, str],
    apt_show: str,
    apt_sources: str,
) -> dict[str, dict]:
    """When the open modules lag the driver: the headless plan as it would be, apt's answer,
    and the pin set that resolves it (with its closure)."""
    overrides = {
        "uname-r.txt": kernels[spec.running_flavour] + "\n",
        "apt-cache-show.txt": apt_show,
        "apt-sources.txt": apt_sources,
    }
    report = demo_report(spec.demo, overrides)
    facts = report.debian
    if facts is None:
        return {}
    open_version = facts.versions.get(debian.OPEN_MODULES)
    driver_version = facts.versions.get(debian.CURRENT_DRIVER)
    if not open_version or not driver_version:
        return {}
    if compare_versions(open_version, driver_version) == 0:
        return {}
    driver = DebianDriver(debian.OPEN_MODULES, "", int(open_version.split(".")[0]), True)
    headless_server = Choices(driver=driver.name, headless=True, persistenced=True)
    packages, _, _ = debian_install_lists(report, headless_server, driver)
    naive = root.simulate_install(packages, recommends=False)
    pinned = pin_until_consistent(root, packages, open_version)
    installs: dict[str, str] = {}
    if pinned is not None:
        installs = installed_by(root.simulate_install(pinned, recommends=False).stdout)
    return {
        "open-modules-headless": {
            "packages": packages,
            "apt": "ok" if naive.returncode == 0 else _apt_error(naive.stdout + naive.stderr),
            "pinned": pinned,
            "installs": installs,  # taken out by record() once kept
        }
    }


# -- the demo machines' package data --------------------------------------------------------

DEMO_ROOT = HERE.parent.parent / "nvwizard" / "demo_machines"
DPKG_L_HEADER = """\
Desired=Unknown/Install/Remove/Purge/Hold
| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend
|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)
||/ Name                           Version                        Architecture Description
+++-==============================-==============================-============-============
"""


def demo_files(spec: ReleaseSpec, data: Recorded) -> dict[str, str]:
    """The demo machine's package data, from the recorded subset: what apt offers (every
    recorded stanza, newest version first: the simulator resolves plans from them), what is
    installed (the base system) and the running kernel."""
    stanzas = [s for text in data.indices.values() for s in parse_index(text)]
    apt_show = "\n".join(s.text() for s in _newest_first(stanzas))
    base = parse_index(data.status)
    query = "".join(f"{s.package}\tinstall ok installed\t{s.version}\n" for s in base)
    rows = [
        f"ii  {s.package:<30} {s.version:<30} {s.get('Architecture'):<12} "
        f"{s.get('Description').splitlines()[0] if s.get('Description') else ''}".rstrip()
        for s in base
    ]
    return {
        "apt-cache-show.txt": apt_show,
        "dpkg-query.txt": query,
        "dpkg-l.txt": DPKG_L_HEADER + "\n".join(rows) + "\n",
        "uname-r.txt": data.kernels[spec.running_flavour] + "\n",
    }


def write_demo(spec: ReleaseSpec, data: Recorded) -> None:
    folder = DEMO_ROOT / spec.demo
    for name, text in demo_files(spec, data).items():
        (folder / name).write_text(text)
