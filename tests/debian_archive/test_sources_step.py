"""The plan's `sources` step on the real apt: a machine whose sources enable only `main` gets
Debian's contrib, non-free and non-free-firmware in a new file, apt reads it without error
(the new entries repeat the old ones' key), and the plan's install then resolves."""

from __future__ import annotations

import getpass
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nvwizard.plan.build import build_plan
from nvwizard.plan.models import Choices
from tests.debian_archive.archive import parse_index
from tests.debian_archive.plans import demo_report
from tests.debian_archive.record import recorded

COMPONENTS = ("main", "contrib", "non-free", "non-free-firmware")
pytestmark = pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs apt-get")


def _component(section: str) -> str:
    area = section.split("/", 1)[0] if "/" in section else "main"
    return area if area in COMPONENTS else "main"


def debian_mirror(dest: Path) -> Path:
    """bookworm's recorded subset as a `dists/` repository, each package in its component."""
    data = recorded("bookworm")
    for suite, text in data.indices.items():
        release = [f"Suite: {suite}", f"Codename: {suite}", "Architectures: amd64"]
        release += [f"Components: {' '.join(COMPONENTS)}", "SHA256:"]
        for component in COMPONENTS:
            stanzas = [s for s in parse_index(text) if _component(s.get("Section")) == component]
            body = "\n".join(s.text() for s in stanzas).encode()
            path = f"{component}/binary-amd64/Packages"
            (dest / "dists" / suite / path).parent.mkdir(parents=True, exist_ok=True)
            (dest / "dists" / suite / path).write_bytes(body)
            release.append(f" {hashlib.sha256(body).hexdigest()} {len(body)} {path}")
        (dest / "dists" / suite / "Release").write_text("\n".join(release) + "\n")
    return dest


def sandbox(root: Path, sources: str, status: str) -> dict[str, str]:
    for sub in ("etc/apt/sources.list.d", "etc/apt/apt.conf.d", "etc/apt/preferences.d"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("var/lib/dpkg", "var/lib/apt/lists/partial", "var/cache/apt/archives/partial"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "var/lib/dpkg/status").write_text(status)
    (root / "etc/apt/sources.list").write_text(sources)
    user = "root" if os.geteuid() == 0 else getpass.getuser()
    (root / "apt.conf").write_text(
        f'Dir "{root}/";\nDir::State::status "{root}/var/lib/dpkg/status";\n'
        f'APT::Sandbox::User "{user}";\nAcquire::Languages "none";\n'
        'APT::Architecture "amd64";\nAPT::Architectures { "amd64"; };\n'
        # the mirror is unsigned: apt reads it anyway, and still checks Signed-By agreement
        'Acquire::AllowInsecureRepositories "true";\nAPT::Get::AllowUnauthenticated "true";\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APT_", "DPKG_"))}
    env.update(APT_CONFIG=str(root / "apt.conf"), LC_ALL="C.UTF-8")
    return env


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)


SUITES = ("bookworm", "bookworm-updates", "bookworm-security")


@pytest.fixture
def main_only(tmp_path):
    """A root whose one-line sources.list enables only main (as a capture reads it too)."""
    mirror = debian_mirror(tmp_path / "mirror")
    keyring = tmp_path / "debian-archive-keyring.gpg"
    keyring.write_bytes(b"")
    line = f"deb [signed-by={keyring}] file:{mirror} {{}} main\n"
    sources = "".join(line.format(s) for s in SUITES)
    env = sandbox(tmp_path / "root", sources, recorded("bookworm").status)
    assert run(["apt-get", "update"], env).returncode == 0
    assert "nvidia-driver" not in run(["apt-cache", "pkgnames", "nvidia-d"], env).stdout
    return tmp_path / "root", sources, env, "# file: /etc/apt/sources.list\n" + sources


@pytest.fixture
def main_only_deb822(tmp_path):
    """The same with a deb822 debian.sources, as trixie's installer writes it."""
    mirror = debian_mirror(tmp_path / "mirror")
    keyring = tmp_path / "debian-archive-keyring.gpg"
    keyring.write_bytes(b"")
    env = sandbox(tmp_path / "root", "", recorded("bookworm").status)
    stanza = f"Types: deb\nURIs: file:{mirror}\nSuites: {' '.join(SUITES)}\nComponents: main\n"
    stanza += f"Signed-By: {keyring}\n"
    (tmp_path / "root/etc/apt/sources.list.d/debian.sources").write_text(stanza)
    assert run(["apt-get", "update"], env).returncode == 0
    line = f"deb [signed-by={keyring}] file:{mirror} {{}} main\n"
    captured = "# file: /etc/apt/sources.list.d/debian.sources\n"
    captured += "".join(line.format(s) for s in SUITES)
    return tmp_path / "root", env, captured


def test_a_deb822_machine_gets_a_deb822_file_apt_reads(main_only_deb822):
    root, env, captured = main_only_deb822
    report = demo_report("debian12-t4", {"apt-sources.txt": captured})
    plan = build_plan(report, Choices(driver="nvidia-driver"))
    (argv,) = plan.step("sources").commands
    assert run(argv, env).returncode == 0
    written = root / "etc/apt/sources.list.d/nvwizard-debian-components.sources"
    assert "Suites: bookworm bookworm-updates bookworm-security\n" in written.read_text()
    update = run(["apt-get", "update"], env)
    assert update.returncode == 0 and "Conflicting values" not in update.stderr, update.stderr
    install = run(["apt-get", "-s", "install", "--no-install-recommends", *plan.install_list], env)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr


def test_the_sources_step_makes_apt_offer_the_driver_and_the_plan_resolve(main_only):
    root, sources, env, captured = main_only
    report = demo_report("debian12-t4", {"apt-sources.txt": captured})
    assert "debian-components-missing" in {f.id for f in report.findings}
    plan = build_plan(report, Choices(driver="nvidia-driver"))
    (argv,) = plan.step("sources").commands
    assert argv[:4] == [sys.executable, "-m", "nvwizard", "_add-apt-source"]

    done = run(argv, env)  # nvwizard's own command, as the engine runs it

    assert done.returncode == 0, done.stdout + done.stderr
    written = root / "etc/apt/sources.list.d/nvwizard-debian-components.list"
    assert done.stdout.startswith(f"Wrote {written}\n")
    assert written.read_text() == argv[argv.index("--content") + 1]
    update = run(["apt-get", "update"], env)
    assert update.returncode == 0 and "Conflicting values" not in update.stderr, update.stderr
    install = run(["apt-get", "-s", "install", "--no-install-recommends", *plan.install_list], env)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr
    assert "Inst nvidia-kernel-dkms (535.309.01-0+deb12u1" in install.stdout
    # a second run finds its own file and changes nothing; another file is never overwritten
    assert run(argv, env).stdout.startswith("Already there, unchanged:")
    written.write_text("# the admin's own edit\n")
    again = run(argv, env)
    assert again.returncode == 1 and "exists with other content" in again.stdout
    assert written.read_text() == "# the admin's own edit\n"


def test_without_the_same_key_apt_refuses_every_source(main_only):
    """Why the new entries repeat the old ones' options: a control that the check above can
    fail."""
    root, sources, env, _ = main_only
    bare = sources.splitlines()[0].replace("main", "contrib non-free non-free-firmware")
    bare = bare.split("] ", 1)[0].split(" [", 1)[0] + " " + bare.split("] ", 1)[1]
    (root / "etc/apt/sources.list.d/bare.list").write_text(bare + "\n")
    update = run(["apt-get", "update"], env)
    assert update.returncode == 100
    assert "Conflicting values set for option Signed-By" in update.stderr
