"""The developer stack a plan adds after the driver: which CUDA toolkit (`--cuda VERSION`,
`latest`, `distro`: plan/cuda_toolkit.py chooses it), cuDNN (`--cudnn`) and the container
toolkit (`--container-toolkit`), and every refusal before anything runs (exit 3, one line each).

The rules beside the toolkit's (knowledge/cuda.py has the tables):
- from NVIDIA's repository only `cuda-toolkit-X-Y` and `cudnn9-cuda-X`, never `cuda`,
  `cuda-X-Y`, `cuda-drivers*` or `nvidia-open*` (they bring NVIDIA's own driver);
- cuDNN needs a toolkit: the one asked for, or the one installed;
- the container toolkit asked for while the purge removes it (`--also-purge`, or autoremove)
  is installed again after the driver, fresh: the purge's choice wins over "installed";
  purged and not asked for, the runtimes wired to it keep their nvidia entry: a warning.
plan/stack_steps.py turns the choice into steps.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection
from dataclasses import dataclass, field

from nvwizard.errors import RefusedError
from nvwizard.knowledge import containers as ctk
from nvwizard.knowledge import cuda
from nvwizard.plan.cuda_toolkit import DISTRO, CudaChoice, resolve_cuda
from nvwizard.plan.models import Choices
from nvwizard.report.models import Report
from nvwizard.report.wording import COMMAND_LINE, FrontEndWords


@dataclass(frozen=True, kw_only=True)
class StackChoice:
    """What the stack adds, resolved against this machine."""

    cuda: CudaChoice | None
    cudnn: str | None  # the cuDNN package to install ("cudnn9-cuda-12"); None: none
    cudnn_installed: bool = False
    container_toolkit: bool = False  # install it (False: not asked, or installed already)
    runtimes: list[str] = field(default_factory=list)  # to configure and restart
    warnings: list[str] = field(default_factory=list)

    @property
    def packages(self) -> list[str]:
        """What the stack installs, in order; nothing already installed."""
        found = []
        if self.cuda is not None and not self.cuda.installed:
            found.append(self.cuda.package)
        if self.cudnn and not self.cudnn_installed:
            found.append(self.cudnn)
        if self.container_toolkit:
            found.append(ctk.TOOLKIT_PACKAGE)
        return found

    @property
    def from_cuda_repository(self) -> list[str]:
        """The packages only NVIDIA's CUDA repository has."""
        return [p for p in self.packages if p != ctk.TOOLKIT_PACKAGE and p != cuda.DISTRO_TOOLKIT]


def wants_stack(choices: Choices) -> bool:
    return bool(choices.cuda or choices.cudnn or choices.container_toolkit)


# -- the whole stack ---------------------------------------------------------------------------


def _cudnn(report: Report, toolkit: CudaChoice | None) -> tuple[str, bool]:
    """The cuDNN package for the toolkit asked for, or the one installed; and whether that
    cuDNN is installed already."""
    major = toolkit.major if toolkit is not None else None
    if major is None and toolkit is None:
        majors = [cuda.version_key(t.version)[0] for t in report.stack.cuda_toolkits]
        major = max(majors) if majors else None
    if major is None:
        if toolkit is not None:
            raise RefusedError(
                "--cudnn needs the toolkit's CUDA major, and apt was not asked which "
                "nvidia-cuda-toolkit it offers: add --cuda VERSION instead of --cuda distro"
            )
        raise RefusedError(
            "--cudnn needs a CUDA toolkit, and none is installed or asked for: add --cuda "
            "VERSION (or --cuda latest)"
        )
    return cuda.cudnn_package(major), cudnn_installed(report, major)


def cudnn_installed(report: Report, cuda_major: int) -> bool:
    """cuDNN 9 for this CUDA major is installed, as dpkg's package names say: its library
    (libcudnn9-cuda-X) or its metapackage (cudnn9-cuda-X). cuDNN 8 built for the same CUDA
    (libcudnn8, its version ending +cudaX.Y) is not the cuDNN 9 `--cudnn` installs; and a
    machine may have cuDNN for several CUDA majors, of which detect names one."""
    wanted = {f"lib{cuda.cudnn_package(cuda_major)}", cuda.cudnn_package(cuda_major)}
    names = {p.name for p in report.installed_packages if p.state in ("ii", "hi")}
    if report.stack.cudnn is not None:
        names.add(report.stack.cudnn.package)
    return bool(wanted & names)


def _toolkit_version(report: Report, toolkit: CudaChoice | None) -> str:
    """The CUDA release cuDNN goes with: the toolkit asked for, else the newest installed;
    "" when unknown."""
    if toolkit is not None:
        return toolkit.version
    installed = [t.version for t in report.stack.cuda_toolkits if t.version]
    return max(installed, key=cuda.version_key) if installed else ""


