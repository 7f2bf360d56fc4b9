"""Real apt-get and dpkg against a throw-away root: the apt sandbox for nvwizard's tests.

Follows ../shared/APT-SANDBOX.md. Nothing here touches the host's package database: apt reads
only the configuration file named by APT_CONFIG, and dpkg is told --root/--admindir/--log.

Usage (the `apt_sandbox` fixture, registered for the whole suite by tests/conftest.py):

    def test_purge_keeps_the_toolkit(apt_sandbox):
        apt_sandbox.install("nvidia-driver-535-server", "nvidia-container-toolkit")
        result = apt_sandbox.run(["apt-get", "-y", "purge", "nvidia-driver-535-server"])
        assert result.returncode == 0
        assert apt_sandbox.status()["nvidia-container-toolkit"] == "ii"

    # code under test runs apt-get/dpkg/dpkg-query *by name* with this environment:
    host = LocalHost(env=apt_sandbox.env)           # or subprocess.run(argv, env=apt_sandbox.env)

What a sandbox offers:
- `.root` (Path), `.env` (dict: APT_CONFIG, DPKG_ADMINDIR, DPKG_ROOT, DPKG_FORCE, LC_ALL,
  DEBIAN_FRONTEND, PATH whose first entry holds a `dpkg` wrapper and fake `modprobe`,
  `shutdown`, `systemctl`, `reboot` that only record their calls), `.bin_dir`.
- `.run(argv, input=None)` -> subprocess.CompletedProcess (text; stdout and stderr apart).
- `.install(*packages)` presets the machine (apt-get -y install; raises on failure).
- `.status()` -> {package: "ii" | "rc" | "iU" | "iF" | ...} from dpkg-query.
- `.hold_lock(path="var/lib/dpkg/lock-frontend", name="unattended-upgr")`: a context manager;
  a child process named `name` holds an fcntl lock so apt really waits; yields a `LockHolder`
  with `.pid` and `.release()` (release early to test "waits, then proceeds").
- `.interrupt_dpkg(package)` installs `package` and kills dpkg mid-postinst: dpkg is left
  interrupted for real (`dpkg --audit` complains, var/lib/dpkg/updates/ not empty).
- `.fail_postinst(package)` / `.fix_postinst(package)`: make a package's postinst fail like a
  DKMS build error, or stop it failing (then `dpkg --configure -a` recovers).
  `nvidia-dkms-570` fails from the start (pulled in by `nvidia-driver-570`).
- `.calls()` -> [[argv...], ...] recorded by the fake modprobe/shutdown/systemctl/reboot.

The repository offers (see catalogue.py): nvidia-driver-<F>, nvidia-headless-no-dkms-<F>,
nvidia-dkms-<F>, linux-modules-nvidia-<F>-6.8.0-45-generic (+ -generic meta) for F in
535-server, 570, 570-server, 580-server, 580-server-open, 580, 580-open; nvidia-utils-<B>,
libnvidia-compute-<B>, nvidia-kernel-common-<B>; nvidia-fabricmanager-{535,570,580},
libnvidia-nscq-{535,570,580} (each depends on nvidia-kernel-common-<branch>-server, as
Ubuntu's do); the container toolkit packages; linux-headers-6.8.0-45-generic
and linux-headers-$(uname -r) of the running kernel (when that is a valid package name); dkms;
site-gpu-agent (depends on libnvidia-compute-535-server, like a site's own NVML tool).
To hide a command such as systemd-run from the code under test, see hidden_commands.py.
`NVWIZARD_SANDBOX_LINE_DELAY=<seconds>` slows the DKMS build lines to watch live logs.
Real apt facts of this graph worth knowing: nvidia-driver-<F> depends on
`nvidia-dkms-<F> | nvidia-kernel-<F>` (which the signed modules provide), so apt takes the
signed modules only when they come first on the command line; branch packages conflict through
shared virtual names (nvidia-utils, libnvidia-compute, nvidia-kernel-common,
nvidia-dkms-kernel, nvidia-driver-binary), so installing another branch removes the old one.

Works as root and as a normal user. The package repository and a template root are built
once per test session (about a second); each test gets a copy of the template.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.sandbox.catalogue import FAILING_POSTINST, DummyPackage, all_packages, postinst_for

# Guards against a hung child, never an assertion about speed.
COMMAND_TIMEOUT_S = 180
RELEASE = """\
Origin: Ubuntu
Label: Ubuntu
Suite: noble-updates
Version: 24.04
Codename: noble
Date: Thu, 01 Jan 2026 00:00:00 UTC
Description: nvwizard apt sandbox repository
SHA256:
 {sha256} {size} Packages
