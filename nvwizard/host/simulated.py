"""The simulated machine behind capture bundles and demos: commands answered by a model.

A bundle or demo host must never run a real command. `BundleHost.start` hands every argv to
`SimulatedMachine(host).start(argv, env)`, which answers it from an in-memory model of the
machine built from the bundle's own files:

- installed packages: dpkg-query.txt (or dpkg-l.txt), holds from apt-mark-showhold.txt;
- what apt offers: apt-cache-show.txt (Package, Version, Depends, Provides, Conflicts, Size);
- the kernel (uname-r.txt), the OS (os-release.txt), the archive (apt-sources.txt), lock
  holders (dpkg-lock.txt).

Handled: `apt-get` (update; install, purge, remove, autoremove, with `-s` for apt's simulation
lines and `-o APT::Status-Fd=N` for `pmstatus:`/`dlstatus:` lines on stream "status"),
`dpkg --audit | --configure -a | -l`, `dpkg-query -W/-l`, `apt-mark hold/unhold/showhold`,
`systemctl enable/start/...`, `shutdown -r +N | -c`, and the read-only tools whose output the
bundle holds (`uname -r`, `nvidia-smi`, `mokutil --sb-state`, `lsmod`, `lspci`,
`ubuntu-drivers devices|list`). Tools that only touch hardware (`modprobe`, `reboot`, ...)
print "simulated: <command>" and succeed; any other tool is "not found" (exit 127), so a plan
that needs something the simulator does not know fails loudly instead of pretending.

Changes update the model and are written back through `host.write` (dpkg-query.txt,
dpkg-l.txt, apt-mark-showhold.txt, dpkg-audit.txt, dpkg-updates.txt, reboot-required.txt),
so a re-detect after an install sees the new driver and the pending reboot. What no bundle
file records (which packages were installed automatically, enabled units, a scheduled
reboot) is remembered per host object for the life of the process.

Environment (read from the process environment, overridden by the `env` passed to `start`):
- NVWIZARD_DEMO_SPEED: pace factor; 1 (default) makes a typical demo install take 20-40 s,
  2 twice as slow, 0.5 twice as fast, 0 instant (tests).
- NVWIZARD_DEMO_FAIL=<package>: that package's postinst fails like a DKMS build error: the
  package is left half-configured (iF), what depends on it unpacked (iU), apt's real error
  lines, exit 100. It keeps failing (also under `dpkg --configure -a`) while the variable is set.
"""

from __future__ import annotations

import fnmatch
import os
import re
import time
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from nvwizard.detect.apt_cache import parse_apt_cache_show
from nvwizard.detect.dpkg import parse_dpkg_l, parse_dpkg_query, parse_showhold
from nvwizard.detect.misc import parse_apt_sources, parse_lock_holders
from nvwizard.detect.models import AptPackage
from nvwizard.host.base import Host, OutputLine, RunningCommand
from nvwizard.knowledge.packages import is_nvidia_related

SPEED_ENV = "NVWIZARD_DEMO_SPEED"
FAIL_ENV = "NVWIZARD_DEMO_FAIL"
DEFAULT_SPEED = 1.0

# Seconds at speed 1: chosen so a purge + install of a driver reads like a real one.
PACE = {
    "read-lists": 0.6,
    "update-source": 0.8,
    "get": 0.25,
    "unpack": 0.3,
    "setup": 0.3,
    "remove": 0.2,
    "dkms-build": 12.0,
    "dkms-line": 0.2,
    "signed-module": 0.6,
    "trigger": 1.2,
    "lock-wait": 1.0,
    "systemctl": 0.3,
}
LOCK_RELEASED_AFTER_S = 4  # a simulated lock holder (unattended-upgrades) finishes after this
READING_DATABASE_BASE = 187_000  # "(Reading database ... N files and directories ...)"
APT_WIDTH = 80  # apt wraps package lists at the terminal width; 80 when not a terminal

DKMS_MODULES = ("nvidia", "nvidia-modeset", "nvidia-drm", "nvidia-uvm", "nvidia-peermem")
NO_EFFECT_TOOLS = frozenset(
    {"modprobe", "rmmod", "update-initramfs", "dkms", "depmod", "reboot", "sync", "true"}
)
# read-only tools whose output the bundle holds: argv prefix -> source
CAPTURED_OUTPUTS = (
    (("uname", "-r"), "uname-r.txt"),
    (("nvidia-smi",), "nvidia-smi.txt"),
    (("mokutil", "--sb-state"), "mokutil-sb-state.txt"),
    (("lsmod",), "lsmod.txt"),
    (("lspci",), "lspci-nn.txt"),
    (("ubuntu-drivers", "devices"), "ubuntu-drivers-devices.txt"),
    (("ubuntu-drivers", "list"), "ubuntu-drivers-list.txt"),
)
# packages that ship conffiles, so a purge prints "Purging configuration files for ..."
CONFFILE_PACKAGES = (
    "nvidia-kernel-common-",
    "nvidia-compute-utils-",
    "nvidia-fabricmanager-",
    "xserver-xorg-video-nvidia-",
    "dkms",
    "nvidia-container-toolkit-base",
)
REBOOT_REQUIRED_TEXT = "*** System restart required ***\n"
KERNEL_MODULE_PREFIXES = (
    "nvidia-dkms-",
    "linux-modules-nvidia-",
    "linux-objects-nvidia-",
    "linux-signatures-nvidia-",
    "nvidia-kernel-",
)


# -- running: a script of lines and pauses ------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    seconds: float  # at speed 1


Script = Generator["OutputLine | Pause", None, int]


class SimulatedCommand(RunningCommand):
    """Plays a script: yields its lines, sleeps its pauses (scaled), ends with its exit code."""

    def __init__(self, script: Script, speed: float, sleep: Callable[[float], None] = time.sleep):
        self._script = script
        self._speed = speed
        self._sleep = sleep
        self._exit_code: int | None = None

    def lines(self) -> Iterator[OutputLine]:
        if self._exit_code is not None:
            return
        try:
            while True:
                item = next(self._script)
                if isinstance(item, Pause):
                    if self._speed > 0 and item.seconds > 0:
                        self._sleep(item.seconds * self._speed)
                    continue
                yield item
        except StopIteration as stop:
            self._exit_code = stop.value if isinstance(stop.value, int) else 0

    def wait(self) -> int:
        for _ in self.lines():
            pass
        return self._exit_code if self._exit_code is not None else 0


def out(text: str) -> OutputLine:
    return OutputLine("stdout", text)


def err(text: str) -> OutputLine:
    return OutputLine("stderr", text)


def status(text: str) -> OutputLine:
    return OutputLine("status", text)


def demo_speed(settings: Mapping[str, str]) -> float:
    """NVWIZARD_DEMO_SPEED as a factor (bad or negative values: the default / 0)."""
    raw = settings.get(SPEED_ENV, "").strip()
    if not raw:
        return DEFAULT_SPEED
    try:
        return max(0.0, float(raw))
    except ValueError:
        return DEFAULT_SPEED


# -- the model ----------------------------------------------------------------------------------

