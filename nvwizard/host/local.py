"""The machine nvwizard runs on: files, sysfs, /proc and read-only commands.

`read(source)` produces each source of sources.py the way a sysadmin would see it. Commands
run as argv lists (never a shell) with a timeout and the C.UTF-8 locale, so the parsers see
English output. Which stream a source keeps:
- stdout only: most commands, and `ubuntu-drivers` (its noise, "udevadm hwdb is deprecated",
  goes to stderr);
- stdout then stderr: `mokutil --sb-state` and `nvidia-smi`, whose answer may be an error
  text ("EFI variables are not supported on this system", "Failed to initialize NVML").
A command that is not installed, times out, or prints nothing and fails is recorded in
`missing` (source -> reason) and its source reads as None. Every source is produced once per
host instance.

apt is slow to start where its binary cache is off (each `apt-cache` call re-reads the package
lists), so apt is asked as little as possible: one `apt-cache pkgnames` filtered here, and the
held packages (`apt-mark-showhold.txt`) are the "hold" selections in dpkg-query's Status
column, the same list `apt-mark showhold` prints, whenever dpkg-query answered (a capture
writes that derived list). `prefetch()` runs the read-only commands of several sources at once.
"""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from nvwizard import __version__
from nvwizard.host import after_purge
from nvwizard.host.base import Host, OutputLine, RunningCommand

COMMAND_TIMEOUT_S = 30
READ_ENV = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "COLUMNS": "200"}
DPKG_QUERY_FORMAT = "${Package}\\t${Status}\\t${Version}\\n"
DPKG_LOCKS = (
    "/var/lib/dpkg/lock-frontend",
    "/var/lib/dpkg/lock",
    "/var/lib/apt/lists/lock",
    "/var/cache/apt/archives/lock",
)
# NVIDIA packages worth an `apt-cache show`: the driver stack a plan may install.
APT_DRIVER_PACKAGE = re.compile(
    r"^(nvidia-(driver|utils|headless|headless-no-dkms|dkms|kernel-common|kernel-source|"
    r"compute-utils|firmware|fabricmanager)-\d.*"
    r"|libnvidia-(compute|nscq)-\d.*"
    r"|cuda-drivers(-\d+)?)$"
)
# The sources a detection reads that come from commands (the rest are quick file reads).
DETECTION_COMMAND_SOURCES = (
    "apt-cache-show.txt",
    "dpkg-query.txt",
    "dpkg-audit.txt",
    "ubuntu-drivers-devices.txt",
    "ubuntu-drivers-list.txt",
    "lspci-nn.txt",
    "nvidia-smi.txt",
    "mokutil-sb-state.txt",
    "session.txt",
    "df.txt",
)
# linux-modules-nvidia-<flavour>-<kernel>: keep the running kernel's and the meta packages
# (`-generic`, `-generic-hwe-24.04`); skip the hundreds built for other kernel versions.
APT_MODULES_PACKAGE = re.compile(r"^linux-modules-nvidia-\d+(-server)?(-open)?-(?P<rest>.+)$")
# The same choice as one POSIX extended regular expression for `apt-cache show` (see
# apt_show_pattern; tests/host check that both agree).
_APT_SHOW_DRIVER = (
    "nvidia-(driver|utils|headless|headless-no-dkms|dkms|kernel-common|kernel-source|"
    "compute-utils|firmware|fabricmanager)-[0-9].*"
    "|libnvidia-(compute|nscq)-[0-9].*"
    "|cuda-drivers(-[0-9]+)?"
)


@dataclass(frozen=True)
class CommandResult:
    stdout: str
    stderr: str
    exit_code: int


