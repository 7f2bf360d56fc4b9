"""Debian's Packages indices: fetched, parsed, trimmed, and resolved with the real apt.

`AptRoot` is the apt half of the sandbox recipe (/work/shared/APT-SANDBOX.md): a root with its
own APT_CONFIG, one flat `file:` repository per suite and a dpkg status file, so `apt-get -s`
resolves against exactly those indices and nothing of the host's.
"""

from __future__ import annotations

import getpass
import hashlib
import lzma
import os
import subprocess
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ARCHIVE = "https://deb.debian.org/debian"
SECURITY = "https://security.debian.org/debian-security"
COMPONENTS = ("main", "contrib", "non-free", "non-free-firmware")
FETCH_TIMEOUT_S = 60
APT_TIMEOUT_S = 300

# The fields apt reads to resolve, and what a person needs to recognise a stanza.
KEPT_FIELDS = (
    "Package",
    "Source",
    "Version",
    "Installed-Size",
    "Architecture",
    "Multi-Arch",
    "Essential",
    "Priority",
    "Section",
    "Pre-Depends",
    "Depends",
    "Recommends",
    "Conflicts",
    "Breaks",
    "Replaces",
    "Provides",
    "Filename",  # apt-get -s refuses a version it has no file to download for
    "Size",
    "Description",
)
# A base system's stanzas in the status file: no dependencies (all already met).
STATUS_FIELDS = ("Package", "Status", "Priority", "Section", "Architecture", "Multi-Arch")
STATUS_FIELDS += ("Essential", "Source", "Version", "Provides", "Conflicts", "Breaks")
STATUS_FIELDS += ("Description",)


def suites(codename: str) -> list[tuple[str, str]]:
    """(suite, base URL) of a release, in the order apt lists them."""
    return [
        (codename, ARCHIVE),
        (f"{codename}-updates", ARCHIVE),
        (f"{codename}-security", SECURITY),
    ]


def fetch_suite(suite: str, base: str, arch: str = "amd64") -> str:
    """The Packages index of every component of one suite, concatenated."""
    parts = []
    for component in COMPONENTS:
        url = f"{base}/dists/{suite}/{component}/binary-{arch}/Packages.xz"
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            parts.append(lzma.decompress(response.read()).decode("utf-8"))
    return "\n".join(p.strip("\n") + "\n" for p in parts if p.strip())


# -- stanzas ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stanza:
    """One package version of an index, its fields in their order (continuations joined)."""

    fields: tuple[tuple[str, str], ...]

    def get(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.fields if k == name), default)

    @property
    def package(self) -> str:
        return self.get("Package")

    @property
    def version(self) -> str:
        return self.get("Version")

    def text(self, kept: Sequence[str] = KEPT_FIELDS, extra: Mapping[str, str] = {}) -> str:
        """The stanza with only `kept` fields (in that order), the description cut to its
        first line; `extra` fields are added after Package."""
        values = dict(self.fields)
        lines = [f"Package: {self.package}"]
        lines += [f"{k}: {v}" for k, v in extra.items()]
        for name in kept:
            if name == "Package" or name not in values:
                continue
            value = values[name]
            if name == "Description":
                value = value.split("\n", 1)[0]
            lines.append(f"{name}: {value}")
        return "\n".join(lines) + "\n"


def parse_index(text: str) -> list[Stanza]:
    stanzas = []
    for block in text.split("\n\n"):
        fields: list[list[str]] = []
        for line in block.splitlines():
            if not line.strip():
                continue
            if line[0] in " \t" and fields:
                fields[-1][1] += "\n" + line
                continue
            key, _, value = line.partition(":")
            fields.append([key, value.strip()])
        if any(k == "Package" for k, _ in fields):
            stanzas.append(Stanza(tuple((k, v) for k, v in fields)))
    return stanzas


