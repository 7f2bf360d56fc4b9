"""Findings about the developer stack: a toolkit the driver cannot run, cuDNN built for another
CUDA major, a container runtime the container toolkit was never wired into. (Driver packages
from NVIDIA's CUDA repository mixed with the distribution's are `mixed-driver-sources`, in
driver.py.)"""

from __future__ import annotations

import shlex

from nvwizard.host.demo_advice import demo_command, on_a_real_machine, wizard_command
from nvwizard.knowledge import cuda
from nvwizard.knowledge.containers import configure_argv, runtime
from nvwizard.knowledge.packages import branch_of_version
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.findings.common import present
from nvwizard.report.models import Finding, Report

# The packages whose version is the installed user-space driver's.
_DRIVER_LIBRARIES = ("libnvidia-compute-", "nvidia-utils-", "libcuda1", "nvidia-smi")


def driver_branch(report: Report) -> int | None:
    """The branch that runs CUDA programs: the loaded module's, else the installed libraries'."""
    if report.loaded_module and report.loaded_module.version:
        return branch_of_version(report.loaded_module.version)
    for entry in report.installed_packages:
        if entry.name.startswith(_DRIVER_LIBRARIES) and present(entry):
            branch = branch_of_version(entry.version)
            if branch is not None:
                return branch
    return None


def cuda_toolkit_newer_than_driver(report: Report, facts: ExtraFacts) -> Finding | None:
    branch = driver_branch(report)
    if branch is None:
        return None
    for toolkit in report.stack.cuda_toolkits:
        fit = cuda.driver_fit(toolkit.version, branch)
        if fit.native:
            continue
        needed = cuda.minimum_branch(toolkit.version)
        wizard, plan = _commands(report, ("sudo", "nvwizard"), ("nvwizard", "plan"))
        words = facts.words
        newer = words.newer_driver.format(wizard=wizard)
        return Finding(
            "cuda-toolkit-newer-than-driver",
            "info" if fit.compat else "warn",
            f"CUDA {toolkit.version} ({toolkit.source}) is newer than driver branch {branch} "
            f"supports: {fit.reason}.",
            f"Install driver branch {needed} or newer ({newer}), or a toolkit the driver "
            f"supports ({words.toolkits_shown.format(plan=plan)})."
            if needed
            else f"Install a newer driver ({newer}).",
        )
    return None


def cudnn_for_another_cuda_major(report: Report, facts: ExtraFacts) -> Finding | None:
    found = report.stack.cudnn
    majors = sorted({cuda.version_key(t.version)[0] for t in report.stack.cuda_toolkits})
    if found is None or not majors or found.cuda_major in majors:
        return None
    wanted = cuda.cudnn_package(majors[-1])
    (install,) = _commands(report, ("nvwizard", "install"))
    add = facts.words.add_cudnn.format(install=install)
    by_apt = f"`{shlex.join(['sudo', 'apt-get', 'install', wanted])}` (cuDNN for CUDA {majors[-1]})"
    return Finding(
        "cudnn-cuda-mismatch",
        "warn",
        f"cuDNN {found.version or ''} ({found.package}) is built for CUDA {found.cuda_major}, "
        f"but the installed toolkit is CUDA {', '.join(str(m) for m in majors)}.x: programs "
        "built with the toolkit cannot load it.",
        f"{by_apt}, or {add}."
        if report.demo is None
        else f"{_sentence(add)} (cuDNN for CUDA {majors[-1]}). {on_a_real_machine(by_apt)}.",
    )


def container_toolkit_not_configured(report: Report, facts: ExtraFacts) -> Finding | None:
    toolkit = report.stack.container_toolkit
    if toolkit is None:
        return None
    missing = [r for r in report.stack.container_runtimes if r not in toolkit.runtimes_configured]
    if not missing:
        return None
    commands = []
    for name in missing:
        found = runtime(name)
        commands.append(f"`{shlex.join(['sudo', *configure_argv(name)])}`")
        if found is not None:
            commands.append(f"`sudo {shlex.join(['systemctl', 'restart', found.service])}`")
    by_hand = "Run " + ", then ".join(commands) + " (a restart stops running containers)"
    (install,) = _commands(report, ("nvwizard", "install"))
    wires = facts.words.add_container_toolkit.format(install=install)
    return Finding(
        "container-toolkit-not-configured",
        "warn",
        f"The NVIDIA Container Toolkit is installed but {', '.join(missing)} has no nvidia "
        "runtime: containers cannot use the GPUs (`--gpus all` fails).",
        f"{by_hand}, or {_or(wires)}."
        if report.demo is None
        else f"{_sentence(wires)}. {on_a_real_machine(by_hand)}.",
    )


def _sentence(phrase: str) -> str:
    """`phrase` opening a sentence."""
    return phrase[:1].upper() + phrase[1:]


def _or(wires: str) -> str:
    """The container toolkit's install after "or": the command alone (`... wires it in` said
    the same where a sentence of its own)."""
    return wires.removesuffix(" wires it in")


def _commands(report: Report, *commands: tuple[str, ...]) -> list[str]:
    """nvwizard's `commands` for the report's machine: as they are (`sudo nvwizard`: the
    wizard; `nvwizard plan`), or on a demo with `--demo NAME` (`nvwizard --demo NAME`)."""
    if report.demo is None:
        return [shlex.join(c) for c in commands]
    name = report.demo.name
    return [
        wizard_command(name) if c[-1] == "nvwizard" else demo_command(name, c[-1]) for c in commands
    ]
