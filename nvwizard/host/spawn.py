"""Start a process that outlives the terminal: the detached apply worker.

Over SSH, closing the terminal sends SIGHUP to the session and a dropped connection kills the
shell's process tree. The worker must be outside both:
- where PID 1 is systemd and `systemd-run` exists, it runs as a transient service
  (`systemd-run --unit nvwizard-apply-<id> --collect`), as Ubuntu's server installer does:
  systemd is its parent, and `journalctl -u` / `systemctl status` see it too;
- elsewhere (containers, tests) it is started in a new session (setsid) with stdin from
  /dev/null and stdout/stderr appended to a file in the journal directory.

A transient unit starts with systemd's environment, not ours: the variables in
`PASSED_ENVIRONMENT` are handed over with `--setenv` (apt/dpkg configuration, nvwizard's
places, proxies, locale, PATH, PYTHONPATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nvwizard.errors import NvwizardError

SYSTEMD_RUN = "systemd-run"
SETSID = "setsid"

PASSED_ENVIRONMENT = (
    "PATH",
    "PYTHONPATH",
    "APT_CONFIG",
    "DPKG_ADMINDIR",
    "DPKG_ROOT",
    "DPKG_FORCE",
    "NVWIZARD_LOG_DIR",
    "NVWIZARD_STATE_DIR",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
)


@dataclass
class DetachedProcess:
    method: str  # "systemd-run" or "setsid"
    unit: str | None = None  # the transient unit's name (systemd-run only)
    pid: int | None = None  # the worker's pid (setsid only; systemd's child has its own)
    output: Path | None = None  # where its stdout/stderr go
    _popen: subprocess.Popen | None = field(default=None, repr=False)

    def exit_code(self) -> int | None:
        """The worker's exit code once it ended (setsid only), else None."""
        return self._popen.poll() if self._popen is not None else None


def systemd_is_init() -> bool:
    try:
        return Path("/proc/1/comm").read_text(encoding="ascii").strip() == "systemd"
    except OSError:
        return False


def detach_method() -> str:
    """How a detached worker starts on this machine: "systemd-run" or "setsid"."""
    if systemd_is_init() and shutil.which(SYSTEMD_RUN):
        return SYSTEMD_RUN
    return SETSID


def passed_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
    env.update(extra or {})
    return env


def systemd_run_argv(
    argv: Sequence[str], unit: str, env: Mapping[str, str], output: Path
) -> list[str]:
    command = [
        SYSTEMD_RUN,
        "--unit",
        unit,
        "--collect",  # unload the unit after it ends, even when it failed
        "--quiet",
        "--description=nvwizard: apply a driver plan",
        "--property=Type=exec",
        f"--property=StandardOutput=append:{output}",
        f"--property=StandardError=append:{output}",
        # Stopping the unit must not kill dpkg mid-transaction: only the worker gets SIGTERM
        # (it then finishes the running step and stops).
        "--property=KillMode=mixed",
        "--property=TimeoutStopSec=infinity",
        "--working-directory=/",
    ]
    command += [f"--setenv={name}={value}" for name, value in sorted(env.items())]
    return command + ["--", *argv]


def start_detached(
    argv: Sequence[str],
    unit: str,
    output: Path,
    env: Mapping[str, str] | None = None,
    method: str | None = None,
) -> DetachedProcess:
    """Start `argv` outside this terminal's session; `env` adds to the passed environment."""
    method = method or detach_method()
    output.parent.mkdir(parents=True, exist_ok=True)
    full_env = passed_environment(env)
    if method == SYSTEMD_RUN:
        completed = subprocess.run(
            systemd_run_argv(argv, unit, full_env, output),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            reason = (completed.stderr or completed.stdout).strip().splitlines()
            raise NvwizardError(
                f"systemd-run could not start {unit}: {reason[-1] if reason else 'no reason'}"
            )
        return DetachedProcess(method=method, unit=unit, output=output)
    with open(output, "ab") as sink:
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # setsid(): no controlling terminal, no SIGHUP from it
            cwd="/",
            env={**os.environ, **full_env},
            close_fds=True,
        )
    return DetachedProcess(method=method, pid=popen.pid, output=output, _popen=popen)
