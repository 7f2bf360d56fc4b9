"""Which CUDA toolkit a plan installs: `--cuda VERSION`, `latest` (the newest the driver and
every GPU here run) or `distro` (the distribution's nvidia-cuda-toolkit), resolved against the
driver branch, the GPUs, the OS release and what apt offers, with every refusal before anything
runs (exit 3, or exit 2 for a release that does not exist; one line each).

The rules (knowledge/cuda.py has the tables):
- a toolkit must run on the chosen driver branch natively, or through minor-version
  compatibility when the user accepts it (`--allow-cuda-compat`); across majors never (CUDA
  13.x needs branch 580);
- every GPU must be one the toolkit's major still compiles for (CUDA 13 dropped Maxwell,
  Pascal and Volta), and a generation needs its first toolkit (Blackwell: 12.8);
- from NVIDIA's repository only `cuda-toolkit-X-Y`, never `cuda`, `cuda-X-Y`, `cuda-drivers*`
  or `nvidia-open*` (they bring NVIDIA's own driver), and only for a release NVIDIA publishes
  for this OS release.
The Stack screen lists the releases with `cuda_options` and says the ceiling with
`ceiling_sentence`; plan/stack.py puts the toolkit into the whole stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from nvwizard.errors import RefusedError, UsageError
from nvwizard.knowledge import branches, cuda
from nvwizard.plan.models import Choices
from nvwizard.report.models import Report

LATEST = "latest"
DISTRO = "distro"


@dataclass(frozen=True, kw_only=True)
class CudaChoice:
    version: str  # "12.8"; the distribution's release for `distro` ("12.0"), "" when unknown
    source: str  # "nvidia-repo" or "distro"
    package: str  # "cuda-toolkit-12-8", "nvidia-cuda-toolkit"
    compat: bool = False  # the driver runs it only through minor-version compatibility
    installed: bool = False  # already installed from that source: nothing to install

    @property
    def major(self) -> int | None:
        return cuda.version_key(self.version)[0] if self.version else None

    @property
    def label(self) -> str:
        """ "12.8", "distro 12.0"."""
        return f"distro {self.version}".strip() if self.source == DISTRO else self.version


def _apt_was_read(report: Report) -> bool:
    return "apt" in report.driver_sources


def known_toolkits(report: Report, for_this_os: bool = True) -> list[str]:
    """The toolkit releases to choose from: what apt offers from NVIDIA's repository when it
    is configured, else the releases NVIDIA publishes (knowledge/cuda.py) for this OS release
    (all of them with `for_this_os=False`), newest last."""
    offered = report.stack.offers.cuda
    versions = offered or [t.version for t in cuda.TOOLKITS]
    release = cuda.repository_release(report.os_id, report.os_version)
    if for_this_os and release is not None and not offered:
        versions = [v for v in versions if cuda.in_repository(release, v)]
    return sorted(versions, key=cuda.version_key)


@dataclass(frozen=True)
class CudaOption:
    """One toolkit release as the Stack screen lists it for a driver branch."""

    version: str
    allowed: bool  # runs natively on the branch and compiles for every GPU here
    compat: bool  # runs only through minor-version compatibility
    reason: str  # why not allowed, or how it runs
    # Not the driver but a GPU rules it out, in a few words: "CUDA 13 dropped Pascal",
    # "Blackwell needs 12.8+"; None: the driver decides (or nothing rules it out).
    gpu_cannot: str | None = None


def cuda_options(report: Report, branch: int | None) -> list[CudaOption]:
    """Every known release, newest first, judged for this branch and these GPUs."""
    return [judge_toolkit(report, v, branch) for v in reversed(known_toolkits(report))]


def judge_toolkit(report: Report, version: str, branch: int | None) -> CudaOption:
    """Whether CUDA `version` runs here: every GPU first (a toolkit that dropped or predates
    one of them), then the driver branch (natively, through compatibility, or not at all)."""
    major = cuda.version_key(version)[0]
    dropped = cuda.unsupported_architectures(major, _architectures(report))
    if dropped:
        reason = f"CUDA {major} no longer compiles for {', '.join(dropped)}"
        return CudaOption(version, False, False, reason, f"CUDA {major} dropped {dropped[0]}")
    too_new = cuda.too_new_architectures(version, _architectures(report))
    if too_new:
        first = cuda.FIRST_CUDA[too_new[0]]
        reason = f"{too_new[0]} needs CUDA {first} or newer"
        return CudaOption(version, False, False, reason, f"{too_new[0]} needs {first}+")
    if branch is None:
        return CudaOption(version, True, False, "the driver branch is unknown")
    fit = cuda.driver_fit(version, branch)
    return CudaOption(version, fit.native, fit.compat, fit.reason)


def ceiling_sentence(branch: int | None) -> str:
    """The driver's CUDA ceiling in one sentence, for plans and the Stack screen."""
    if branch is None:
        return "The driver's branch is unknown, so its CUDA ceiling is too."
    ceiling = branches.highest_cuda(branch)
    if ceiling is None:
        return f"Branch {branch} is newer than nvwizard's tables: any current toolkit runs on it."
    major = ceiling.split(".", 1)[0]
    return (
        f"Branch {branch} runs toolkits up to CUDA {ceiling} (what nvidia-smi shows); a newer "
        f"{major}.x toolkit runs only through minor-version compatibility, a newer major not "
        "at all."
    )