class LocalHost(Host):
    kind = "local"
    label = "this machine"

    def __init__(self, root: str = "/", timeout_s: float = COMMAND_TIMEOUT_S):
        # `root` only moves the file reads (/etc, /proc, /sys, /var): tests point it elsewhere.
        self.root = Path(root)
        self.timeout_s = timeout_s
        self.missing: dict[str, str] = {}
        self._cache: dict[str, str | None] = {}
        self._producing: dict[str, threading.Lock] = {}
        self._producers: dict[str, Callable[[], str | None]] = {
            "os-release.txt": self._os_release,
            "uname-r.txt": lambda: os.uname().release + "\n",
            "lspci-nn.txt": lambda: self._stdout("lspci-nn.txt", ["lspci", "-nn", "-k"]),
            "sysfs-pci.txt": self._sysfs_pci,
            "ubuntu-drivers-devices.txt": lambda: self._stdout(
                "ubuntu-drivers-devices.txt", ["ubuntu-drivers", "devices"]
            ),
            "ubuntu-drivers-list.txt": lambda: self._stdout(
                "ubuntu-drivers-list.txt", ["ubuntu-drivers", "list"]
            ),
            "dpkg-l.txt": lambda: self._stdout("dpkg-l.txt", ["dpkg", "-l"]),
            "dpkg-query.txt": lambda: self._stdout(
                "dpkg-query.txt", ["dpkg-query", "-W", f"-f={DPKG_QUERY_FORMAT}"]
            ),
            "dpkg-audit.txt": lambda: self._stdout("dpkg-audit.txt", ["dpkg", "--audit"]),
            "dpkg-updates.txt": self._dpkg_updates,
            "apt-mark-showhold.txt": self._held_packages,
            "apt-cache-show.txt": self._apt_cache_show,
            "apt-sources.txt": self._apt_sources,
            "nvidia-smi.txt": lambda: self._both("nvidia-smi.txt", ["nvidia-smi"]),
            "proc-driver-nvidia-version.txt": lambda: self._file(
                "proc-driver-nvidia-version.txt", "/proc/driver/nvidia/version"
            ),
            "mokutil-sb-state.txt": lambda: self._both(
                "mokutil-sb-state.txt", ["mokutil", "--sb-state"]
            ),
            "lsmod.txt": self._lsmod,
            "reboot-required.txt": self._reboot_required,
            "df.txt": self._df,
            "gpu-processes.txt": self._gpu_processes,
            "dpkg-lock.txt": self._dpkg_lock,
            "session.txt": self._session,
            "run-installer.txt": self._run_installer,
            "modinfo-nvidia.txt": lambda: self._stdout("modinfo-nvidia.txt", ["modinfo", "nvidia"]),
            "dkms-status.txt": lambda: self._stdout("dkms-status.txt", ["dkms", "status"]),
            "machine.txt": self._machine,
        }

    # -- the Host interface ------------------------------------------------------------------

    def read(self, source: str) -> str | None:
        with self._producing.setdefault(source, threading.Lock()):  # once, also from threads
            if source not in self._cache:
                producer = self._producers.get(source)
                self._cache[source] = producer() if producer else None
                if producer is None:
                    self.missing[source] = "not a known source"
        return self._cache[source]

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        return LocalCommand(list(argv), {**os.environ, **(env or {})})

    def start_after_purge(
        self,
        argv: Sequence[str],
        purged: Collection[str],
        env: Mapping[str, str] | None = None,
    ) -> RunningCommand:
        return after_purge.start_after_purge(self, argv, purged, env)

    def prefetch(self, sources: Iterable[str] = DETECTION_COMMAND_SOURCES) -> None:
        """Produce these sources at once, each in its own thread (each command keeps its
        timeout): the commands wait on the disk and on apt, rarely on each other."""
        wanted = [s for s in dict.fromkeys(sources) if s not in self._cache]
        threads = [
            threading.Thread(target=self.read, args=(source,), name=f"read-{source}")
            for source in wanted
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # -- helpers ----------------------------------------------------------------------------

    def _path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    def run(self, argv: list[str], timeout_s: float | None = None) -> CommandResult | str:
        """Run a read-only command: its result, or a string saying why it could not run."""
        try:
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout_s or self.timeout_s,
                env={**os.environ, **READ_ENV},
            )
        except FileNotFoundError:
            return f"command not found: {argv[0]}"
        except PermissionError:
            return f"not allowed to run {argv[0]}"
        except subprocess.TimeoutExpired:
            return f"`{' '.join(argv)}` timed out after {timeout_s or self.timeout_s:g} s"
        except OSError as error:
            return f"{argv[0]}: {error.strerror or error}"
        return CommandResult(_decode(done.stdout), _decode(done.stderr), done.returncode)

    def _command(self, source: str, argv: list[str], keep_stderr: bool) -> str | None:
        result = self.run(argv)
        if isinstance(result, str):
            self.missing[source] = result
            return None
        text = result.stdout + (result.stderr if keep_stderr else "")
        if result.exit_code != 0 and not text.strip():
            first = (result.stderr.strip().splitlines() or [""])[0]
            self.missing[source] = f"`{' '.join(argv)}` failed (exit {result.exit_code}) {first}"
            return None
        return text

    def _stdout(self, source: str, argv: list[str]) -> str | None:
        return self._command(source, argv, keep_stderr=False)

    def _both(self, source: str, argv: list[str]) -> str | None:
        return self._command(source, argv, keep_stderr=True)

    def _file(self, source: str, absolute: str) -> str | None:
        try:
            return _decode(self._path(absolute).read_bytes())
        except FileNotFoundError:
            self.missing[source] = f"{absolute} does not exist"
        except OSError as error:
            self.missing[source] = f"{absolute}: {error.strerror or error}"
        return None

    # -- files and /proc --------------------------------------------------------------------

    def _os_release(self) -> str | None:
        text = self._file("os-release.txt", "/etc/os-release")
        if text is None:
            text = self._file("os-release.txt", "/usr/lib/os-release")
            if text is not None:
                self.missing.pop("os-release.txt", None)
        return text

    def _reboot_required(self) -> str | None:
        text = self._file("reboot-required.txt", "/var/run/reboot-required")
        if text is None:
            self.missing["reboot-required.txt"] = "absent: no reboot is pending"
        return text

    def _dpkg_updates(self) -> str | None:
        folder = self._path("/var/lib/dpkg/updates")
        try:
            names = sorted(os.listdir(folder))
        except OSError as error:
            self.missing["dpkg-updates.txt"] = f"{folder}: {error.strerror or error}"
            return None
        return "".join(f"{name}\n" for name in names)

    def _lsmod(self) -> str | None:
        # `lsmod` only formats /proc/modules; reading it directly works without kmod installed.
        text = self._file("lsmod.txt", "/proc/modules")
        if text is None:
            return None
        lines = ["Module                  Size  Used by"]
        for row in text.splitlines():
            fields = row.split()
            if len(fields) < 4:
                continue
            name, size, refs, users = fields[:4]
            users = users.strip("-").rstrip(",")
            lines.append(f"{name:<19} {size:>8}  {refs} {users}".rstrip())
        return "\n".join(lines) + "\n"

    def _sysfs_pci(self) -> str | None:
        devices = self._path("/sys/bus/pci/devices")
        try:
            addresses = sorted(os.listdir(devices))
        except OSError as error:
            self.missing["sysfs-pci.txt"] = f"{devices}: {error.strerror or error}"
            return None
        lines = []
        for address in addresses:
            folder = devices / address
            fields = [address]
            for key in ("class", "vendor", "device", "modalias"):
                value = _read_small(folder / key)
                if value is not None:
                    fields.append(f"{key}={value}")
            driver = folder / "driver"
            if driver.is_symlink():
                fields.append(f"driver={os.path.basename(os.readlink(driver))}")
            lines.append(" ".join(fields))
        return "".join(f"{line}\n" for line in lines)

    def _apt_sources(self) -> str | None:
        files = [self._path("/etc/apt/sources.list")]
        folder = self._path("/etc/apt/sources.list.d")
        if folder.is_dir():
            files += sorted(folder.glob("*.list")) + sorted(folder.glob("*.sources"))
        lines: list[str] = []
        for file in files:
            text = _read_small(file, strip=False)
            if text is None:
                continue
            if file.suffix == ".sources":
                lines += deb822_to_one_line(text)
            else:
                lines += [
                    s.strip()
                    for s in text.splitlines()
                    if s.strip() and not s.lstrip().startswith("#")
                ]
        return "".join(f"{line}\n" for line in lines)

    def _run_installer(self) -> str:
        # Empty text means "looked, found no trace of NVIDIA's .run installer".
        lines = []
        for trace in ("/usr/bin/nvidia-uninstall", "/usr/bin/nvidia-installer"):
            if self._path(trace).exists():
                lines.append(trace)
        log = self._path("/var/log/nvidia-installer.log")
        head = _read_small(log, strip=False, limit=4000)
        if head is not None:
            lines.append("/var/log/nvidia-installer.log")
            lines += [f"  {line}" for line in head.splitlines()[:15]]
        return "".join(f"{line}\n" for line in lines)

    # -- commands that need a little assembly -----------------------------------------------

    def _df(self) -> str | None:
        mounts = [p for p in ("/", "/var", "/boot") if self._path(p).exists()]
        return self._stdout("df.txt", ["df", "-P", "-k", *mounts])

    def _apt_cache_show(self) -> str | None:
        # One apt call: `apt-cache show` selects the names by a regular expression itself.
        result = self.run(["apt-cache", "show", apt_show_pattern(os.uname().release)], 120)
        if isinstance(result, str):
            self.missing["apt-cache-show.txt"] = result
            return None
        if result.exit_code != 0 and not result.stdout.strip():
            if "No packages found" in result.stderr:
                return ""  # apt answered: it offers none of them
            first = (result.stderr.strip().splitlines() or [""])[0]
            self.missing["apt-cache-show.txt"] = f"apt-cache show failed: {first}"
            return None
        return result.stdout  # purely virtual names only add stderr notes

    def _held_packages(self) -> str | None:
        query = self.read("dpkg-query.txt")
        if query is None:
            return self._stdout("apt-mark-showhold.txt", ["apt-mark", "showhold"])
        return "".join(f"{name}\n" for name in held_in_dpkg_query(query))

    def _session(self) -> str:
        display = self.run(["systemctl", "is-active", "display-manager"])
        target = self.run(["systemctl", "get-default"])
        pid1 = _read_small(self._path("/proc/1/comm"))
        values = {
            "ssh": "yes" if _over_ssh() else "no",
            "display_manager": "yes"
            if isinstance(display, CommandResult) and display.stdout.strip() == "active"
            else "no",
            "default_target": target.stdout.strip() if isinstance(target, CommandResult) else "",
            "systemd": "yes" if pid1 == "systemd" else "no",
        }
        return "".join(f"{key}={value}\n" for key, value in values.items())

    # -- processes (psutil and /proc) -------------------------------------------------------

    def _gpu_processes(self) -> str:
        import psutil

        lines = []
        for proc in psutil.process_iter(["pid", "name", "username"]):
            devices = _nvidia_devices_open(self._path(f"/proc/{proc.pid}/fd"))
            if not devices:
                continue
            numbered = [d for d in devices if re.fullmatch(r"/dev/nvidia\d+", d)]
            device = ",".join(numbered or devices[:1])
            user = proc.info.get("username") or ""
            lines.append(f"{proc.pid}\t{proc.info.get('name') or '?'}\t{user}\t{device}")
        return "".join(f"{line}\n" for line in lines)

    def _dpkg_lock(self) -> str | None:
        # Only report who holds a lock: never open, take or delete the lock files.
        locks = _read_small(self._path("/proc/locks"), strip=False)
        if locks is None:
            self.missing["dpkg-lock.txt"] = "/proc/locks is not readable"
            return None
        by_inode: dict[tuple[int, int, int], str] = {}
        for lock in DPKG_LOCKS:
            try:
                st = os.stat(self._path(lock))
            except OSError:
                continue
            by_inode[(os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)] = lock
        lines = []
        for pid, key in parse_proc_locks(locks):
            if key in by_inode:
                lines.append(f"{pid}\t{_process_name(pid)}\t{by_inode[key]}")
        return "".join(f"{line}\n" for line in dict.fromkeys(lines))

    def _machine(self) -> str:
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        return (
            f"name={socket.gethostname()}\n"
            f"title=captured from {socket.gethostname()}\n"
            f"captured_at={now}\n"
            f"hostname={socket.gethostname()}\n"
            f"nvwizard_version={__version__}\n"
        )