"""
FAKE_COMMANDS = ("modprobe", "shutdown", "systemctl", "reboot")
FAKE_COMMAND = """#!{python}
import json, os, sys
with open({calls!r}, "a") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + "\\n")
"""
# A .deb named by an absolute path that exists only inside the root (`dpkg -i
# /var/cache/apt/archives/x.deb` after a download into the sandbox) is read there, as a
# chrooted dpkg would; apt's own archive paths are already inside the root.
DPKG_WRAPPER = """#!/bin/sh
for arg do
    shift
    case "$arg" in
        /*.deb) if [ ! -e "$arg" ] && [ -e "{root}$arg" ]; then arg="{root}$arg"; fi ;;
    esac
    set -- "$@" "$arg"
done
exec /usr/bin/dpkg --root={root} --admindir={root}/var/lib/dpkg \
--log={root}/var/log/dpkg.log --force-script-chrootless{not_root} "$@"
"""
LOCK_HOLDER = """
import ctypes, fcntl, os, sys
path, name = sys.argv[1], sys.argv[2]
with __import__("contextlib").suppress(Exception):
    ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME: what apt names
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


class SandboxError(RuntimeError):
    """The sandbox itself is broken (not the code under test)."""


def _is_root() -> bool:
    return os.geteuid() == 0


def native_architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


# -- the repository ---------------------------------------------------------------------------


def _control(package: DummyPackage, arch: str) -> str:
    fields = [
        f"Package: {package.name}",
        f"Version: {package.version}",
        f"Architecture: {arch}",
        "Maintainer: nvwizard tests <tests@nvwizard.invalid>",
    ]
    if package.depends:
        fields.append(f"Depends: {', '.join(package.depends)}")
    if package.provides:
        fields.append(f"Provides: {', '.join(package.provides)}")
    if package.conflicts:
        fields.append(f"Conflicts: {', '.join(package.conflicts)}")
        fields.append(f"Replaces: {', '.join(package.conflicts)}")
    fields += [
        f"Section: {package.section}",
        "Priority: optional",
        f"Description: {package.description}",
    ]
    return "\n".join(fields) + "\n"


def _build_deb(package: DummyPackage, arch: str, work: Path, pool: Path) -> Path:
    tree = work / package.name
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(_control(package, arch))
    postinst = tree / "DEBIAN" / "postinst"
    postinst.write_text(postinst_for(package))
    postinst.chmod(0o755)
    doc = tree / "usr" / "share" / "doc" / package.name
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("dummy package for tests\n")
    for path, content, mode in package.files:
        target = tree / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        target.chmod(mode)
    conffiles = [f"/{path}" for path, _, _ in package.files if path.startswith("etc/")]
    if conffiles:
        (tree / "DEBIAN" / "conffiles").write_text("\n".join(conffiles) + "\n")
    deb = pool / f"{package.name}_{package.version.replace(':', '%3a')}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", str(tree), str(deb)],
        check=True,
        capture_output=True,
    )
    return deb


def build_repository(dest: Path) -> Path:
    """Build every dummy package into `dest` and index it as a flat `file:` repository."""
    arch = native_architecture()
    work, pool = dest / "src", dest / "pool"
    pool.mkdir(parents=True)
    packages = all_packages()
    with ThreadPoolExecutor(max_workers=4) as pool_workers:
        debs = list(pool_workers.map(lambda p: _build_deb(p, arch, work, pool), packages))
    stanzas = []
    for package, deb in zip(packages, debs, strict=True):
        data = deb.read_bytes()
        stanzas.append(
            _control(package, arch)
            + f"Filename: pool/{deb.name}\nSize: {len(data)}\n"
            + f"MD5sum: {hashlib.md5(data).hexdigest()}\n"
            + f"SHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    index = "\n".join(stanzas).encode()
    (dest / "Packages").write_bytes(index)
    (dest / "Release").write_text(
        RELEASE.format(sha256=hashlib.sha256(index).hexdigest(), size=len(index))
    )
    shutil.rmtree(work)
    return dest


# -- the root ----------------------------------------------------------------------------------

ROOT_DIRS = (
    "etc/apt/apt.conf.d",
    "etc/apt/preferences.d",
    "etc/apt/sources.list.d",
    "var/lib/dpkg/info",
    "var/lib/dpkg/updates",
    "var/lib/dpkg/triggers",
    "var/lib/apt/lists/partial",
    "var/cache/apt/archives/partial",
    "var/log/apt",
    "sandbox/fail-postinst",
    "sandbox/block-postinst",
    "sandbox/postinst-running",
    "sandbox/bin",
)


def build_template(dest: Path, repository: Path) -> Path:
    """A root with the repository indexed and the base package installed, ready to copy."""
    for sub in ROOT_DIRS:
        (dest / sub).mkdir(parents=True, exist_ok=True)
    for empty in ("var/lib/dpkg/status", "var/lib/dpkg/available"):
        (dest / empty).touch()
    (dest / "etc/apt/sources.list").write_text(f"deb [trusted=yes] file:{repository} ./\n")
    for package in FAILING_POSTINST:
        (dest / "sandbox/fail-postinst" / package).touch()
    sandbox = AptSandbox(dest)
    sandbox.run(["apt-get", "update"], check=True)
    sandbox.install("sandbox-base")
    # The binary caches name the template's paths; each copy rebuilds its own.
    for cache in (dest / "var/cache/apt").glob("*.bin"):
        cache.unlink()
    return dest


@dataclass
class LockHolder:
    pid: int
    name: str
    path: Path
    process: subprocess.Popen = field(repr=False)

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=COMMAND_TIMEOUT_S)


class AptSandbox:
    """A sandbox root (already laid out, e.g. a copy of the template) with its config files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.bin_dir = self.root / "sandbox" / "bin"
        self.apt_config = self.root / "sandbox" / "apt.conf"
        self._calls_log = self.root / "sandbox" / "calls.jsonl"
        self._write_config()
        self.env = self._environment()
        self._assert_apt_sees_the_sandbox()

    @classmethod
    def copy_of(cls, template: Path, dest: Path) -> AptSandbox:
        shutil.copytree(template, dest, symlinks=True)
        return cls(dest)

    # -- setup --

    def _write_config(self) -> None:
        root = self.root
        not_root = "" if _is_root() else ' "--force-not-root";'
        self.apt_config.write_text(
            f'Dir "{root}/";\n'
            f'Dir::State::status "{root}/var/lib/dpkg/status";\n'
            f'APT::Sandbox::User "{"root" if _is_root() else getpass.getuser()}";\n'
            'Acquire::Languages "none";\n'
            f'DPkg::Options {{ "--root={root}"; "--admindir={root}/var/lib/dpkg"; '
            f'"--log={root}/var/log/dpkg.log"; "--force-script-chrootless";{not_root} }};\n'
        )
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        scripts = {
            "dpkg": DPKG_WRAPPER.format(
                root=root, not_root="" if _is_root() else " --force-not-root"
            )
        }
        for name in FAKE_COMMANDS:
            scripts[name] = FAKE_COMMAND.format(python=sys.executable, calls=str(self._calls_log))
        for name, text in scripts.items():
            path = self.bin_dir / name
            path.write_text(text)
            path.chmod(0o755)

    def _environment(self) -> dict[str, str]:
        force = "security-mac,downgrade,script-chrootless" + ("" if _is_root() else ",not-root")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("APT_", "DPKG_", "NVWIZARD_DEMO"))
        }
        env.update(
            APT_CONFIG=str(self.apt_config),
            DPKG_ADMINDIR=str(self.root / "var/lib/dpkg"),
            DPKG_ROOT=str(self.root),
            DPKG_FORCE=force,
            LC_ALL="C.UTF-8",
            DEBIAN_FRONTEND="noninteractive",
            PATH=f"{self.bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        )
        return env

    def _assert_apt_sees_the_sandbox(self) -> None:
        dump = self.run(["apt-config", "dump"], check=True).stdout
        expected = f'Dir::State::status "{self.root}/var/lib/dpkg/status";'
        if expected not in dump.splitlines():
            raise SandboxError(f"apt does not read the sandbox config; expected {expected}")

    # -- running things --

    def run(
        self, argv: Sequence[str], *, input: str | None = None, check: bool = False
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            list(argv),
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
        )
        if check and result.returncode != 0:
            raise SandboxError(
                f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        return result

    def install(self, *packages: str) -> None:
        self.run(["apt-get", "-y", "install", *packages], check=True)

    def status(self) -> dict[str, str]:
        out = self.run(
            ["dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\n"], check=True
        ).stdout
        states = {}
        for line in out.splitlines():
            name, _, abbrev = line.partition("\t")
            state = abbrev[:2]
            if state and state[1] != "n":  # "un"/"pn": known to dpkg but not installed
                states[name] = state
        return states

    def calls(self) -> list[list[str]]:
        import json

        if not self._calls_log.exists():
            return []
        return [json.loads(line) for line in self._calls_log.read_text().splitlines()]

    def fail_postinst(self, package: str) -> None:
        (self.root / "sandbox/fail-postinst" / package).touch()

    def fix_postinst(self, package: str) -> None:
        (self.root / "sandbox/fail-postinst" / package).unlink(missing_ok=True)

    # -- locks and interruptions --

    @contextlib.contextmanager
    def hold_lock(
        self, path: str | Path = "var/lib/dpkg/lock-frontend", name: str = "unattended-upgr"
    ) -> Iterator[LockHolder]:
        lock = Path(path) if Path(path).is_absolute() else self.root / path
        process = subprocess.Popen(
            [sys.executable, "-c", LOCK_HOLDER, str(lock), name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        holder = LockHolder(process.pid, name[:15], lock, process)
        try:
            if process.stdout.readline().strip() != "locked":
                raise SandboxError(f"the lock holder could not lock {lock}")
            yield holder
        finally:
            holder.release()

    def interrupt_dpkg(
        self, package: str = "nvidia-dkms-580-server"
    ) -> subprocess.CompletedProcess:
        """Install `package` and SIGKILL dpkg (and its script) while the postinst runs."""
        block = self.root / "sandbox/block-postinst" / package
        block.touch()
        apt = subprocess.Popen(
            ["apt-get", "-y", "install", package],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            dpkg_pid = self._wait_for_blocked_postinst(apt, package)
            dpkg = psutil.Process(dpkg_pid)
            victims = [dpkg, *dpkg.children(recursive=True)]
            for victim in victims:
                with contextlib.suppress(psutil.NoSuchProcess):
                    victim.send_signal(signal.SIGKILL)
            psutil.wait_procs(victims, timeout=COMMAND_TIMEOUT_S)
            output, _ = apt.communicate(timeout=COMMAND_TIMEOUT_S)
        finally:
            block.unlink(missing_ok=True)
            if apt.poll() is None:
                apt.kill()
                apt.wait()
        (self.root / "sandbox/postinst-running" / package).unlink(missing_ok=True)
        return subprocess.CompletedProcess(apt.args, apt.returncode, output, "")

    def _wait_for_blocked_postinst(self, apt: subprocess.Popen, package: str) -> int:
        """dpkg's pid, once `package`'s postinst waits on its block marker."""
        marker = self.root / "sandbox/postinst-running" / package
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(FileNotFoundError, ValueError):
                return int(marker.read_text().strip())
            if apt.poll() is not None:
                raise SandboxError(f"apt-get ended before the postinst ran:\n{apt.stdout.read()}")
            time.sleep(0.02)
        raise SandboxError("the postinst never started")