def _architectures(report: Report) -> list[str]:
    return [g.architecture for g in report.gpus]


def _gpu_named(report: Report, generation: str) -> str:
    gpu = next(g for g in report.gpus if g.architecture == generation)
    return f"{gpu.name or gpu.pci_address} ({generation})"


def latest_cuda(report: Report, branch: int | None) -> str:
    for option in cuda_options(report, branch):
        if option.allowed:
            return option.version
    raise RefusedError(
        f"no CUDA toolkit runs on driver branch {branch} and every GPU here: "
        "choose a newer driver, or --cuda distro"
    )


def _check_toolkit(report: Report, choices: Choices, version: str, branch: int | None) -> bool:
    """Refuse a toolkit the driver or a GPU cannot run; True when it runs through minor-
    version compatibility (which the user accepted)."""
    major = cuda.version_key(version)[0]
    dropped = cuda.unsupported_architectures(major, _architectures(report))
    if dropped:
        oldest = cuda.OLDEST_ARCHITECTURE.get(major)
        raise RefusedError(
            f"CUDA {version} cannot build for {_gpu_named(report, dropped[0])}: CUDA {major} "
            f"supports {oldest} and newer only; choose --cuda {major - 1}.x (or --cuda latest)"
        )
    too_new = cuda.too_new_architectures(version, _architectures(report))
    if too_new:
        first = cuda.FIRST_CUDA[too_new[0]]
        raise RefusedError(
            f"CUDA {version} cannot build for {_gpu_named(report, too_new[0])}: {too_new[0]} "
            f"needs CUDA {first} or newer; choose --cuda {first} or newer (or --cuda latest)"
        )
    if branch is None:
        return False
    # `--cuda latest` is no way out where no toolkit offered here runs on this driver
    latest_runs = any(option.allowed for option in cuda_options(report, branch))
    return check_driver_fit(version, branch, choices.allow_cuda_compat, latest_runs)


def check_driver_fit(
    version: str, branch: int, allow_compat: bool, latest_runs: bool = True
) -> bool:
    """Refuse CUDA `version` on driver branch `branch` unless the driver runs it natively, or
    through minor-version compatibility that the user accepted (then True). Whatever the
    machine: `export` checks a named driver's ceiling with it too. `latest_runs`: whether
    `--cuda latest` would find a toolkit, so that the refusal may suggest it."""
    fit = cuda.driver_fit(version, branch)
    if fit.native:
        return False
    if fit.compat and allow_compat:
        return True
    hint = " (or add --allow-cuda-compat to accept it)" if fit.compat else ""
    ways = "--cuda latest or a newer driver" if latest_runs else "a newer driver"
    raise RefusedError(
        f"CUDA {version} on driver branch {branch}: {fit.reason}; choose {ways}{hint}"
    )