class LocalCommand(RunningCommand):
    """A child process whose stdout, stderr and (for apt) status pipe are read concurrently.

    When argv asks apt for `-o APT::Status-Fd=3`, the child gets a pipe on fd 3 and its lines
    arrive as stream "status". posix_spawn places the pipes on exact descriptor numbers,
    which subprocess cannot do for fd 3.
    """

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.argv = argv
        streams = ["stdout", "stderr"] + (["status"] if wants_status_fd(argv) else [])
        pipes = {stream: os.pipe() for stream in streams}
        actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)]
        for number, stream in enumerate(streams, start=1):
            actions.append((os.POSIX_SPAWN_DUP2, pipes[stream][1], number))
        try:
            self.pid = os.posix_spawnp(argv[0], argv, env, file_actions=actions)
        except OSError:
            for read_end, _ in pipes.values():
                os.close(read_end)
            raise
        finally:
            for _, write_end in pipes.values():
                os.close(write_end)
        self._queue: queue.Queue[OutputLine | None] = queue.Queue()
        self._open_streams = len(streams)
        self._exit_code: int | None = None
        for stream, (read_end, _) in pipes.items():
            threading.Thread(
                target=self._pump, args=(stream, read_end), daemon=True, name=f"pump-{stream}"
            ).start()

    def _pump(self, stream: str, fd: int) -> None:
        with open(fd, "rb") as pipe:
            for raw in pipe:
                self._queue.put(OutputLine(stream, _decode(raw).rstrip("\r\n")))
        self._queue.put(None)

    def lines(self) -> Iterator[OutputLine]:
        while self._open_streams:
            item = self._queue.get()
            if item is None:
                self._open_streams -= 1
            else:
                yield item

    def wait(self) -> int:
        if self._exit_code is None:
            _, status = os.waitpid(self.pid, 0)
            self._exit_code = os.waitstatus_to_exitcode(status)
        return self._exit_code


