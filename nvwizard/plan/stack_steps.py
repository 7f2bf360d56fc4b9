"""The developer stack's steps, after the driver's: the apt pin, the repositories (only where
apt does not offer the packages yet), a simulation that must leave the driver alone, one
install per component, and for the container toolkit `nvidia-ctk runtime configure` and a
restart per runtime, each its own visible step.

The order keeps the driver safe at every point: the pin is written before NVIDIA's CUDA
repository is added, so even the first `apt-get update` cannot make its driver packages a
candidate; the stack-check step asks apt (`apt-get -s`) what the stack would install once the
repositories are there, and the engine stops the plan if that includes any driver package.
"""

from __future__ import annotations

import shlex

from nvwizard.knowledge import containers as ctk
from nvwizard.knowledge import cuda
from nvwizard.plan import models as pm
from nvwizard.plan.apt import apt_get
from nvwizard.plan.cuda_toolkit import DISTRO
from nvwizard.plan.models import Choices, FileWrite, Step
from nvwizard.plan.stack import StackChoice
from nvwizard.report.models import DriverCandidate, Report

DEFAULT_ARCHITECTURE = "amd64"
CURL = ["curl", "-fsSL", "--retry", "3", "-o"]
# What a repository step installs from the distribution's archive first, where dpkg has no curl
# (both in Debian's and Ubuntu's main; the plan's simulation checks apt offers them).
REPOSITORY_TOOLS = ("curl", "ca-certificates")


def driver_source_words(report: Report) -> str:
    return "Debian's archive" if report.os_id == "debian" else "the Ubuntu archive"


def needs_cuda_repository(report: Report, stack: StackChoice) -> bool:
    """Some package comes only from NVIDIA's CUDA repository and apt does not offer it yet."""
    offered = set(report.stack.offers.cuda)
    offered_cudnn = {cuda.cudnn_package(m) for m in report.stack.offers.cudnn_cuda_majors}
    for package in stack.from_cuda_repository:
        version = cuda.parse_toolkit_package(package)
        if version is not None and version not in offered:
            return True
        if version is None and package not in offered_cudnn:
            return True
    return False


def needs_container_repository(report: Report, stack: StackChoice) -> bool:
    return stack.container_toolkit and not report.stack.offers.container_toolkit


def driver_needs_pin(report: Report, candidate: DriverCandidate | None) -> bool:
    """NVIDIA's CUDA repository is configured (its keyring or a source), no pin keeps its driver
    packages out, and the driver comes from the distribution's archive (`candidate`: the
    chosen driver as offered; None when no source listed it: nvwizard installs the archive's
    names). The driver's plan then writes the pin before anything is installed, so neither
    this install nor a later upgrade can take the repository's driver packages (DOMAIN.md)."""
    if not report.stack.cuda_repo or report.stack.cuda_repo_driver_pin:
        return False
    return candidate is None or candidate.source == "distro"


def needs_pin(report: Report, stack: StackChoice) -> bool:
    """The stack takes packages from NVIDIA's CUDA repository, which is not configured yet,
    while the driver is the distribution's (always so for a driver nvwizard installs), and no
    pin keeps them out yet. Where the repository is configured already, the driver's part of
    the plan decides (`driver_needs_pin`), before the driver is installed."""
    return (
        bool(stack.from_cuda_repository)
        and not report.stack.cuda_repo_driver_pin
        and not report.stack.cuda_repo
    )


def pin_step(report: Report) -> Step:
    source = f"the driver comes from {driver_source_words(report)}"
    if report.stack.cuda_repo:
        source = f"NVIDIA's CUDA repository is configured here, and {source}"
    return Step(
        id="cuda-pin",
        title="Keep NVIDIA's CUDA repository from supplying the driver",
        why=f"{source[0].upper()}{source[1:]}: an apt pin at -1 on the CUDA repository's driver "
        "packages (cuda-drivers, nvidia-open, nvidia-driver-*, libnvidia-compute-* ...) means "
        "no install or upgrade can switch the driver's source.",
        commands=[],
        writes=(
            FileWrite(path=cuda.PIN_FILE, content=cuda.pin_file_text(driver_source_words(report))),
        ),
        changes_system=True,
        on_failure=f"Write {cuda.PIN_FILE} by hand (the plan shows its content), then apply again.",
        kind=pm.PIN,
    )