def _check_repository(report: Report, version: str) -> None:
    if version in report.stack.offers.cuda:
        return  # apt offers it already: the repository is there
    release = cuda.repository_release(report.os_id, report.os_version)
    os_name = report.os or f"{report.os_id} {report.os_version}"
    if release is None:
        raise RefusedError(
            f"NVIDIA's CUDA repository has no release for {os_name}: use --cuda distro "
            "(the distribution's nvidia-cuda-toolkit)"
        )
    last_major = release[1]
    if last_major is not None and cuda.version_key(version)[0] > last_major:
        raise RefusedError(
            f"NVIDIA publishes no CUDA {cuda.version_key(version)[0]} for {os_name} (its last "
            f"is CUDA {last_major}.x): choose --cuda {last_major}.x or a newer release"
        )
    first = cuda.REPOSITORY_FIRST_TOOLKIT.get(release[0])
    if not cuda.in_repository(release, version):
        raise RefusedError(
            f"NVIDIA's CUDA repository for {os_name} begins with CUDA {first}: it has no "
            f"CUDA {version}; choose --cuda {first} or newer, or --cuda distro"
        )


def check_cuda(wanted: str, known: list[str], source: str = "NVIDIA publishes") -> str:
    """The release `--cuda` names ("12.8.1" -> "12.8"), or a usage error when it is malformed
    or not among `known` (what `source` offers). Plan checks it against the machine's list,
    `export` against every release NVIDIA publishes (`check_cuda_option`)."""
    version = cuda.major_minor(wanted)
    if version is None:
        raise UsageError(f"--cuda {wanted!r}: expected a version such as 12.8, latest or distro")
    if version not in known:
        raise UsageError(
            f"--cuda {version}: no such toolkit ({source}: {cuda.compact_versions(known)})"
        )
    return version


def check_cuda_option(
    wanted: str | None, branch: int | None = None, allow_compat: bool = False
) -> None:
    """`--cuda` checked whatever the machine: `latest`, `distro` or a published release; and a
    release against the CUDA ceiling of driver branch `branch`, when the driver's name gives
    it (`latest` and `distro` depend on the machine's GPUs and apt: checked there)."""
    if wanted and wanted not in (LATEST, DISTRO):
        version = check_cuda(wanted, [t.version for t in cuda.TOOLKITS])
        if branch is not None:
            check_driver_fit(version, branch, allow_compat)


def resolve_cuda(report: Report, choices: Choices, branch: int | None) -> CudaChoice | None:
    wanted = choices.cuda
    if not wanted:
        return None
    if wanted == DISTRO:
        return _distro_cuda(report, choices, branch)
    source = "apt offers" if report.stack.offers.cuda else "NVIDIA publishes"
    known = known_toolkits(report, for_this_os=False)
    version = latest_cuda(report, branch) if wanted == LATEST else check_cuda(wanted, known, source)
    compat = _check_toolkit(report, choices, version, branch)
    _check_repository(report, version)
    installed = any(
        t.version == version and t.source == "nvidia-repo" for t in report.stack.cuda_toolkits
    )
    return CudaChoice(
        version=version,
        source="nvidia-repo",
        package=cuda.toolkit_package(version),
        compat=compat,
        installed=installed,
    )


def _distro_cuda(report: Report, choices: Choices, branch: int | None) -> CudaChoice:
    version = report.stack.offers.distro_cuda
    if version is None and _apt_was_read(report):
        raise UsageError(_no_distro_toolkit(report))
    compat = _check_toolkit(report, choices, version, branch) if version else False
    # installed at the release apt offers (an older one, after a release upgrade, is upgraded)
    installed = any(
        t.source == DISTRO and version in (None, t.version) for t in report.stack.cuda_toolkits
    )
    return CudaChoice(
        version=version or "",
        source=DISTRO,
        package=cuda.DISTRO_TOOLKIT,
        compat=compat,
        installed=installed,
    )


def _no_distro_toolkit(report: Report) -> str:
    """Why apt offers no nvidia-cuda-toolkit: its archive area is off, or it simply is not
    offered (this release's archive lacks it, or the package lists are stale)."""
    area = cuda.DISTRO_TOOLKIT_AREAS.get(report.os_id or "")
    enabled = report.stack.offers.distro_cuda_area
    start = f"--cuda distro: apt offers no {cuda.DISTRO_TOOLKIT} here"
    if area is not None and enabled is False:
        return f"{start}: the apt sources do not enable {area} (enable it, then apt-get update)"
    where = f" although the sources enable {area}" if area is not None and enabled else ""
    return (
        f"{start}{where}: the archive does not offer it (or the package lists are stale: "
        "apt-get update); use --cuda VERSION for NVIDIA's repository"
    )
