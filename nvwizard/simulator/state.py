"""The simulated machine's state: everything it changed since it was its bundle, as one object.

A `MachineState` belongs to whoever built the `SimulatedMachine` (the host selection for a
command, the wizard for its session); nothing here is global. It holds
- `files`: the bundle sources the machine rewrote (dpkg-query.txt after an install, nvidia-smi.txt
  after a boot, ...); None marks a source that is gone. Sources not in it are read from the
  bundle as captured;
- what no bundle file records: which packages were installed automatically, the enabled and
  running units, a scheduled reboot and when it comes due, whether the simulated lock holder
  has finished, and every boot.

`StateFile` saves it to and loads it from one JSON file (a demo's, in the state directory), so
a demo machine lives on across nvwizard processes: install, reboot, then verify, as on a real
machine. Saving is atomic (a temporary file renamed over the old one); a file that is not such
a state is refused in one line, never half trusted.

Two processes must never both change one saved machine (the second would overwrite the
first's changes with a machine it loaded before them). So the file is written only under the
state directory's apply lock (nvwizard/host/file_lock.py; an apply holds it throughout, any
other change takes it for the moment of writing), and only when it still holds what this
process last loaded or saved: otherwise the change is refused in one line (exit 3).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from nvwizard.errors import RefusedError, UsageError
from nvwizard.host import file_lock
from nvwizard.host.record_files import UnusableFile, read_capped

FORMAT = "nvwizard-simulated-machine/1"


@dataclass(frozen=True)
class LoadedNvidia:
    """The nvidia kernel module a boot loaded."""

    version: str  # "595.58.03"
    open: bool
    path: str  # "/lib/modules/<kernel>/kernel/nvidia-595-server-open/nvidia.ko"
    signed_by_canonical: bool


@dataclass(frozen=True)
class BootResult:
    """What the simulated machine came up with."""

    kernel: str
    module: LoadedNvidia | None
    nouveau: bool
    why_no_module: str | None  # set when no nvidia module loaded
    smi: str  # "table", "no-driver", "mismatch", "no-devices" or "not-installed"
    at: float | None = None  # time.time() when the boot was simulated

    def summary(self) -> str:
        """One line for the person watching: "booted 6.8.0-94-generic: nvidia 580.95.05 (open)"."""
        if self.module is not None:
            flavour = "open" if self.module.open else "proprietary"
            loaded = f"nvidia {self.module.version} ({flavour}) loaded"
        else:
            loaded = f"no nvidia module ({self.why_no_module})"
        nouveau = ", nouveau loaded" if self.nouveau else ""
        return f"booted {self.kernel}: {loaded}{nouveau}; nvidia-smi: {self.smi}"

    def to_json(self) -> dict[str, Any]:
        module = self.module
        return {
            "kernel": self.kernel,
            "module": None
            if module is None
            else {
                "version": module.version,
                "open": module.open,
                "path": module.path,
                "signed_by_canonical": module.signed_by_canonical,
            },
            "nouveau": self.nouveau,
            "why_no_module": self.why_no_module,
            "smi": self.smi,
            "at": self.at,
        }

    @classmethod
    def from_json(cls, obj: Any) -> BootResult:
        module = _field(obj, "module", (dict, type(None)))
        return cls(
            kernel=_field(obj, "kernel", str),
            module=None
            if module is None
            else LoadedNvidia(
                version=_field(module, "version", str),
                open=_field(module, "open", bool),
                path=_field(module, "path", str),
                signed_by_canonical=_field(module, "signed_by_canonical", bool),
            ),
            nouveau=_field(obj, "nouveau", bool),
            why_no_module=_field(obj, "why_no_module", (str, type(None))),
            smi=_field(obj, "smi", str),
            at=_boot_time(obj),
        )


def _boot_time(obj: Any) -> float | None:
    """A boot's time; None in machines saved before boots had one."""
    at = obj.get("at") if isinstance(obj, dict) else None
    return float(at) if isinstance(at, (int, float)) and not isinstance(at, bool) else None


@dataclass
class MachineState:
    """What the simulated machine changed since it was its bundle (see the module docstring)."""

    files: dict[str, str | None] = field(default_factory=dict)
    auto: set[str] | None = None  # automatically installed packages (None: not guessed yet)
    enabled_units: set[str] = field(default_factory=set)
    active_units: set[str] = field(default_factory=set)
    scheduled_reboot: str | None = None  # "+1", "23:30": what `shutdown -r` was given
    reboot_due_at: float | None = None  # time.time() when it comes due, at the demo's pace
    lock_released: bool = False  # the simulated lock holder has finished
    boots: list[BootResult] = field(default_factory=list)  # in order

    @property
    def changed(self) -> bool:
        """Whether anything differs from the bundle as captured."""
        return bool(self.files or self.boots or self.scheduled_reboot or self.enabled_units)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "files": dict(sorted(self.files.items())),
            "auto": None if self.auto is None else sorted(self.auto),
            "enabled_units": sorted(self.enabled_units),
            "active_units": sorted(self.active_units),
            "scheduled_reboot": self.scheduled_reboot,
            "reboot_due_at": self.reboot_due_at,
            "lock_released": self.lock_released,
            "boots": [boot.to_json() for boot in self.boots],
        }

    @classmethod
    def from_json(cls, obj: Any) -> MachineState:
        """The state `to_json` wrote; ValueError (saying what is wrong) for anything else."""
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} object")
        files = _field(obj, "files", dict)
        if not all(
            isinstance(k, str) and isinstance(v, (str, type(None))) for k, v in files.items()
        ):
            raise ValueError("'files' must map source names to text or null")
        auto = _field(obj, "auto", (list, type(None)))
        due = _field(obj, "reboot_due_at", (int, float, type(None)))
        boots = _field(obj, "boots", list)
        return cls(
            files=dict(files),
            auto=None if auto is None else set(_names(auto, "auto")),
            enabled_units=set(_names(_field(obj, "enabled_units", list), "enabled_units")),
            active_units=set(_names(_field(obj, "active_units", list), "active_units")),
            scheduled_reboot=_field(obj, "scheduled_reboot", (str, type(None))),
            reboot_due_at=None if due is None or isinstance(due, bool) else float(due),
            lock_released=_field(obj, "lock_released", bool),
            boots=[BootResult.from_json(boot) for boot in boots],
        )