# -- small pure helpers (tested directly) -----------------------------------------------------


def wants_status_fd(argv: Sequence[str]) -> bool:
    """True when argv passes apt `-o APT::Status-Fd=3` (as two arguments or one)."""
    for i, arg in enumerate(argv):
        option = arg[2:] if arg.startswith("-o") and len(arg) > 2 else None
        if arg == "-o" and i + 1 < len(argv):
            option = argv[i + 1]
        if option is not None and option.replace(" ", "").lower() == "apt::status-fd=3":
            return True
    return False


def parse_proc_locks(text: str) -> list[tuple[int, tuple[int, int, int]]]:
    """(pid, (major, minor, inode)) per lock line of /proc/locks; '->' waiters skipped."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or "->" in fields:
            continue
        try:
            pid = int(fields[4])
            major, minor, inode = fields[5].split(":")
            found.append((pid, (int(major, 16), int(minor, 16), int(inode))))
        except ValueError:
            continue
    return found


def deb822_to_one_line(text: str) -> list[str]:
    """deb822 `.sources` stanzas as one-line `deb [opts] URI suite components` entries."""
    lines = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        options = f" [signed-by={fields['signed-by']}]" if "signed-by" in fields else ""
        options = "" if options.startswith(" [signed-by=-----") else options
        for kind in fields.get("types", "").split():
            for uri in fields.get("uris", "").split():
                for suite in fields.get("suites", "").split():
                    lines.append(f"{kind}{options} {uri} {suite} {fields.get('components', '')}")
    return [line.rstrip() for line in lines]


def apt_show_pattern(kernel: str) -> str:
    """The packages worth an `apt-cache show`: the driver stack, the kernel modules for this
    kernel and the meta packages, and this kernel's headers."""
    release = re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", kernel)
    # A meta package's rest ("generic", "generic-hwe-24.04", "generic-hwe-22.04-edge") has at
    # most one dot: "open-5.15.0-1-generic" is another kernel's package, not a meta one.
    meta = r"[^0-9][^.]*(\.[0-9]+(-[a-z]+)?)?"
    modules = f"linux-modules-nvidia-[0-9]+(-server)?(-open)?-({release}|{meta})"
    return f"^({_APT_SHOW_DRIVER}|{modules}|linux-headers-{release})$"