def _curl_first(report: Report, choices: Choices, done: list[bool]) -> list[list[str]]:
    """`apt-get install curl ca-certificates` once, where dpkg shows no curl."""
    if report.stack.curl is False and not done:
        done.append(True)
        return [apt_get(choices, "install", "--no-install-recommends", *REPOSITORY_TOOLS)]
    return []


def cuda_repository_step(report: Report, choices: Choices, curl_done: list[bool]) -> Step:
    release = cuda.repository_release(report.os_id, report.os_version)
    distro = release[0] if release else "unknown"
    url = cuda.keyring_url(distro, report.stack.architecture or DEFAULT_ARCHITECTURE)
    return Step(
        id="cuda-repository",
        title=f"Add NVIDIA's CUDA repository ({distro}, cuda-keyring)",
        why="apt does not offer the CUDA toolkit or cuDNN packages yet; NVIDIA's cuda-keyring "
        "package installs the repository's signing key and its sources.list entry, as NVIDIA's "
        "installation guide does.",
        commands=[
            *_curl_first(report, choices, curl_done),
            [*CURL, cuda.KEYRING_DOWNLOAD, url],
            ["dpkg", "-i", cuda.KEYRING_DOWNLOAD],
        ],
        changes_system=True,
        on_failure=f"Check that {url} can be reached (a proxy?), then apply again.",
        kind=pm.REPOSITORY,
    )


def container_repository_step(report: Report, choices: Choices, curl_done: list[bool]) -> Step:
    return Step(
        id="container-repository",
        title="Add NVIDIA's container toolkit repository",
        why="apt does not offer nvidia-container-toolkit yet: NVIDIA's libnvidia-container "
        "repository, its key kept as downloaded and named by signed-by.",
        commands=[
            *_curl_first(report, choices, curl_done),
            [*CURL, ctk.KEYRING, ctk.KEY_URL],
        ],
        writes=(FileWrite(path=ctk.SOURCES_FILE, content=ctk.sources_file_text()),),
        changes_system=True,
        on_failure=f"Check that {ctk.KEY_URL} can be reached (a proxy?), then apply again.",
        kind=pm.REPOSITORY,
    )


def stack_update_step(choices: Choices) -> Step:
    timeout = choices.lock_timeout_s
    return Step(
        id="stack-update",
        title="Refresh the package lists with the new repositories",
        why="apt learns the new repositories' packages (and applies the pin to them).",
        commands=[["apt-get", "-o", f"DPkg::Lock::Timeout={timeout}", "update"]],
        changes_system=True,
        on_failure="Read apt's error: a repository that cannot be reached or verified stops here.",
        kind=pm.UPDATE,
    )


def stack_check_step(packages: list[str]) -> Step:
    return Step(
        id="stack-check",
        title="Check that the stack leaves the driver alone (apt-get -s)",
        why="apt's simulation of the stack's install must neither install nor remove any "
        "driver package (a toolkit that pulls cuda-drivers would replace the driver).",
        commands=[["apt-get", "-s", "install", "--no-install-recommends", *packages]],
        changes_system=False,
        on_failure="Nothing was installed: the plan stops before the stack would touch the "
        "driver. Read the simulation's Inst/Remv lines in the log.",
        kind=pm.STACK_CHECK,
    )


def _install(choices: Choices, step_id: str, title: str, why: str, package: str) -> Step:
    return Step(
        id=step_id,
        title=title,
        why=why,
        commands=[apt_get(choices, "install", "--no-install-recommends", package)],
        changes_system=True,
        on_failure="Read the log for the failing package; the driver is installed already.",
        kind=pm.STACK_INSTALL,
    )


