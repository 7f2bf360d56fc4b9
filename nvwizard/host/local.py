"""The machine nvwizard runs on: `LocalHost` produces each source of sources.py as a sysadmin
would see it, and starts commands for the engine.

Where each source comes from:
- files under /etc, /proc, /sys and /var: system_files.py;
- apt and dpkg (the driver stanzas, sources, holds): package_queries.py;
- processes and the session (GPU users, lock holders, SSH): processes.py;
- every other command's output, as it prints it (reading.py runs it). Which stream a source
  keeps: stdout only for most commands, `ubuntu-drivers` included (its noise, "udevadm hwdb is
  deprecated", goes to stderr); stdout then stderr for `mokutil --sb-state` and `nvidia-smi`,
  whose answer may be an error text ("EFI variables are not supported on this system",
  "Failed to initialize NVML").

The OS fields are read from os-release by distro (`os_release()`, os_release.py); the file's
text is the source os-release.txt. A source this machine cannot produce (a command not
installed, timed out, or failing without output) reads as None, with the reason in `missing`.
Each source is produced once per host, also when several threads ask: `prefetch(sources)`
produces several at once, each in its own thread, which `build_report` uses so the read-only
commands (dpkg, apt, ubuntu-drivers, nvidia-smi...) wait on the disk together instead of one
after the other.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from nvwizard import __version__
from nvwizard.host import (
    after_purge,
    kernel_log,
    package_queries,
    processes,
    stack_files,
    system_files,
)
from nvwizard.host.base import Host, RunningCommand
from nvwizard.host.cuda_sample import run_cuda_sample
from nvwizard.host.local_command import LocalCommand
from nvwizard.host.os_release import os_release_file, read_os_release
from nvwizard.host.reading import (
    COMMAND_TIMEOUT_S,
    CommandResult,
    StreamEnd,
    Unavailable,
    command_text,
    run_command,
    stream_command,
)

DPKG_QUERY_FORMAT = "${Package}\\t${Status}\\t${Version}\\n"

Producer = Callable[[], str | Unavailable]


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
        self._producers = self._producer_table()

    # -- the Host interface ------------------------------------------------------------------

    def read(self, source: str) -> str | None:
        with self._producing.setdefault(source, threading.Lock()):  # once, also from threads
            if source not in self._cache:
                self._cache[source] = self._produce(source)
        return self._cache[source]

    def os_release(self) -> dict[str, str] | None:
        return read_os_release(os_release_file(self.root))

    def prefetch(self, sources: Iterable[str]) -> None:
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

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None) -> RunningCommand:
        return LocalCommand(list(argv), {**os.environ, **(env or {})})

    def start_after_purge(
        self,
        argv: Sequence[str],
        purged: Collection[str],
        env: Mapping[str, str] | None = None,
        unheld: Collection[str] = (),
    ) -> RunningCommand:
        return after_purge.start_after_purge(self, argv, purged, env, unheld)

    def write_file(self, path: str, content: str, mode: int = 0o644) -> None:
        """Write `path` (under the root) atomically: a temporary file beside it, renamed."""
        target = system_files.under(self.root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.nvwizard-tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(content)
        os.chmod(temporary, mode)
        os.replace(temporary, target)

    # -- producing a source -------------------------------------------------------------------

    def _produce(self, source: str) -> str | None:
        producer = self._producers.get(source)
        result = producer() if producer else Unavailable("not a known source")
        if isinstance(result, Unavailable):
            self.missing[source] = result.reason
            return None
        return result

    def fresh(self) -> LocalHost:
        """This machine read anew: every source produced again when asked."""
        return LocalHost(str(self.root), self.timeout_s)

    def _run(self, argv: Sequence[str]) -> CommandResult | Unavailable:
        return run_command(argv, self.timeout_s)

    def _stream(
        self, argv: Sequence[str], on_line: Callable[[str], None]
    ) -> StreamEnd | Unavailable:
        return stream_command(argv, self.timeout_s, on_line)

    def _stdout(self, *argv: str) -> Producer:
        return lambda: command_text(argv, self.timeout_s)

    def _stdout_and_stderr(self, *argv: str) -> Producer:
        return lambda: command_text(argv, self.timeout_s, keep_stderr=True)

    def _producer_table(self) -> dict[str, Producer]:
        root = self.root
        return {
            "os-release.txt": lambda: system_files.os_release(root),
            "uname-r.txt": lambda: os.uname().release + "\n",
            "lspci-nn.txt": self._stdout("lspci", "-nn", "-k"),
            "sysfs-pci.txt": lambda: system_files.sysfs_pci(root),
            "ubuntu-drivers-devices.txt": self._stdout("ubuntu-drivers", "devices"),
            "ubuntu-drivers-list.txt": self._stdout("ubuntu-drivers", "list"),
            "dpkg-l.txt": self._stdout("dpkg", "-l"),
            "dpkg-query.txt": self._stdout("dpkg-query", "-W", f"-f={DPKG_QUERY_FORMAT}"),
            "dpkg-audit.txt": self._stdout("dpkg", "--audit"),
            "dpkg-updates.txt": lambda: system_files.dpkg_updates(root),
            "apt-mark-showhold.txt": lambda: package_queries.held_packages(
                self.read("dpkg-query.txt"), self._stdout("apt-mark", "showhold")
            ),
            "apt-cache-show.txt": lambda: package_queries.apt_cache_show(os.uname().release),
            "apt-sources.txt": lambda: package_queries.apt_sources(root),
            "nvidia-smi.txt": self._stdout_and_stderr("nvidia-smi"),
            "proc-driver-nvidia-version.txt": lambda: system_files.file_text(
                root, "/proc/driver/nvidia/version"
            ),
            "mokutil-sb-state.txt": self._stdout_and_stderr("mokutil", "--sb-state"),
            "lsmod.txt": lambda: system_files.lsmod(root),
            "reboot-required.txt": lambda: system_files.reboot_required(root),
            "reboot-required-pkgs.txt": lambda: system_files.reboot_required_pkgs(root),
            "df.txt": lambda: command_text(
                ["df", "-P", "-k", *system_files.mounts_for_df(root)], self.timeout_s
            ),
            "gpu-processes.txt": lambda: processes.gpu_processes(root),
            "dpkg-lock.txt": lambda: processes.dpkg_lock_holders(root),
            "session.txt": lambda: processes.session(root, self._run),
            "gpu-services.txt": lambda: processes.gpu_services(self._run),
            "proc-fb.txt": lambda: system_files.file_text(root, "/proc/fb"),
            "run-installer.txt": lambda: system_files.run_installer(root),
            "modinfo-nvidia.txt": self._stdout("modinfo", "nvidia"),
            "dkms-status.txt": self._stdout("dkms", "status"),
            "dpkg-architecture.txt": self._stdout("dpkg", "--print-architecture"),
            "apt-preferences.txt": lambda: stack_files.config_files(
                root, stack_files.APT_PREFERENCES, stack_files.APT_PREFERENCES_DROP_INS
            ),
            "cuda-toolkits.txt": lambda: stack_files.cuda_toolkits(root),
            "nvcc-version.txt": lambda: stack_files.nvcc_versions(root, self.timeout_s),
            "cudnn-version.txt": lambda: stack_files.cudnn_header(root),
            "nvidia-ctk-version.txt": self._stdout("nvidia-ctk", "--version"),
            "docker-info.txt": self._stdout_and_stderr("docker", "info"),
            "docker-daemon-json.txt": lambda: system_files.file_text(
                root, "/etc/docker/daemon.json"
            ),
            "containerd-config.txt": lambda: stack_files.config_files(
                root, stack_files.CONTAINERD_CONFIG, stack_files.CONTAINERD_DROP_INS
            ),
            "crio-config.txt": lambda: stack_files.config_files(
                root, stack_files.CRIO_CONFIG, stack_files.CRIO_DROP_INS
            ),
            "kernel-log.txt": lambda: kernel_log.kernel_log(self._stream),
            "cuda-sample.txt": lambda: run_cuda_sample(root),
            "machine.txt": machine_description,
        }


def machine_description() -> str:
    """machine.txt for a capture of this machine."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    name = socket.gethostname()
    return (
        f"name={name}\n"
        f"title=captured from {name}\n"
        f"captured_at={now}\n"
        f"hostname={name}\n"
        f"nvwizard_version={__version__}\n"
    )