def held_in_dpkg_query(text: str) -> list[str]:
    """Packages whose dpkg selection is "hold" (Status `hold ok installed`), from dpkg-query
    lines `<package>\t<status>\t<version>`: what `apt-mark showhold` lists."""
    held = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[1].split()[:1] == ["hold"]:
            held.append(fields[0])
    return held


def _wanted_modules_package(name: str, kernel: str) -> bool:
    match = APT_MODULES_PACKAGE.match(name)
    if not match:
        return False
    rest = match.group("rest")
    return rest == kernel or not rest[0].isdigit()


def _nvidia_devices_open(fd_folder: Path) -> list[str]:
    try:
        fds = os.listdir(fd_folder)
    except OSError:  # gone, or another user's process without root
        return []
    devices = set()
    for fd in fds:
        try:
            target = os.readlink(fd_folder / fd)
        except OSError:
            continue
        if target.startswith("/dev/nvidia"):
            devices.add(target)
    return sorted(devices, key=_natural_key)


def _natural_key(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _process_name(pid: int) -> str:
    import psutil

    try:
        return psutil.Process(pid).name()
    except (psutil.Error, OSError):
        return "?"


def _over_ssh() -> bool:
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return True
    # sudo drops SSH_* variables: look for sshd among our ancestors instead.
    import psutil

    try:
        for parent in psutil.Process().parents():
            if parent.name() in ("sshd", "sshd-session"):
                return True
    except (psutil.Error, OSError):
        pass
    return False


def _read_small(path: Path, strip: bool = True, limit: int = 1 << 20) -> str | None:
    try:
        with open(path, "rb") as file:
            text = _decode(file.read(limit))
    except OSError:
        return None
    return text.strip() if strip else text


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
