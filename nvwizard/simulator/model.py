"""The machine as the simulator sees it: packages installed and offered, read from the machine's
files (the bundle's, with its changes) at the start of each command and written back after each
change."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection, Sequence
from functools import lru_cache
from typing import TypeVar

from nvwizard.detect.apt_cache import parse_apt_cache_show
from nvwizard.detect.apt_preferences import parse_apt_preferences
from nvwizard.detect.apt_sources import parse_apt_source_entries
from nvwizard.detect.dpkg import parse_dpkg_l, parse_dpkg_query, parse_showhold
from nvwizard.detect.misc import parse_lock_holders
from nvwizard.detect.models import LockHolder
from nvwizard.detect.mokutil import parse_sb_state
from nvwizard.knowledge.packages import is_nvidia_related
from nvwizard.simulator.output import render_audit, render_dpkg_l, render_dpkg_query_rows
from nvwizard.simulator.packages import Alternatives, Installed, Offer
from nvwizard.simulator.stack_files import refresh_files
from nvwizard.simulator.state import Machine, MachineState

REBOOT_REQUIRED_TEXT = "*** System restart required ***\n"

Parsed = TypeVar("Parsed")


@lru_cache(maxsize=16)
def _parsed(parse: Callable[[str], Sequence[Parsed]], text: str) -> tuple[Parsed, ...]:
    """A listing parsed once per text: every command builds a model anew from the same files,
    and parsing thousands of packages each time made a simulation cost ~0.2 s. The parsed
    entries are frozen; the model builds its own mutable records from them."""
    return tuple(parse(text))


class MachineModel:
    """Packages installed and offered, read from the machine's files, written back after each
    change. `state` is the machine's own (what no file records)."""

    def __init__(self, machine: Machine):
        self.machine = machine
        self.state: MachineState = machine.state
        self.installed: dict[str, Installed] = {}
        self.offers: dict[str, Offer] = {}
        self._load()

    # -- reading the bundle --

    def _load(self) -> None:
        read = self.machine.read
        listed = _parsed(parse_dpkg_l, read("dpkg-l.txt") or "")
        queried = _parsed(parse_dpkg_query, read("dpkg-query.txt") or "")
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
        pinned_out = nvidia_pinned_out(read("apt-preferences.txt"))
        for package in _parsed(
            parse_apt_cache_show, self.machine.stored("apt-cache-show.txt") or ""
        ):
            if package.origin == "NVIDIA" and pinned_out(package.package):
                continue  # an apt pin below 0: apt has no candidate for it
            # apt-cache show lists the candidate first when several versions are offered
            self.offers.setdefault(package.package, Offer.from_apt(package))
        self.kernel = (read("uname-r.txt") or "").strip() or "unknown"
        self.os = self.machine.os_release()
        self.lock_holders = parse_lock_holders(read("dpkg-lock.txt") or "")
        self.sources = parse_apt_source_entries(read("apt-sources.txt") or "")
        if self.state.auto is None:
            self.state.auto = self._guess_auto()

    def _guess_auto(self) -> set[str]:
        """NVIDIA packages some other installed package depends on: pulled in automatically.

        The bundle does not say what was installed automatically; only NVIDIA-related names
        are guessed, so an autoremove never takes the base system."""
        needed: set[str] = set()
        for name in self.installed:
            for group in self.dependencies(name):
                needed.update(group)
        return {n for n in needed if n in self.installed and (is_nvidia_related(n) or n == "dkms")}

    def forget(self, names: Collection[str]) -> None:
        """Drop these packages from this model only, as a purge would (never saved)."""
        for name in names:
            self.installed.pop(name, None)

    def release_holds(self, names: Collection[str]) -> None:
        """Release these packages' holds in this model only, as `apt-mark unhold` would
        (never saved: a simulation of what comes after a plan's repair step)."""
        for name in names:
            if name in self.installed and self.installed[name].want == "h":
                self.installed[name].want = "i"

    # -- questions --

    @property
    def auto(self) -> set[str]:
        """Automatically installed packages (autoremove's candidates)."""
        assert self.state.auto is not None
        return self.state.auto

    def dependencies(self, name: str) -> tuple[Alternatives, ...]:
        """What the offered version of `name` depends on (nothing when apt does not offer it)."""
        offer = self.offers.get(name)
        return offer.depends if offer else ()

    def provides(self, name: str) -> tuple[str, ...]:
        offer = self.offers.get(name)
        return offer.provides if offer else ()

    def rows(self) -> list[Installed]:
        """The installed packages by name, as dpkg lists them."""
        return sorted(self.installed.values(), key=lambda p: p.name)

    def present(self) -> set[str]:
        """Names of the packages with files on disk (not merely config files)."""
        return {n for n, p in self.installed.items() if p.present}

    def unfinished(self) -> list[str]:
        """Names of the packages dpkg did not finish with, sorted."""
        return sorted(n for n, p in self.installed.items() if p.unfinished)

    def interrupted(self) -> bool:
        """Whether dpkg was interrupted mid-run (apt then refuses to work)."""
        updates = (self.machine.read("dpkg-updates.txt") or "").strip()
        return bool(updates) or any(p.status == "H" for p in self.installed.values())

    def satisfied(self, group: Alternatives, names: set[str]) -> bool:
        """Whether one alternative of a dependency is among `names` or provided by one."""
        if any(alt in names for alt in group):
            return True
        return any(alt in self.provides(n) for n in names for alt in group)

    def frontend_lock_holder(self) -> LockHolder | None:
        """The process holding dpkg's frontend lock, until the simulated holder has finished."""
        holders = [h for h in self.lock_holders if h.lock_path.endswith("lock-frontend")]
        if not holders or self.state.lock_released:
            return None
        return holders[0]

    def archive(self) -> tuple[str, str]:
        """(archive URL, suite) for Get: lines, from the bundle's apt sources."""
        codename = self.os.get("VERSION_CODENAME") or "noble"
        archives = []
        for source in self.sources:
            if source.kind == "deb" and re.search(r"ubuntu|debian", source.uri):
                archives.append((source.uri_key, source.suite))
        archives.sort(key=lambda a: not a[1].endswith("-updates"))
        if archives:
            return archives[0]
        suite = f"{codename}-updates" if self.os.get("ID") == "ubuntu" else codename
        return "http://archive.ubuntu.com/ubuntu", suite

    def download_from(self, offer: Offer) -> tuple[str, str]:
        """(archive URL, suite) the Get: line of `offer` names, as apt names the suite the
        version comes from. Debian's archives tell theirs apart by path: the security archive
        keeps its packages under pool/updates/, the release and its -updates suite share one
        pool (the recorded indices hold nothing of -updates: the release's suite). Ubuntu's
        share one pool too: archive()'s -updates suite names them all."""
        if self.os.get("ID") != "debian":
            return self.archive()
        codename = self.os.get("VERSION_CODENAME") or "bookworm"
        if offer.filename.startswith("pool/updates/"):
            wanted, fallback = f"{codename}-security", "http://security.debian.org/debian-security"
        else:
            wanted, fallback = codename, "http://deb.debian.org/debian"
        for source in self.sources:
            if source.kind == "deb" and source.suite == wanted:
                return source.uri_key, wanted
        return fallback, wanted

    def release(self) -> str:
        """ "Ubuntu:24.04/noble-updates", as apt's simulation lines name the archive."""
        origin = (self.os.get("NAME") or "Ubuntu").split()[0]
        version = self.os.get("VERSION_ID") or ""
        codename = self.os.get("VERSION_CODENAME") or "noble"
        # unlike archive(), a bundle without an ID here counts as Ubuntu
        suite = f"{codename}-updates" if self.os.get("ID", "ubuntu") == "ubuntu" else codename
        return f"{origin}:{version}/{suite}"

    # -- writing back --

    def secure_boot_enabled(self) -> bool:
        return parse_sb_state(self.machine.read("mokutil-sb-state.txt") or "") == "enabled"

    def write_back(self, source: str, text: str | None) -> None:
        """Replace a file's text (None: remove it); later reads and a re-detect see it."""
        self.machine.write(source, text)

    def save(self) -> None:
        """Write the package database back into the bundle files a re-detect reads."""
        rows = self.rows()
        self.write_back("dpkg-query.txt", render_dpkg_query_rows(rows))
        self.write_back("dpkg-l.txt", render_dpkg_l(rows))
        self.write_back(
            "apt-mark-showhold.txt", "".join(f"{p.name}\n" for p in rows if p.want == "h")
        )
        self.write_back("dpkg-audit.txt", render_audit(rows))
        if not any(p.status == "H" for p in rows):
            self.write_back("dpkg-updates.txt", "")
        refresh_files(self.machine, {p.name: p.version for p in rows if p.present})

    def mark_reboot_required(self, asked_by: list[str]) -> None:
        """As update-notifier's notify-reboot-required, which the packages' postinst calls:
        the flag file, and each asking package's name appended to reboot-required.pkgs once."""
        self.write_back("reboot-required.txt", REBOOT_REQUIRED_TEXT)
        named = (self.machine.read("reboot-required-pkgs.txt") or "").splitlines()
        named += [name for name in asked_by if name not in named]
        self.write_back("reboot-required-pkgs.txt", "".join(f"{n}\n" for n in named) or None)


def nvidia_pinned_out(preferences: str | None) -> Callable[[str], bool]:
    """Whether an apt pin below 0 on NVIDIA's repository covers a package name."""
    globs = [
        g
        for pin in parse_apt_preferences(preferences or "")
        if pin.priority < 0 and ("o=NVIDIA" in pin.pin or "nvidia.com" in pin.pin)
        for g in pin.packages
    ]
    return lambda name: any(fnmatch.fnmatchcase(name, g) for g in globs)