_WANT_WORD = {"i": "install", "h": "hold", "r": "deinstall", "p": "purge", "u": "unknown"}
_STATUS_WORD = {
    "n": "not-installed",
    "c": "config-files",
    "H": "half-installed",
    "U": "unpacked",
    "F": "half-configured",
    "W": "triggers-awaited",
    "t": "triggers-pending",
    "i": "installed",
}
_CLAUSE_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9+.\-]*)")


def _names(clause: str) -> tuple[str, ...]:
    """ "a (>= 1) | b:any" -> ("a", "b")."""
    names = []
    for alternative in clause.split("|"):
        match = _CLAUSE_NAME.match(alternative)
        if match:
            names.append(match.group(1))
    return tuple(names)


@dataclass
class Offer:
    """A package version apt offers."""

    name: str
    version: str
    depends: tuple[tuple[str, ...], ...] = ()  # OR-groups of names
    recommends: tuple[tuple[str, ...], ...] = ()
    provides: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    size: int = 0  # download size, bytes
    installed_kib: int = 0
    section: str = "main"
    origin: str | None = None
    arch: str = "amd64"
    description: str = ""

    @classmethod
    def from_apt(cls, package: AptPackage) -> Offer:
        extra = package.extra
        return cls(
            name=package.package,
            version=package.version or "0",
            depends=tuple(_names(c) for c in package.depends if _names(c)),
            recommends=tuple(
                _names(c) for c in extra.get("Recommends", "").split(",") if _names(c)
            ),
            provides=tuple(n for c in package.provides for n in _names(c)),
            conflicts=tuple(n for c in extra.get("Conflicts", "").split(",") for n in _names(c)),
            size=_int(extra.get("Size")),
            installed_kib=package.installed_size_kib or 0,
            section=package.section or "main",
            origin=package.origin,
            arch=extra.get("Architecture", "amd64"),
            description=extra.get("Description", ""),
        )


def _int(text: str | None) -> int:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return 0


@dataclass
class Installed:
    name: str
    version: str
    want: str = "i"  # i install, h hold, r deinstall, p purge
    status: str = "i"  # i installed, c config-files, U unpacked, F half-configured, ...
    arch: str = "amd64"
    description: str = ""

    @property
    def state(self) -> str:
        return self.want + self.status

    @property
    def present(self) -> bool:
        """Files on disk (not merely config files left behind)."""
        return self.status not in ("c", "n")

    @property
    def broken(self) -> bool:
        return self.status in ("U", "F", "H", "W", "t")


@dataclass
class _Memory:
    """What no bundle file records, kept per host for the life of the process."""

    auto: set[str] | None = None  # automatically installed packages
    enabled_units: set[str] = field(default_factory=set)
    active_units: set[str] = field(default_factory=set)
    scheduled_reboot: str | None = None
    lock_released: bool = False


_MEMORY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _memory(host: Host) -> _Memory:
    memory = _MEMORY.get(host)
    if memory is None:
        memory = _MEMORY[host] = _Memory()
    return memory


class MachineModel:
    """Packages installed and offered, read from the bundle, written back after each change."""

    def __init__(self, host: Host):
        self.host = host
        self.memory = _memory(host)
        self.installed: dict[str, Installed] = {}
        self.offers: dict[str, Offer] = {}
        self._load()

    # -- reading the bundle --

    def _load(self) -> None:
        read = self.host.read
        listed = parse_dpkg_l(read("dpkg-l.txt") or "")
        queried = parse_dpkg_query(read("dpkg-query.txt") or "")
        descriptions = {e.name: e.description or "" for e in listed}
        for entry in queried or listed:
            if entry.state[1:2] == "n":
                continue
            self.installed[entry.name] = Installed(
                name=entry.name,
                version=entry.version or "",
                want=entry.state[0],
                status=entry.state[1],
                arch=entry.arch or "amd64",
                description=descriptions.get(entry.name) or entry.description or "",
            )
        for name in parse_showhold(read("apt-mark-showhold.txt") or ""):
            if name in self.installed:
                self.installed[name].want = "h"
        for package in parse_apt_cache_show(read("apt-cache-show.txt") or ""):
            # apt-cache show lists the candidate first when several versions are offered
            self.offers.setdefault(package.package, Offer.from_apt(package))
        self.kernel = (read("uname-r.txt") or "").strip() or "unknown"
        self.os = _key_values(read("os-release.txt") or "")
        self.lock_holders = parse_lock_holders(read("dpkg-lock.txt") or "")
        self.sources = parse_apt_sources(read("apt-sources.txt") or "")
        if self.memory.auto is None:
            self.memory.auto = self._guess_auto()

    def _guess_auto(self) -> set[str]:
        """NVIDIA packages some other installed package depends on: pulled in automatically.

        The bundle does not say what was installed automatically; only NVIDIA-related names
        are guessed, so an autoremove never takes the base system."""
        needed = set()
        for name in self.installed:
            for group in self.dependencies(name):
                needed.update(group)
        return {n for n in needed if n in self.installed and (is_nvidia_related(n) or n == "dkms")}

    # -- questions --

    @property
    def auto(self) -> set[str]:
        assert self.memory.auto is not None
        return self.memory.auto

    def dependencies(self, name: str) -> tuple[tuple[str, ...], ...]:
        offer = self.offers.get(name)
        return offer.depends if offer else ()

    def provides(self, name: str) -> tuple[str, ...]:
        offer = self.offers.get(name)
        return offer.provides if offer else ()

    def present(self) -> set[str]:
        return {n for n, p in self.installed.items() if p.present}

    def broken(self) -> list[str]:
        return sorted(n for n, p in self.installed.items() if p.broken)

    def interrupted(self) -> bool:
        updates = (self.host.read("dpkg-updates.txt") or "").strip()
        return bool(updates) or any(p.status == "H" for p in self.installed.values())

    def satisfied(self, group: tuple[str, ...], names: set[str]) -> bool:
        """Whether one alternative of a dependency is among `names` or provided by one."""
        if any(alt in names for alt in group):
            return True
        return any(alt in self.provides(n) for n in names for alt in group)

    def archive(self) -> tuple[str, str]:
        """(archive URL, suite) for Get: lines, from the bundle's apt sources."""
        codename = self.os.get("VERSION_CODENAME") or "noble"
        archives = []
        for line in self.sources:
            parts = [p for p in line.split() if not p.startswith("[") and not p.endswith("]")]
            if len(parts) >= 3 and parts[0] == "deb" and re.search(r"ubuntu|debian", parts[1]):
                archives.append((parts[1].rstrip("/"), parts[2]))
        archives.sort(key=lambda a: not a[1].endswith("-updates"))
        if archives:
            return archives[0]
        suite = f"{codename}-updates" if self.os.get("ID") == "ubuntu" else codename
        return "http://archive.ubuntu.com/ubuntu", suite

    def release(self) -> str:
        """ "Ubuntu:24.04/noble-updates", as apt's simulation lines name the archive."""
        origin = (self.os.get("NAME") or "Ubuntu").split()[0]
        version = self.os.get("VERSION_ID") or ""
        codename = self.os.get("VERSION_CODENAME") or "noble"
        suite = f"{codename}-updates" if self.os.get("ID", "ubuntu") == "ubuntu" else codename
        return f"{origin}:{version}/{suite}"

    # -- writing back --

    def save(self) -> None:
        write = getattr(self.host, "write", None)
        if write is None:
            return
        rows = sorted(self.installed.values(), key=lambda p: p.name)
        write(
            "dpkg-query.txt",
            "".join(
                f"{p.name}\t{_WANT_WORD.get(p.want, 'install')} ok "
                f"{_STATUS_WORD.get(p.status, 'installed')}\t{p.version}\n"
                for p in rows
            ),
        )
        write("dpkg-l.txt", render_dpkg_l(rows))
        write("apt-mark-showhold.txt", "".join(f"{p.name}\n" for p in rows if p.want == "h"))
        write("dpkg-audit.txt", render_audit(rows))
        if not any(p.status == "H" for p in rows):
            write("dpkg-updates.txt", "")

    def mark_reboot_required(self) -> None:
        write = getattr(self.host, "write", None)
        if write is not None:
            write("reboot-required.txt", REBOOT_REQUIRED_TEXT)