def relation_names(value: str) -> list[str]:
    """Every package name a Depends-like field mentions (any alternative, arch qualifier off)."""
    names = []
    for clause in value.split(","):
        for alternative in clause.split("|"):
            name = alternative.strip().split(" ", 1)[0].split("(", 1)[0].split(":", 1)[0]
            if name:
                names.append(name)
    return names


# -- a throw-away apt root ------------------------------------------------------------------

RELEASE_FILE = """\
Origin: Debian
Label: {label}
Suite: {suite}
Codename: {suite}
Date: Thu, 01 Jan 2026 00:00:00 UTC
Architectures: {arch}
Description: nvwizard tests: a recorded subset of Debian's {suite}
SHA256:
 {sha256} {size} Packages
"""


@dataclass
class AptRoot:
    """A root whose apt sees only `indices` (suite -> Packages text) and `status`."""

    root: Path
    arch: str = "amd64"
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls, root: Path, indices: Mapping[str, str], status: str = "", arch: str = "amd64"
    ) -> AptRoot:
        root = root.resolve()
        for sub in ("etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("var/lib/dpkg/info", "var/lib/apt/lists/partial", "var/cache/apt/archives"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "var/lib/dpkg/status").write_text(status)
        sources = []
        for suite, text in indices.items():
            repo = root / "repo" / suite
            repo.mkdir(parents=True, exist_ok=True)
            data = text.encode()
            (repo / "Packages").write_bytes(data)
            label = "Debian-Security" if suite.endswith("-security") else "Debian"
            (repo / "Release").write_text(
                RELEASE_FILE.format(
                    label=label,
                    suite=suite,
                    arch=arch,
                    sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data),
                )
            )
            sources.append(f"deb [trusted=yes] file:{repo} ./\n")
        (root / "etc/apt/sources.list").write_text("".join(sources))
        config = root / "apt.conf"
        user = "root" if os.geteuid() == 0 else getpass.getuser()
        config.write_text(
            f'Dir "{root}/";\n'
            f'Dir::State::status "{root}/var/lib/dpkg/status";\n'
            f'APT::Sandbox::User "{user}";\n'
            'Acquire::Languages "none";\n'
            f'APT::Architecture "{arch}";\n'
            f'APT::Architectures {{ "{arch}"; }};\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("APT_", "DPKG_"))}
        env.update(APT_CONFIG=str(config), LC_ALL="C.UTF-8", DEBIAN_FRONTEND="noninteractive")
        apt_root = cls(root, arch, env)
        apt_root.run(["apt-get", "update"], check=True)
        return apt_root

    def run(self, argv: Sequence[str], check: bool = False) -> subprocess.CompletedProcess:
        done = subprocess.run(
            list(argv), env=self.env, capture_output=True, text=True, timeout=APT_TIMEOUT_S
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}")
        return done

    def simulate_install(self, packages: Iterable[str], recommends: bool = True):
        argv = ["apt-get", "-s", "install"]
        if not recommends:
            argv.append("--no-install-recommends")
        return self.run([*argv, *packages])

    def set_status(self, status: str) -> None:
        (self.root / "var/lib/dpkg/status").write_text(status)


def installed_by(simulation: str) -> dict[str, str]:
    """`Inst name [old] (version suite [arch])` lines -> {name: version}."""
    found = {}
    for line in simulation.splitlines():
        if not line.startswith("Inst "):
            continue
        words = line.split()
        name = words[1].split(":", 1)[0]
        rest = line.split("(", 1)[1] if "(" in line else ""
        found[name] = rest.split()[0] if rest else ""
    return found


def status_text(stanzas: Iterable[Stanza], full: bool = False) -> str:
    """A dpkg status file with these package versions installed (base system: trimmed)."""
    kept = (*KEPT_FIELDS, "Status") if full else STATUS_FIELDS
    return "\n".join(
        s.text(kept, {"Status": "install ok installed"} if "Status" in kept else {})
        for s in stanzas
    )