def container_toolkit_purged(report: Report, purged: Collection[str]) -> bool:
    """The container toolkit is installed and the purge removes it (`purged`: what the purge
    and its autoremove take): asked for, it is installed again, not left as installed."""
    return report.stack.container_toolkit is not None and ctk.TOOLKIT_PACKAGE in purged


def unwired_runtimes_warning(
    report: Report, purged: Collection[str], reinstalled: bool, words: FrontEndWords = COMMAND_LINE
) -> str:
    """The container toolkit goes and nothing installs it again, but the runtimes wired to it
    (`nvidia-ctk runtime configure`) keep their nvidia entry, which then names a runtime that is
    gone: what to do about it, in the front end's `words`. "" when no runtime is wired to it, or
    it stays or comes back."""
    installed = report.stack.container_toolkit
    if installed is None or reinstalled or not container_toolkit_purged(report, purged):
        return ""
    wired = [r for name in installed.runtimes_configured if (r := ctk.runtime(name)) is not None]
    if not wired:
        return ""
    where = " and ".join(f"{r.what}'s {r.config}" for r in wired)
    keeps = "keeps" if len(wired) == 1 else "keep"
    restart = shlex.join(["systemctl", "restart", *(r.service for r in wired)])
    return (
        f"{ctk.TOOLKIT_PACKAGE} is purged and not installed again, but {where} {keeps} the "
        "nvidia runtime `nvidia-ctk runtime configure` added: containers that ask for it (all "
        "of them, where it is the default runtime) fail once the toolkit is gone. Remove that "
        f"nvidia entry, then `{restart}`. Or keep the toolkit: "
        f"{words.keep_container_toolkit.format(toolkit=ctk.TOOLKIT_PACKAGE)}."
    )


def choose_stack(
    report: Report, choices: Choices, branch: int | None, purged: Collection[str] = ()
) -> StackChoice | None:
    """The stack for these choices on this machine; None when none was asked for. Raises
    RefusedError (exit 3) or UsageError (exit 2) before anything runs. `purged`: what the
    plan's purge and autoremove take (the container toolkit among them is installed again)."""
    if not wants_stack(choices):
        return None
    warnings: list[str] = []
    toolkit = resolve_cuda(report, choices, branch)
    if toolkit is not None and toolkit.compat and branch is not None:
        warnings.append(
            f"CUDA {toolkit.version} was accepted on branch {branch} through minor-version "
            f"compatibility: {cuda.driver_fit(toolkit.version, branch).reason}."
        )
    elif (
        toolkit is not None and toolkit.version and branch is not None and choices.allow_cuda_compat
    ):
        # said, not dropped in silence, as an --accept not needed is
        warnings.append(
            f"Not needed: --allow-cuda-compat (branch {branch} runs CUDA {toolkit.version} "
            "natively)"
        )
    if toolkit is not None and toolkit.source == DISTRO and not toolkit.version:
        warnings.append(
            f"apt was not asked what {cuda.DISTRO_TOOLKIT} it offers: its version, and so "
            "whether the driver runs it, shows in apt's simulation."
        )
    cudnn, cudnn_installed = _cudnn(report, toolkit) if choices.cudnn else (None, False)
    if cudnn is not None and not cudnn_installed:
        linking = cuda.cudnn_static_linking_note(_toolkit_version(report, toolkit))
        warnings += [linking] if linking else []
    runtimes: list[str] = []
    install_container = False
    if choices.container_toolkit:
        installed = report.stack.container_toolkit
        install_container = installed is None or container_toolkit_purged(report, purged)
        if installed is not None and install_container:
            warnings.append(
                f"{ctk.TOOLKIT_PACKAGE} is purged, then installed again after the driver: its "
                "configuration files return to the packaged ones (the runtimes keep their "
                "nvidia entry)."
            )
        done = installed.runtimes_configured if installed else []
        runtimes = [r for r in report.stack.container_runtimes if r not in done]
        if not report.stack.container_runtimes:
            warnings.append(
                "No container runtime (Docker, containerd, CRI-O) is installed: the container "
                "toolkit is installed, and `nvidia-ctk runtime configure` must run once one is."
            )
        for name in runtimes:
            found = ctk.runtime(name)
            if found is not None:
                warnings.append(
                    f"Restarting {found.what} ({found.service}) after configuring it stops its "
                    "running containers, unless they are set to restart (or live-restore is on)."
                )
    if architecture_unknown(report) and (toolkit or cudnn) and report.stack.offers.cuda == []:
        warnings.append(
            "The machine's architecture is unknown (no dpkg-architecture.txt): the CUDA "
            "keyring for x86_64 is planned."
        )
    return StackChoice(
        cuda=toolkit,
        cudnn=cudnn,
        cudnn_installed=cudnn_installed,
        container_toolkit=install_container,
        runtimes=runtimes,
        warnings=warnings,
    )


def architecture_unknown(report: Report) -> bool:
    return report.stack.architecture is None
