"""2. Detection: `nvwizard detect --json` beside a bare `python -c pass`, and whether the
command-line path imports Textual.

Where it runs: a demo bundle; this machine as it is (no NVIDIA GPU: apt is not asked); and
this machine with a fake NVIDIA GPU on its PCI bus (fake_gpu.py), where detection asks apt
for the driver stanzas. The live figures come with apt's binary cache off (as in Debian's
container images) and on (as on an Ubuntu server), and that `apt-cache show` is timed alone
too, so what nvwizard adds beyond apt shows.

Every figure is the median of interleaved repeats (one of each per round, so drift on a shared
machine hits all alike) with its min and max; the sources are compiled first, as a pip install
does.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import fake_gpu
from benchmarks.measure import (
    REPO_ROOT,
    child_env,
    median,
    precompile,
    python_argv,
    spread,
    time_command,
)
from benchmarks.table import INFO, Row, verdict
from nvwizard.host.apt_show_query import apt_show_argv
from nvwizard.host.reading import READ_ENV

TARGET_EXTRA_S = 0.3
APT_EXIT_CODES = (0, 100)  # 100: "No packages found" (apt offers none of them here)

# Runs `detect --json --demo` in-process, then lists the UI modules it imported.
_UI_IMPORT_CHECK = """
import contextlib, io, sys
from nvwizard.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["detect", "--json", "--demo"])
ui = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
print(code, len(sys.modules), " ".join(ui[:5]))
"""


def detect_argv(*machine: str) -> list[str]:
    return python_argv("-m", "nvwizard", "detect", "--json", *machine)


def time_detect(machine: list[str], repetitions: int, **env: str) -> list[float]:
    return [time_command(detect_argv(*machine), child_env(**env)) for _ in range(repetitions)]


def apt_binary_cache_env(scratch: Path) -> dict[str, str]:
    """APT_CONFIG turning apt's binary cache back on, as Ubuntu servers have it.

    Debian's container images switch it off (apt.conf.d/docker-clean), so every apt-cache
    call there re-reads all package lists. APT_CONFIG is read before the parts directory, so
    it points apt at a copy of the parts without those lines.
    """
    parts = scratch / "apt.conf.d"
    parts.mkdir(exist_ok=True)
    for part in Path("/etc/apt/apt.conf.d").glob("*"):
        if part.is_file():
            kept = [line for line in part.read_text(errors="replace").splitlines()
                    if "pkgcache" not in line]  # fmt: skip
            (parts / part.name).write_text("\n".join(kept) + "\n", encoding="utf-8")
    config = scratch / "apt.conf"
    config.write_text(
        f'Dir::Etc::parts "{parts}";\n'
        f'Dir::Cache::pkgcache "{scratch}/pkgcache.bin";\n'
        f'Dir::Cache::srcpkgcache "{scratch}/srcpkgcache.bin";\n',
        encoding="utf-8",
    )
    return {"APT_CONFIG": str(config)}


@dataclass(frozen=True)
class Case:
    """One timed command: what it is, its argv and environment, and how it is judged."""

    label: str
    argv: list[str]
    env: dict[str, str]
    judged: str  # "bare": against python -c pass; "beyond apt": minus the apt case `apt`
    apt: str = ""  # the label of the apt-alone case to subtract
    exit_codes: tuple[int, ...] = (0,)
    times: list[float] = field(default_factory=list)

    def run(self) -> None:
        self.times.append(time_command(self.argv, self.env, self.exit_codes))


def cases(scratch: Path, this_machine: bool = True) -> list[Case]:
    demo = Case("detect --json, demo bundle", detect_argv("--demo"), child_env(), "bare")
    if not this_machine:
        return [demo]
    apt_on = apt_binary_cache_env(scratch)
    root = str(fake_gpu.make_root(scratch))
    gpu_argv = python_argv("-m", "benchmarks.fake_gpu", root)
    apt_argv = apt_show_argv(os.uname().release)
    apt_env = {**os.environ, **READ_ENV}
    found = [demo]
    for cache, extra in (("off", {}), ("on", apt_on)):
        apt_label = f"apt-cache show of the driver stanzas alone, apt cache {cache}"
        found += [
            Case(
                f"detect --json, this machine, no NVIDIA GPU, apt cache {cache}",
                detect_argv(),
                child_env(**extra),
                "bare",
            ),
            Case(
                f"detect --json, this machine with a fake NVIDIA GPU, apt cache {cache}",
                gpu_argv,
                child_env(**extra),
                "beyond apt",
                apt=apt_label,
            ),
            Case(apt_label, apt_argv, {**apt_env, **extra}, "alone", exit_codes=APT_EXIT_CODES),
        ]
    return found


def ui_modules_imported() -> tuple[int, list[str]]:
    """(modules loaded, Textual/Rich modules among them) after `detect --json --demo`."""
    completed = subprocess.run(
        python_argv("-c", _UI_IMPORT_CHECK),
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    code, count, *ui = completed.stdout.split()
    if code != "0":
        raise RuntimeError(f"detect --json --demo exited {code}: {completed.stderr}")
    return int(count), ui


def case_row(case: Case, bare_s: float, by_label: dict[str, Case]) -> Row:
    value = median(case.times)
    runs = f"median of {len(case.times)}"
    if case.judged == "alone":
        return Row("detection", f"{case.label} ({runs})", spread(case.times), "", "", INFO)
    if case.judged == "beyond apt":
        apt_s = median(by_label[case.apt].times)
        own = value - bare_s - apt_s
        return Row(
            "detection",
            f"{case.label} ({runs})",
            f"{spread(case.times)}: +{value - bare_s:.3f} s, of which apt {apt_s:.3f} s",
            f"python -c pass {bare_s:.3f} s",
            f"< +{TARGET_EXTRA_S} s beyond apt",
            verdict(own < TARGET_EXTRA_S),
        )
    return Row(
        "detection",
        f"{case.label} ({runs})",
        f"{spread(case.times)}: +{value - bare_s:.3f} s",
        f"python -c pass {bare_s:.3f} s",
        f"< +{TARGET_EXTRA_S} s",
        verdict(value - bare_s < TARGET_EXTRA_S),
    )


def measure(repetitions: int, this_machine: bool = True) -> list[Row]:
    precompile()
    with tempfile.TemporaryDirectory(prefix="nvwbench-detect-") as scratch:
        timed = cases(Path(scratch), this_machine)
        bare = Case("python -c pass", python_argv("-c", "pass"), child_env(), "bare")
        for case in timed:
            case.run()  # warm the page cache (and build apt's binary cache): not counted
            case.times.clear()
        for _ in range(repetitions):  # interleaved: drift hits every figure alike
            bare.run()
            for case in timed:
                case.run()
    bare_s = median(bare.times)
    by_label = {case.label: case for case in timed}
    rows = [case_row(case, bare_s, by_label) for case in timed]
    modules, ui = ui_modules_imported()
    rows.append(
        Row(
            "detection",
            "detect --json imports Textual/Rich",
            "no" if not ui else "yes: " + ", ".join(ui),
            f"{modules} modules loaded",
            "no",
            verdict(not ui),
        )
    )
    return rows