def _key_values(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip('"')
    return values


def render_dpkg_l(rows: Sequence[Installed]) -> str:
    """`dpkg -l` as dpkg prints it to a pipe: the legend, a header and one row per package."""
    name_w = max([len(p.name) for p in rows] + [20]) + 1
    version_w = max([len(p.version) for p in rows] + [14]) + 1
    arch_w = 12
    lines = [
        "Desired=Unknown/Install/Remove/Purge/Hold",
        "| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend",
        "|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)",
        f"||/ {'Name':<{name_w}} {'Version':<{version_w}} {'Architecture':<{arch_w}} Description",
        f"+++-{'=' * name_w}-{'=' * version_w}-{'=' * arch_w}-{'=' * 40}",
    ]
    for p in rows:
        lines.append(
            f"{p.state:<3} {p.name:<{name_w}} {p.version:<{version_w}} {p.arch:<{arch_w}} "
            f"{p.description}".rstrip()
        )
    return "\n".join(lines) + "\n"


def render_audit(rows: Sequence[Installed]) -> str:
    """What `dpkg --audit` prints for unfinished packages ("" when dpkg is healthy)."""
    unpacked = [p for p in rows if p.status == "U"]
    half = [p for p in rows if p.status == "F"]
    parts = []
    if unpacked:
        parts.append(
            "The following packages have been unpacked but not yet configured.\n"
            "They must be configured using dpkg --configure or the configure\n"
            "menu option in dselect for them to work:\n"
            + "".join(f" {p.name:<20} {p.description}\n" for p in unpacked)
        )
    if half:
        parts.append(
            "The following packages are only half configured, probably due to problems\n"
            "configuring them the first time.  The configuration should be retried using\n"
            "dpkg --configure <package> or the configure menu option in dselect:\n"
            + "".join(f" {p.name:<20} {p.description}\n" for p in half)
        )
    return "\n".join(parts)


# -- apt's formatting ---------------------------------------------------------------------------


def size_to_str(size: float) -> str:
    """apt's SizeToStr: 4612 B, 15.6 kB, 312 MB."""
    units = ["B", "kB", "MB", "GB", "TB"]
    unit = 0
    while size >= 10000 and unit < len(units) - 1:
        size /= 1000
        unit += 1
    if size < 100 and unit > 0:
        return f"{size:.1f} {units[unit]}"
    return f"{size:.0f} {units[unit]}"


def wrapped(names: Iterable[str], width: int = APT_WIDTH) -> list[str]:
    """A package list as apt prints it: two-space indent, wrapped at the terminal width."""
    lines, current = [], " "
    for name in names:
        if len(current) + 1 + len(name) > width - 1 and current.strip():
            lines.append(current)
            current = " "
        current += " " + name
    if current.strip():
        lines.append(current)
    return lines


# -- apt-get -------------------------------------------------------------------------------------

_APT_FLAGS = {
    "-y": "yes",
    "--yes": "yes",
    "--assume-yes": "yes",
    "-s": "simulate",
    "--simulate": "simulate",
    "--just-print": "simulate",
    "--dry-run": "simulate",
    "--recon": "simulate",
    "--no-act": "simulate",
    "--purge": "purge",
    "--autoremove": "autoremove",
    "--auto-remove": "autoremove",
    "--no-install-recommends": "no-recommends",
    "--install-recommends": "recommends",
    "--allow-change-held-packages": "allow-held",
    "-f": "fix",
    "--fix-broken": "fix",
    "-q": "quiet",
    "-qq": "quiet",
    "--quiet": "quiet",
}


@dataclass
class AptRequest:
    command: str
    packages: list[str]
    flags: set[str]
    options: dict[str, str]

    @property
    def simulate(self) -> bool:
        return "simulate" in self.flags

    @property
    def status_fd(self) -> bool:
        return any(k.lower() == "apt::status-fd" for k in self.options)

    @property
    def lock_timeout(self) -> int:
        for key, value in self.options.items():
            if key.lower() == "dpkg::lock::timeout":
                return _int(value)
        return 0


def parse_apt_argv(args: Sequence[str]) -> AptRequest | str:
    """apt-get's options, command and package names; an error line for bad input."""
    flags: set[str] = set()
    options: dict[str, str] = {}
    words: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg in ("-o", "--option"):
            if i + 1 >= len(items):
                return "E: Option -o requires an argument"
            key, _, value = items[i + 1].partition("=")
            options[key] = value
            i += 2
            continue
        if arg.startswith("-o") and len(arg) > 2:
            key, _, value = arg[2:].partition("=")
            options[key] = value
        elif arg in _APT_FLAGS:
            flags.add(_APT_FLAGS[arg])
        elif arg.startswith("-"):
            return f"E: Command line option '{arg}' is not understood"
        else:
            words.append(arg)
        i += 1
    if not words:
        return "E: No command given"
    return AptRequest(words[0], words[1:], flags, options)


@dataclass
class Transaction:
    install: list[str] = field(default_factory=list)  # new or upgraded, dependency order
    remove: list[str] = field(default_factory=list)
    purge: bool = False
    requested: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # "X is already the newest version ..."
    errors: list[str] = field(default_factory=list)  # E: lines
    unmet: list[str] = field(default_factory=list)  # unmet dependency lines
    no_longer_required: list[str] = field(default_factory=list)


class Resolver:
    """apt's decisions on the model: what an install, purge or autoremove changes."""

    def __init__(self, model: MachineModel):
        self.model = model

    def known(self, name: str) -> bool:
        return name in self.model.offers or name in self.model.installed

    def install(self, names: Sequence[str], recommends: bool) -> Transaction:
        model = self.model
        tx = Transaction(requested=set(names))
        chosen: list[str] = []
        for name in names:
            if not self.known(name):
                tx.errors.append(f"E: Unable to locate package {name}")
                continue
            installed = model.installed.get(name)
            offer = model.offers.get(name)
            if (
                installed
                and installed.status == "i"
                and (offer is None or offer.version == installed.version)
            ):
                tx.notes.append(f"{name} is already the newest version ({installed.version}).")
                if name in model.auto:
                    tx.notes.append(f"{name} set to manually installed.")
                continue
            if offer is None:
                tx.errors.append(f"E: Package '{name}' has no installation candidate")
                continue
            chosen.append(name)
        if tx.errors:
            return tx
        order: list[str] = []
        self._add(chosen, order, tx, recommends, set())
        tx.install = order
        tx.remove = self._conflicting(order)
        return tx

    def _add(
        self,
        names: Sequence[str],
        order: list[str],
        tx: Transaction,
        recommends: bool,
        visiting: set[str],
    ) -> None:
        model = self.model
        for name in names:
            if name in order or name in visiting:
                continue
            visiting.add(name)
            offer = model.offers[name]
            groups = list(offer.depends) + (list(offer.recommends) if recommends else [])
            for group in groups:
                have = (model.present() - set(tx.remove)) | set(order) | visiting
                if model.satisfied(group, have):
                    continue
                pick = self._candidate(group)
                if pick is None:
                    if group in offer.depends and any(is_nvidia_related(n) for n in group):
                        tx.unmet.append(
                            f" {name} : Depends: {' | '.join(group)} but it is not installable"
                        )
                    # other missing names are outside the captured apt data: assume present
                    continue
                self._add([pick], order, tx, recommends, visiting)
            order.append(name)

    def _candidate(self, group: tuple[str, ...]) -> str | None:
        for alt in group:
            if alt in self.model.offers:
                return alt
        for alt in group:
            providers = sorted(n for n, o in self.model.offers.items() if alt in o.provides)
            if providers:
                return providers[0]
        return None

    def _conflicting(self, new: Sequence[str]) -> list[str]:
        """Installed packages the new ones conflict with (Ubuntu's branch packages do)."""
        model = self.model
        victims = set()
        for name in new:
            conflicts = set(model.offers[name].conflicts)
            for other in model.present() - set(new):
                names = {other, *model.provides(other)}
                if other != name and conflicts & names:
                    victims.add(other)
        if not victims:
            return []
        return self._with_dependents(victims, keep=set(new))

    def _with_dependents(self, names: set[str], keep: set[str] = frozenset()) -> list[str]:
        """`names` plus every installed package that depends on them only (apt removes those)."""
        model = self.model
        removing = set(names)
        changed = True
        while changed:
            changed = False
            remaining = (model.present() | keep) - removing
            for other in sorted(model.present() - removing - keep):
                for group in model.dependencies(other):
                    broken = any(alt in removing for alt in group)
                    if broken and not model.satisfied(group, remaining - {other}):
                        removing.add(other)
                        changed = True
                        break
        return sorted(removing)

    def remove(self, names: Sequence[str], purge: bool) -> Transaction:
        model = self.model
        tx = Transaction(purge=purge, requested=set(names))
        targets = set()
        for name in names:
            installed = model.installed.get(name)
            if installed is None:
                if name in model.offers:
                    tx.notes.append(f"Package '{name}' is not installed, so not removed")
                else:
                    tx.errors.append(f"E: Unable to locate package {name}")
                continue
            if not installed.present and not purge:
                tx.notes.append(f"Package '{name}' is not installed, so not removed")
                continue
            targets.add(name)
        if tx.errors:
            return tx
        present_targets = {n for n in targets if model.installed[n].present}
        tx.remove = sorted(set(self._with_dependents(present_targets)) | targets)
        return tx

    def autoremovable(self, removing: Iterable[str] = ()) -> list[str]:
        """Automatically installed packages nothing that stays needs any more."""
        model = self.model
        staying = model.present() - set(removing)
        needed: set[str] = set()
        frontier = [n for n in staying if n not in model.auto]
        while frontier:
            name = frontier.pop()
            for group in model.dependencies(name):
                for alt in group:
                    providers = {alt} | {n for n in staying if alt in model.provides(n)}
                    for provider in providers & staying:
                        if provider not in needed:
                            needed.add(provider)
                            frontier.append(provider)
        return sorted(n for n in staying if n in model.auto and n not in needed)

    def held_changed(self, tx: Transaction) -> list[str]:
        model = self.model
        touched = set(tx.remove) | {n for n in tx.install if n in model.installed}
        return sorted(n for n in touched if model.installed[n].want == "h")


# -- the machine --------------------------------------------------------------------------------


class SimulatedMachine:
    """Answers `start(argv, env)` for a bundle or demo host; never runs a real command."""

    def __init__(self, bundle_host: Host, sleep: Callable[[float], None] = time.sleep):
        self.host = bundle_host
        self._sleep = sleep

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        settings = {**os.environ, **(env or {})}
        argv = [str(a) for a in argv]
        script = _Session(self.host, argv, settings).run()
        return SimulatedCommand(script, demo_speed(settings), self._sleep)


class _Session:
    """One simulated command: reads the model, plays the output, writes the changes back."""

    def __init__(self, host: Host, argv: list[str], settings: Mapping[str, str]):
        self.host = host
        self.argv = argv
        self.settings = settings
        self.failing = settings.get(FAIL_ENV, "").strip()

    def run(self) -> Script:
        if not self.argv:
            yield err("simulated: empty command")
            return 127
        tool = os.path.basename(self.argv[0])
        args = self.argv[1:]
        handlers = {
            "apt-get": self.apt_get,
            "apt": self.apt_get,
            "dpkg": self.dpkg,
            "dpkg-query": self.dpkg_query,
            "apt-mark": self.apt_mark,
            "systemctl": self.systemctl,
            "shutdown": self.shutdown,
        }
        if tool in handlers:
            return (yield from handlers[tool](args))
        for prefix, source in CAPTURED_OUTPUTS:
            if tuple(self.argv[: len(prefix)]) == prefix:
                return (yield from self.captured(source))
        if tool in NO_EFFECT_TOOLS:
            yield out(f"simulated: {' '.join(self.argv)}")
            return 0
        yield err(f"simulated: {tool}: command not found on the simulated machine")
        return 127

    # -- read-only tools the bundle captured --

    def captured(self, source: str) -> Script:
        text = self.host.read(source)
        if text is None:
            yield err(f"simulated: {' '.join(self.argv)}: not captured in this bundle")
            return 1
        for line in text.splitlines():
            yield out(line)
        if source == "nvidia-smi.txt" and "Driver Version" not in text:
            return 9 if "failed" in text.lower() or "mismatch" in text.lower() else 6
        return 0

    # -- apt-get --

    def apt_get(self, args: Sequence[str]) -> Script:
        request = parse_apt_argv(args)
        if isinstance(request, str):
            yield err(request)
            return 100
        model = MachineModel(self.host)
        if request.command == "update":
            return (yield from self.apt_update(model))
        if request.command not in ("install", "purge", "remove", "autoremove", "autopurge"):
            yield err(f"E: Invalid operation {request.command}")
            return 100
        if not request.simulate:
            if model.interrupted():
                yield err(
                    "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to "
                    "correct the problem. "
                )
                return 100
            locked = yield from self.wait_for_lock(model, request.lock_timeout)
            if not locked:
                return 100
        yield out("Reading package lists...")
        yield Pause(PACE["read-lists"])
        yield out("Building dependency tree...")
        yield out("Reading state information...")
        resolver = Resolver(model)
        if request.command == "install":
            tx = resolver.install(request.packages, recommends="no-recommends" not in request.flags)
        elif request.command in ("purge", "remove"):
            tx = resolver.remove(request.packages, purge=request.command == "purge")
            tx.purge = request.command == "purge" or "purge" in request.flags
        else:
            tx = Transaction(purge=request.command == "autopurge" or "purge" in request.flags)
            for name in request.packages:
                if not resolver.known(name):
                    tx.errors.append(f"E: Unable to locate package {name}")
            tx.remove = resolver.autoremovable()
        if request.command in ("purge", "remove") and "autoremove" in request.flags:
            tx.remove = sorted(set(tx.remove) | set(resolver.autoremovable(tx.remove)))
        if tx.errors:
            for line in tx.errors:
                yield err(line)
            return 100
        for note in tx.notes:
            yield out(note)
        if tx.unmet:
            yield from self.unmet(tx)
            return 100
        if request.command != "autoremove" and request.command != "autopurge":
            tx.no_longer_required = [
                n for n in resolver.autoremovable(tx.remove) if n not in tx.remove
            ]
        yield from self.summary(model, tx, request)
        held = resolver.held_changed(tx)
        if held and "allow-held" not in request.flags and not request.simulate:
            yield err(
                "E: Held packages were changed and -y was used without "
                "--allow-change-held-packages."
            )
            return 100
        if request.simulate:
            yield from self.simulation_lines(model, tx)
            return 0
        if not (tx.install or tx.remove or model.broken()):
            return 0
        extra = tx.remove or any(n not in tx.requested for n in tx.install)
        if extra and "yes" not in request.flags:
            yield out("Do you want to continue? [Y/n] Abort.")
            return 1
        return (yield from self.apply(model, tx, request))

    def apt_update(self, model: MachineModel) -> Script:
        sources = [s.split() for s in model.sources if s.startswith("deb ")] or [
            ["deb", *model.archive()]
        ]
        for number, parts in enumerate(sources, start=1):
            words = [p for p in parts[1:] if not (p.startswith("[") or p.endswith("]"))]
            url, suite = (words + ["", ""])[:2]
            yield Pause(PACE["update-source"])
            yield out(f"Hit:{number} {url.rstrip('/')} {suite} InRelease")
        yield out("Reading package lists...")
        yield Pause(PACE["read-lists"])
        return 0

    def wait_for_lock(self, model: MachineModel, timeout: int) -> Generator:
        holders = [h for h in model.lock_holders if h.lock_path.endswith("lock-frontend")]
        if not holders or model.memory.lock_released:
            return True
        holder = holders[0]
        held = (
            f"Could not get lock {holder.lock_path}. It is held by process {holder.pid} "
            f"({holder.name})"
        )
        if timeout <= 0:
            yield err(f"E: {held}")
            yield err(
                f"E: Unable to acquire the dpkg frontend lock ({holder.lock_path}), is another "
                "process using it?"
            )
            return False
        for _ in range(min(timeout, LOCK_RELEASED_AFTER_S)):
            yield Pause(PACE["lock-wait"])
            yield out(f"Waiting for cache lock: {held}...")
        if timeout < LOCK_RELEASED_AFTER_S:
            yield err(
                f"E: Unable to acquire the dpkg frontend lock ({holder.lock_path}), is another "
                "process using it?"
            )
            return False
        model.memory.lock_released = True
        write = getattr(self.host, "write", None)
        if write is not None:
            write("dpkg-lock.txt", "")
        return True

    def unmet(self, tx: Transaction) -> Script:
        yield out("Some packages could not be installed. This may mean that you have")
        yield out("requested an impossible situation or if you are using the unstable")
        yield out("distribution that some required packages have not yet been created")
        yield out("or been moved out of Incoming.")
        yield out("The following information may help to resolve the situation:")
        yield out("")
        yield out("The following packages have unmet dependencies:")
        for line in tx.unmet:
            yield out(line)
        yield err("E: Unable to correct problems, you have held broken packages.")

    def summary(self, model: MachineModel, tx: Transaction, request: AptRequest) -> Script:
        if tx.no_longer_required:
            many = len(tx.no_longer_required) > 1
            yield out(
                "The following packages were automatically installed and are no longer required:"
                if many
                else "The following package was automatically installed and is no longer required:"
            )
            yield from (out(line) for line in wrapped(tx.no_longer_required))
            yield out(f"Use 'apt autoremove' to remove {'them' if many else 'it'}.")
        new = [n for n in tx.install if n not in model.installed or not model.installed[n].present]
        upgraded = [n for n in tx.install if n not in new]
        additional = sorted(n for n in tx.install if n not in tx.requested)
        if additional:
            yield out("The following additional packages will be installed:")
            yield from (out(line) for line in wrapped(additional))
        if tx.remove:
            yield out("The following packages will be REMOVED:")
            mark = "*" if tx.purge else ""
            yield from (out(line) for line in wrapped(f"{n}{mark}" for n in tx.remove))
        if new:
            yield out("The following NEW packages will be installed:")
            yield from (out(line) for line in wrapped(sorted(new)))
        if upgraded:
            yield out("The following packages will be upgraded:")
            yield from (out(line) for line in wrapped(sorted(upgraded)))
        held = Resolver(model).held_changed(tx)
        if held:
            yield out("The following held packages will be changed:")
            yield from (out(line) for line in wrapped(held))
        broken = model.broken()
        yield out(
            f"{len(upgraded)} upgraded, {len(new)} newly installed, {len(tx.remove)} to remove "
            "and 0 not upgraded."
        )
        if broken:
            yield out(f"{len(broken)} not fully installed or removed.")
        if request.simulate or not (tx.install or tx.remove or broken):
            return
        download = sum(model.offers[n].size for n in tx.install)
        if tx.install:
            yield out(f"Need to get {size_to_str(download)} of archives.")
        added = sum(model.offers[n].installed_kib for n in tx.install) * 1000
        freed = sum(model.offers[n].installed_kib for n in tx.remove if n in model.offers) * 1000
        if added >= freed:
            yield out(
                f"After this operation, {size_to_str(added - freed)} of additional disk "
                "space will be used."
            )
        else:
            yield out(
                f"After this operation, {size_to_str(freed - added)} disk space will be freed."
            )

    def simulation_lines(self, model: MachineModel, tx: Transaction) -> Script:
        release = model.release()
        for name in tx.remove:
            version = model.installed[name].version
            yield out(f"{'Purg' if tx.purge else 'Remv'} {name} [{version}]")
        for name in tx.install:
            offer = model.offers[name]
            old = model.installed.get(name)
            was = f" [{old.version}]" if old and old.present else ""
            yield out(f"Inst {name}{was} ({offer.version} {release} [{offer.arch}])")
        for name in tx.install:
            offer = model.offers[name]
            yield out(f"Conf {name} ({offer.version} {release} [{offer.arch}])")

    # -- applying a transaction --

    def apply(self, model: MachineModel, tx: Transaction, request: AptRequest) -> Script:
        progress = _Progress(request.status_fd, steps=len(tx.remove) * 4 + len(tx.install) * 6)
        newly = {n for n in tx.install if n not in model.installed or n in model.auto}
        if tx.install:
            yield from self.download(model, tx, request)
        if request.status_fd:
            yield status(f"pmstatus:dpkg-exec:{progress.percent():.4f}:Running dpkg")
        if tx.remove or tx.install:
            yield out("(Reading database ... ")
            yield out(
                f"(Reading database ... {READING_DATABASE_BASE + 37 * len(model.installed)} "
                "files and directories currently installed.)"
            )
        for name in tx.remove:
            yield from self.remove_one(model, name, tx.purge, progress)
        for name in tx.install:
            yield from self.unpack_one(model, name, progress)
        for name in tx.remove:
            model.auto.discard(name)
        for name in tx.install:
            if name in tx.requested:
                model.auto.discard(name)
            elif name in newly:
                model.auto.add(name)
        to_configure = [n for n in model.broken() if n not in tx.install] + list(tx.install)
        failed = yield from self.configure(model, to_configure, progress)
        yield from self.triggers(model, tx, to_configure)
        yield from self.errors_summary(failed)
        model.save()
        if any(n.startswith(KERNEL_MODULE_PREFIXES) for n in [*tx.install, *tx.remove]):
            model.mark_reboot_required()
        if failed:
            yield err("E: Sub-process /usr/bin/dpkg returned an error code (1)")
            return 100
        return 0

    def download(self, model: MachineModel, tx: Transaction, request: AptRequest) -> Script:
        url, suite = model.archive()
        total = len(tx.install)
        for number, name in enumerate(tx.install, start=1):
            offer = model.offers[name]
            component = offer.section.split("/")[0] if "/" in offer.section else "main"
            if request.status_fd:
                pct = (number - 1) / total * 100
                yield status(f"dlstatus:{number}:{pct:.4f}:Retrieving file {number} of {total}")
            yield Pause(PACE["get"])
            yield out(
                f"Get:{number} {url} {suite}/{component} {offer.arch} {name} {offer.version} "
                f"[{size_to_str(offer.size)}]"
            )
        if request.status_fd:
            yield status(f"dlstatus:{total}:100.0000:Retrieving file {total} of {total}")
        download = sum(model.offers[n].size for n in tx.install)
        seconds = max(1, round(total * PACE["get"]))
        yield out(
            f"Fetched {size_to_str(download)} in {seconds}s ({size_to_str(download / seconds)}/s)"
        )

    def remove_one(self, model: MachineModel, name: str, purge: bool, progress: _Progress):
        package = model.installed[name]
        arch = package.arch
        if package.present:
            yield from progress.emit(name, f"Preparing for removal of {name} ({arch})")
            yield from progress.emit(name, f"Removing {name} ({arch})")
            yield Pause(PACE["remove"])
            yield out(f"Removing {name} ({package.version}) ...")
            if name.startswith("nvidia-dkms-"):
                yield from self.dkms_removal_lines()
        else:
            progress.skip(2)
        if purge:
            yield from progress.emit(name, f"Completely removing {name} ({arch})")
            if not package.present or name.startswith(CONFFILE_PACKAGES):
                yield out(f"Purging configuration files for {name} ({package.version}) ...")
            yield from progress.emit(name, f"Completely removed {name} ({arch})")
            del model.installed[name]
        elif name.startswith(CONFFILE_PACKAGES):
            progress.skip(2)
            package.want, package.status = "r", "c"
        else:  # nothing left behind: dpkg forgets the package
            progress.skip(2)
            del model.installed[name]

    def dkms_removal_lines(self) -> Script:
        yield out("INFO:Disable nvidia")
        yield out("DEBUG:Parsing /usr/share/ubuntu-drivers-common/quirks/put_your_quirks_here")
        yield Pause(PACE["dkms-line"])
        yield out("Removing all DKMS Modules")
        yield out("Done.")
        yield out("update-initramfs: deferring update (trigger activated)")

    def unpack_one(self, model: MachineModel, name: str, progress: _Progress) -> Script:
        offer = model.offers[name]
        old = model.installed.get(name)
        yield from progress.emit(name, f"Preparing {name} ({offer.arch})")
        if old and old.present:
            yield out(f"Preparing to unpack .../{name}_{offer.version}_{offer.arch}.deb ...")
        else:
            yield out(f"Selecting previously unselected package {name}.")
            yield out(f"Preparing to unpack .../{name}_{offer.version}_{offer.arch}.deb ...")
        yield from progress.emit(name, f"Unpacking {name} ({offer.arch})")
        yield Pause(PACE["unpack"])
        if old and old.present:
            yield out(f"Unpacking {name} ({offer.version}) over ({old.version}) ...")
        else:
            yield out(f"Unpacking {name} ({offer.version}) ...")
        yield from progress.emit(name, f"Installing {name} ({offer.arch})")
        description = offer.description or (old.description if old else "")
        model.installed[name] = Installed(
            name,
            offer.version,
            "h" if old and old.want == "h" else "i",
            "U",
            offer.arch,
            description,
        )

    def configure(self, model: MachineModel, names: Sequence[str], progress: _Progress):
        """Configure in order; returns the packages that failed (postinst or dependencies)."""
        failed: list[str] = []
        for name in names:
            package = model.installed[name]
            blocker = self.unconfigured_dependency(model, name, failed)
            if blocker is not None:
                yield from self.dependency_problem(model, name, blocker)
                package.status = "U"
                failed.append(name)
                if progress.enabled:
                    yield status(
                        f"pmerror:{name}:{progress.percent():.4f}:dependency problems - "
                        "leaving unconfigured"
                    )
                progress.skip(3)
                continue
            yield from progress.emit(name, f"Preparing to configure {name} ({package.arch})")
            yield from progress.emit(name, f"Configuring {name} ({package.arch})")
            yield Pause(PACE["setup"])
            yield out(f"Setting up {name} ({package.version}) ...")
            if name.startswith("nvidia-dkms-"):
                ok = yield from self.dkms_build(model, package, fails=name == self.failing)
            elif name.startswith("linux-modules-nvidia-"):
                ok = yield from self.signed_modules(model, package, fails=name == self.failing)
            else:
                ok = name != self.failing
            if not ok:
                exit_status = 10 if name.startswith("nvidia-dkms-") else 1
                message = (
                    f"installed {name} package post-installation script subprocess returned "
                    f"error exit status {exit_status}"
                )
                yield err(f"dpkg: error processing package {name} (--configure):")
                yield err(f" {message}")
                if progress.enabled:
                    yield status(f"pmerror:{name}:{progress.percent():.4f}:{message}")
                package.status = "F"
                failed.append(name)
                progress.skip(1)
                continue
            package.status = "i"
            yield from progress.emit(name, f"Installed {name} ({package.arch})")
        return failed

    def errors_summary(self, failed: Sequence[str]) -> Script:
        """dpkg's closing list of failures, printed after the triggers ran."""
        if failed:
            yield err("Errors were encountered while processing:")
            for name in failed:
                yield err(f" {name}")
        return 0

    def unconfigured_dependency(
        self, model: MachineModel, name: str, failed: Sequence[str]
    ) -> tuple[tuple[str, ...], str] | None:
        for group in model.dependencies(name):
            configured = {n for n, p in model.installed.items() if p.status == "i"}
            if model.satisfied(group, configured):
                continue
            for alt in group:
                if alt in failed:
                    return group, alt
        return None

    def dependency_problem(self, model: MachineModel, name: str, blocker) -> Script:
        group, missing = blocker
        yield err(f"dpkg: dependency problems prevent configuration of {name}:")
        yield err(f" {name} depends on {' | '.join(group)}; however:")
        yield err(f"  Package {missing} is not configured yet.")
        yield err("")
        yield err(f"dpkg: error processing package {name} (--configure):")
        yield err(" dependency problems - leaving unconfigured")

    def dkms_build(self, model: MachineModel, package: Installed, fails: bool) -> Generator:
        upstream = package.version.split("-")[0]
        kernel = model.kernel
        yield out("update-initramfs: deferring update (trigger activated)")
        yield out("INFO:Enable nvidia")
        yield out("DEBUG:Parsing /usr/share/ubuntu-drivers-common/quirks/put_your_quirks_here")
        yield Pause(PACE["dkms-line"])
        yield out(f"Loading new nvidia-{upstream} DKMS files...")
        yield out(f"Building for {kernel}")
        yield out("Building for architecture x86_64")
        yield out(f"Building initial module for {kernel}")
        yield Pause(PACE["dkms-build"] * (0.4 if fails else 1.0))
        if fails:
            yield out(
                "ERROR: Cannot create report: [Errno 17] File exists: "
                f"'/var/crash/nvidia-dkms-{upstream.split('.')[0]}.0.crash'"
            )
            yield out(f"Error! Bad return status for module build on kernel: {kernel} (x86_64)")
            yield out(
                f"Consult /var/lib/dkms/nvidia/{upstream}/build/make.log for more information."
            )
            return False
        yield out("Done.")
        for module in DKMS_MODULES:
            yield Pause(PACE["dkms-line"])
            yield out("")
            yield out(f"{module}.ko:")
            yield out("Running module version sanity check.")
            yield out(" - Original module")
            yield out("   - No original module exists within this kernel")
            yield out(" - Installation")
            yield out(f"   - Installing to /lib/modules/{kernel}/updates/dkms/")
        yield out("")
        yield out("depmod...")
        return True

    def signed_modules(self, model: MachineModel, package: Installed, fails: bool) -> Generator:
        if not package.name.endswith(model.kernel):
            return not fails  # the meta package has no files of its own
        yield out(f"linux-image-nvidia-{model.kernel}: constructing .ko files")
        for module in sorted(DKMS_MODULES):
            yield Pause(PACE["signed-module"])
            if fails:
                yield out(f"{module}.ko: FAILED (signature mismatch)")
                return False
            yield out(f"{module}.ko: OK")
        return True

    def triggers(self, model: MachineModel, tx: Transaction, configured: Sequence[str]):
        if not (tx.install or tx.remove or configured):
            return
        libc = model.installed.get("libc-bin") or model.installed.get("libc6")
        if libc is not None:
            yield Pause(PACE["trigger"] / 4)
            yield out(f"Processing triggers for libc-bin ({libc.version}) ...")
        touched = [*tx.install, *tx.remove]
        initramfs = model.installed.get("initramfs-tools")
        if initramfs is not None and any(n.startswith(KERNEL_MODULE_PREFIXES) for n in touched):
            yield out(f"Processing triggers for initramfs-tools ({initramfs.version}) ...")
            yield Pause(PACE["trigger"])
            yield out(f"update-initramfs: Generating /boot/initrd.img-{model.kernel}")

    # -- dpkg --

    def dpkg(self, args: Sequence[str]) -> Script:
        model = MachineModel(self.host)
        if args[:1] in (["--audit"], ["-C"]):
            text = self.host.read("dpkg-audit.txt") or ""
            if not text.strip():
                text = render_audit(sorted(model.installed.values(), key=lambda p: p.name))
            for line in text.splitlines():
                yield out(line)
            return 0
        if args[:1] == ["--configure"] and args[1:] in (["-a"], ["--pending"]):
            holders = [h for h in model.lock_holders if h.lock_path.endswith("lock-frontend")]
            if holders and not model.memory.lock_released:
                yield err(
                    "dpkg: error: dpkg frontend lock was locked by another process with pid "
                    f"{holders[0].pid}"
                )
                yield err(
                    "Note: removing the lock file is always wrong, can damage the locked area"
                )
                yield err(
                    "and the entire system. See <https://wiki.debian.org/Teams/Dpkg/FAQ#db-lock>."
                )
                return 2
            pending = [n for n, p in model.installed.items() if p.status in ("U", "F", "H")]
            failed = yield from self.configure(
                model, _dependency_order(model, pending), _Progress(False, 0)
            )
            yield from self.errors_summary(failed)
            model.save()
            write = getattr(self.host, "write", None)
            if write is not None:
                write("dpkg-updates.txt", "")
            return 1 if failed else 0
        if args[:1] == ["-l"]:
            return (yield from self.dpkg_list(model, args[1:]))
        if args[:1] == ["--print-architecture"]:
            yield out("amd64")
            return 0
        yield out(f"simulated: {' '.join(self.argv)}")
        return 0

    def dpkg_list(self, model: MachineModel, patterns: Sequence[str]) -> Script:
        rows = sorted(model.installed.values(), key=lambda p: p.name)
        if patterns:
            rows = [p for p in rows if any(fnmatch.fnmatchcase(p.name, pat) for pat in patterns)]
        if not rows:
            for pattern in patterns:
                yield err(f"dpkg-query: no packages found matching {pattern}")
            return 1
        for line in render_dpkg_l(rows).splitlines():
            yield out(line)
        return 0

    # -- dpkg-query --

    def dpkg_query(self, args: Sequence[str]) -> Script:
        model = MachineModel(self.host)
        fmt = "${binary:Package}\t${Version}\n"
        patterns: list[str] = []
        mode = None
        items = list(args)
        i = 0
        while i < len(items):
            arg = items[i]
            if arg in ("-W", "--show"):
                mode = "show"
            elif arg in ("-l", "--list"):
                mode = "list"
            elif arg.startswith(("-f=", "--showformat=")):
                fmt = _unescape(arg.split("=", 1)[1])
            elif arg in ("-f", "--showformat") and i + 1 < len(items):
                fmt = _unescape(items[i + 1])
                i += 1
            elif arg.startswith("-"):
                yield err(f"dpkg-query: error: unknown option {arg}")
                return 2
            else:
                patterns.append(arg)
            i += 1
        if mode == "list":
            return (yield from self.dpkg_list(model, patterns))
        if mode is None:
            yield err("dpkg-query: error: need an action option")
            return 2
        rows = sorted(model.installed.values(), key=lambda p: p.name)
        code = 0
        shown: list[Installed] = []
        if patterns:
            for pattern in patterns:
                matches = [p for p in rows if fnmatch.fnmatchcase(p.name, pattern)]
                if not matches:
                    yield err(f"dpkg-query: no packages found matching {pattern}")
                    code = 1
                shown += [p for p in matches if p not in shown]
        else:
            shown = rows
        text = "".join(_format_package(fmt, p) for p in shown)
        for line in text.splitlines():
            yield out(line)
        return code

    # -- apt-mark --

    def apt_mark(self, args: Sequence[str]) -> Script:
        model = MachineModel(self.host)
        if not args:
            yield err("E: No command given")
            return 100
        command, names = args[0], [a for a in args[1:] if not a.startswith("-")]
        if command == "showhold":
            for name in sorted(n for n, p in model.installed.items() if p.want == "h"):
                yield out(name)
            return 0
        if command not in ("hold", "unhold", "auto", "manual"):
            yield err(f"E: Invalid operation {command}")
            return 100
        missing = [n for n in names if n not in model.installed]
        if missing:
            for name in missing:
                yield err(f"E: Unable to locate package {name}")
            return 100
        for name in names:
            package = model.installed[name]
            if command == "hold":
                if package.want == "h":
                    yield out(f"{name} was already set on hold.")
                else:
                    package.want = "h"
                    yield out(f"{name} set on hold.")
            elif command == "unhold":
                if package.want != "h":
                    yield out(f"{name} was already not on hold.")
                else:
                    package.want = "i"
                    yield out(f"Canceled hold on {name}.")
            elif command == "auto":
                model.auto.add(name)
                yield out(f"{name} set to automatically installed.")
            else:
                model.auto.discard(name)
                yield out(f"{name} set to manually installed.")
        model.save()
        return 0

    # -- systemctl and shutdown --

    def systemctl(self, args: Sequence[str]) -> Script:
        words = [a for a in args if not a.startswith("-")]
        if not words:
            yield err("simulated: systemctl needs a command")
            return 1
        command, units = words[0], [_unit(u) for u in words[1:]]
        model = MachineModel(self.host)
        memory = model.memory
        if command == "daemon-reload":
            return 0
        if command == "is-active":
            active = all(u in memory.active_units for u in units)
            for unit in units:
                yield out("active" if unit in memory.active_units else "inactive")
            return 0 if active else 3
        if command not in ("enable", "disable", "start", "stop", "restart"):
            yield out(f"simulated: {' '.join(self.argv)}")
            return 0
        for unit in units:
            if not _unit_exists(model, unit):
                verb = "enable" if command == "enable" else command
                yield err(
                    f"Failed to {verb} unit: Unit file {unit} does not exist."
                    if command in ("enable", "disable")
                    else f"Failed to {verb} {unit}: Unit {unit} not found."
                )
                return 1 if command in ("enable", "disable") else 5
            yield Pause(PACE["systemctl"])
            if command == "enable" and unit not in memory.enabled_units:
                memory.enabled_units.add(unit)
                yield err(
                    f"Created symlink /etc/systemd/system/multi-user.target.wants/{unit} → "
                    f"/usr/lib/systemd/system/{unit}."
                )
            elif command == "disable" and unit in memory.enabled_units:
                memory.enabled_units.discard(unit)
                yield err(f'Removed "/etc/systemd/system/multi-user.target.wants/{unit}".')
            elif command in ("start", "restart"):
                memory.active_units.add(unit)
            elif command == "stop":
                memory.active_units.discard(unit)
        return 0

    def shutdown(self, args: Sequence[str]) -> Script:
        memory = _memory(self.host)
        if "-c" in args:
            memory.scheduled_reboot = None
            return 0
        when = next((a for a in args if not a.startswith("-")), "+1")
        kind = "Reboot" if "-r" in args else "Shutdown"
        if when == "now":
            yield out(f"simulated: {' '.join(self.argv)} (the simulated machine stays up)")
            return 0
        if not re.fullmatch(r"\+\d+|\d{1,2}:\d{2}", when):
            yield err(f"Failed to parse time specification: {when}")
            return 1
        memory.scheduled_reboot = when
        if when.startswith("+"):
            at = time.strftime(
                "%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + 60 * int(when[1:]))
            )
        else:
            at = when
        yield err(f"{kind} scheduled for {at}, use 'shutdown -c' to cancel.")
        return 0


class _Progress:
    """apt's Status-Fd percentages: one step per dpkg action, as apt counts them."""

    def __init__(self, enabled: bool, steps: int):
        self.enabled = enabled
        self.steps = max(steps, 1)
        self.done = 0

    def percent(self) -> float:
        return min(100.0, self.done / self.steps * 100)

    def skip(self, count: int) -> None:
        self.done += count

    def emit(self, package: str, text: str) -> Iterator[OutputLine]:
        if self.enabled:
            yield status(f"pmstatus:{package}:{self.percent():.4f}:{text}")
        self.done += 1


def _dependency_order(model: MachineModel, names: Sequence[str]) -> list[str]:
    """`names` with each package after the ones it depends on (dpkg --configure -a order)."""
    pending, ordered = set(names), []

    def visit(name: str, seen: set[str]) -> None:
        if name in ordered or name in seen:
            return
        seen.add(name)
        for group in model.dependencies(name):
            for alt in group:
                if alt in pending:
                    visit(alt, seen)
        ordered.append(name)

    for name in sorted(pending):
        visit(name, set())
    return ordered


def _unit(name: str) -> str:
    return name if "." in name else f"{name}.service"


def _unit_exists(model: MachineModel, unit: str) -> bool:
    """NVIDIA's units ship with packages; other units are assumed to exist."""
    present = model.present()
    if unit == "nvidia-persistenced.service":
        return any(n.startswith(("nvidia-compute-utils-", "nvidia-utils-")) for n in present)
    if unit == "nvidia-fabricmanager.service":
        return any(n.startswith("nvidia-fabricmanager") for n in present)
    return True


def _unescape(fmt: str) -> str:
    return fmt.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")


_FIELD = re.compile(r"\$\{([^}]+)\}")


def _format_package(fmt: str, package: Installed) -> str:
    values = {
        "Package": package.name,
        "binary:Package": package.name,
        "Version": package.version,
        "Architecture": package.arch,
        "Status": f"{_WANT_WORD.get(package.want, 'install')} ok "
        f"{_STATUS_WORD.get(package.status, 'installed')}",
        "db:Status-Abbrev": f"{package.state} ",
        "db:Status-Want": _WANT_WORD.get(package.want, "install"),
        "db:Status-Status": _STATUS_WORD.get(package.status, "installed"),
        "binary:Summary": package.description,
        "Description": package.description,
    }
    return _FIELD.sub(lambda m: values.get(m.group(1).split(";")[0], ""), fmt)