def _field(obj: Any, key: str, kinds: type | tuple[type, ...]) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ValueError(f"{key!r} is missing")
    value = obj[key]
    if not isinstance(value, kinds):
        raise ValueError(f"{key!r} has the wrong type ({type(value).__name__})")
    return value


def _names(values: list, key: str) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key!r} must be a list of names")
    return values


class Machine(Protocol):
    """The simulated machine as its handlers see it (a `SimulatedMachine` is one): its files,
    the bundle's with the changes on top, and its state."""

    state: MachineState

    def read(self, source: str) -> str | None:
        """A source as the machine's commands show it (apt-cache show: what it is asked for)."""
        ...

    def stored(self, source: str) -> str | None:
        """A source as stored (apt-cache-show.txt: everything the simulated apt offers)."""
        ...

    def os_release(self) -> Mapping[str, str]:
        """The machine's os-release fields (ID, VERSION_ID, ...; empty when it has none)."""
        ...

    def write(self, source: str, text: str | None) -> None:
        """Replace what later reads of `source` return (None: the source is gone)."""


class StateFile:
    """One simulated machine's state on disk (a demo's: `<state dir>/demo-machines/<name>.json`),
    written under the lock file `lock` (the state directory's apply lock) when one is given."""

    def __init__(self, path: str | Path, lock: str | Path | None = None):
        self.path = Path(path)
        self.lock = Path(lock) if lock is not None else None
        # The file's text as this object last loaded or saved it (None: there was no file);
        # _UNREAD until then.
        self._known: str | None | object = _UNREAD

    def load(self) -> MachineState | None:
        """The saved state; None when nothing was saved. A damaged or unreadable file:
        UsageError (one line)."""
        text = self._read_text()
        self._known = text
        if text is None:
            return None
        try:
            return MachineState.from_json(json.loads(text))
        except ValueError as error:  # json.JSONDecodeError is one
            raise self._damaged(str(error)) from None

    def save(self, state: MachineState) -> None:
        """Replace the file atomically: a reader sees the old state or the new, never half.
        RefusedError (one line) when another process holds the lock or changed the file."""
        text = json.dumps(state.to_json(), indent=1, ensure_ascii=False) + "\n"
        with self._writing():
            self.refuse_if_changed_elsewhere()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._known = text

    def refuse_if_changed_elsewhere(self) -> None:
        """RefusedError when the file no longer holds what this object loaded or saved:
        another nvwizard process changed the machine since (saving would lose its changes)."""
        if self._known is _UNREAD or self._read_text() == self._known:
            return
        raise RefusedError(
            f"the demo machine saved in {self.path} was changed by another nvwizard process "
            "since this one read it; nothing more is changed here: run the command again "
            "to go on from its changes"
        )

    def _writing(self) -> contextlib.AbstractContextManager[None]:
        if self.lock is None:
            return contextlib.nullcontext()
        return _holding(self.lock, self.path)

    def _read_text(self) -> str | None:
        """The file's text; None when there is none. A FIFO, a device, or more than nvwizard
        writes is damaged, never opened or waited on (host/record_files.py, as for the state
        file and the journal)."""
        try:
            return read_capped(self.path).decode("utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None  # nothing saved (a state directory that is no folder is said on writing)
        except UnicodeDecodeError:
            raise self._damaged("not UTF-8 text") from None
        except UnusableFile as error:
            raise self._damaged(str(error)) from None
        except OSError as error:
            raise UsageError(
                f"cannot read the saved demo machine {self.path} ({error.strerror or error}); "
                "make it readable, or delete it to start again from the bundle"
            ) from None

    def _damaged(self, why: str) -> UsageError:
        return UsageError(
            f"the saved demo machine {self.path} is damaged ({why}); "
            "delete it to start again from the bundle"
        )


_UNREAD = object()


@contextlib.contextmanager
def _holding(lock: Path, path: Path) -> Iterator[None]:
    try:
        with file_lock.holding(lock):
            yield
    except file_lock.LockTaken:
        raise RefusedError(
            f"the demo machine saved in {path} is being changed by another nvwizard apply "
            f"(it holds {lock}): wait for it to end (`nvwizard status`), then run this again"
        ) from None
