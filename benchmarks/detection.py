"""2. Detection: `nvwizard detect --json` on a demo bundle and on this machine, beside a bare
`python -c pass`, and whether the command-line path imports Textual.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from benchmarks.measure import REPO_ROOT, child_env, median, python_argv, time_command
from benchmarks.table import Row, verdict

TARGET_EXTRA_S = 0.3

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


def default_sources(
    scratch: Path, this_machine: bool = True
) -> list[tuple[str, list[str], dict[str, str]]]:
    sources = [("demo hgx-h100", ["--demo"], {})]
    if this_machine:
        sources += [
            ("this machine", [], {}),
            ("this machine, apt binary cache on", [], apt_binary_cache_env(scratch)),
        ]
    return sources


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


def measure(repetitions: int, this_machine: bool = True) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="nvwbench-apt-") as scratch:
        sources = default_sources(Path(scratch), this_machine)
        for _, machine, env in sources:
            time_detect(machine, 1, **env)  # warm the page cache (and apt's binary cache)
        bare: list[float] = []
        timed: dict[str, list[float]] = {label: [] for label, _, _ in sources}
        for _ in range(repetitions):  # interleaved: drift hits every figure alike
            bare.append(time_command(python_argv("-c", "pass")))
            for label, machine, env in sources:
                timed[label] += time_detect(machine, 1, **env)
    baseline = median(bare)
    rows = []
    for label, _, _ in sources:
        value = median(timed[label])
        extra = value - baseline
        rows.append(
            Row(
                "detection",
                f"detect --json, {label} (median of {repetitions})",
                f"{value:.3f} s (+{extra:.3f} s)",
                f"python -c pass {baseline:.3f} s",
                f"< +{TARGET_EXTRA_S} s",
                verdict(extra < TARGET_EXTRA_S),
            )
        )
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