def install_steps(choices: Choices, stack: StackChoice) -> list[Step]:
    steps = []
    toolkit = stack.cuda
    if toolkit is not None and not toolkit.installed:
        if toolkit.source == DISTRO:
            why = f"The distribution's toolkit ({cuda.DISTRO_TOOLKIT}): nvcc in /usr/bin."
        else:
            why = (
                f"The toolkit alone ({toolkit.package}), never `cuda` or "
                f"`{_meta(toolkit.version)}`, which pull NVIDIA's driver; nvcc is "
                f"/usr/local/cuda-{toolkit.version}/bin/nvcc (add /usr/local/cuda/bin to PATH)."
            )
        steps.append(
            _install(
                choices,
                "cuda-toolkit",
                f"Install CUDA toolkit {toolkit.label}",
                why,
                toolkit.package,
            )
        )
    if stack.cudnn and not stack.cudnn_installed:
        major = stack.cudnn.rsplit("-", 1)[-1]
        steps.append(
            _install(
                choices,
                "cudnn",
                f"Install cuDNN 9 for CUDA {major}",
                "cuDNN, the deep-learning primitives PyTorch and TensorFlow call, built for "
                f"CUDA {major}.x.",
                stack.cudnn,
            )
        )
    if stack.container_toolkit:
        steps.append(
            _install(
                choices,
                "container-toolkit",
                "Install the NVIDIA Container Toolkit",
                "Lets containers use the GPUs (`docker run --gpus all`, Kubernetes).",
                ctk.TOOLKIT_PACKAGE,
            )
        )
    return steps


def _meta(version: str) -> str:
    major, minor = cuda.version_key(version)
    return f"cuda-{major}-{minor}"


def runtime_steps(stack: StackChoice) -> list[Step]:
    steps = []
    for name in stack.runtimes:
        runtime = ctk.runtime(name)
        if runtime is None:
            continue
        steps.append(
            Step(
                id=f"configure-{name}",
                title=f"Register the nvidia runtime with {runtime.what}",
                why=f"`nvidia-ctk runtime configure` adds the nvidia runtime to {runtime.what}'s "
                "configuration; without it containers cannot see the GPUs.",
                commands=[ctk.configure_argv(name)],
                changes_system=True,
                on_failure=f"Run `sudo {shlex.join(ctk.configure_argv(name))}` and read its error.",
                kind=pm.RUNTIME_CONFIGURE,
            )
        )
        steps.append(
            Step(
                id=f"restart-{name}",
                title=f"Restart {runtime.what}",
                why=f"{runtime.what} reads the new runtime only when it starts; running "
                "containers stop with it unless they are set to restart.",
                commands=[["systemctl", "restart", runtime.service]],
                changes_system=True,
                on_failure=f"Run `{shlex.join(['sudo', 'systemctl', 'restart', runtime.service])}` "
                f"and read `{shlex.join(['journalctl', '-u', runtime.service])}`.",
                kind=pm.RUNTIME_RESTART,
            )
        )
    return steps


def stack_steps(
    report: Report, choices: Choices, stack: StackChoice
) -> tuple[list[Step], list[str]]:
    """(the stack's steps, the repositories they add)."""
    steps: list[Step] = []
    repositories: list[str] = []
    curl_done: list[bool] = []
    if needs_pin(report, stack):
        steps.append(pin_step(report))
    if needs_cuda_repository(report, stack):
        steps.append(cuda_repository_step(report, choices, curl_done))
        repositories.append("NVIDIA CUDA")
    if needs_container_repository(report, stack):
        steps.append(container_repository_step(report, choices, curl_done))
        repositories.append("NVIDIA container toolkit")
    if repositories:
        steps.append(stack_update_step(choices))
    if stack.packages:
        steps.append(stack_check_step(stack.packages))
    steps += install_steps(choices, stack)
    steps += runtime_steps(stack)
    return steps, repositories
