"""Verify's checks of the developer stack, each only where that part is installed:

| id | ok when |
| --- | --- |
| cuda-link | /usr/local/cuda points at an installed toolkit's folder (NVIDIA's packages, a .run) |
| nvcc-version | the nvcc of /usr/local/cuda (or the distribution's /usr/bin/nvcc) prints the |
|   | release of that toolkit |
| cudnn-version | cuDNN's header (cudnn_version.h) says the version of the installed library |
| nvidia-ctk | `nvidia-ctk --version` answers with the installed container toolkit's version |
| runtime-<name> | the runtime lists the nvidia runtime (`docker info`; containerd's and CRI-O's |
|   | configuration) |
| cuda-sample | a 20-line vector-add CUDA program, compiled with the installed nvcc and run on the |
|   | GPU, checks its result (host/cuda_sample.py): the driver and the toolkit work together |

The vector-add program runs only on this machine: on a demo machine the simulator answers it
from its state and says so ("simulated"); on a captured bundle it is skipped, with the reason,
since nothing can run on the machine the bundle came from. A skipped check is no failure.
"""

from __future__ import annotations

import shlex

from nvwizard.detect.containers import parse_docker_info, parse_nvidia_ctk_version
from nvwizard.detect.cuda import parse_cuda_folders, parse_cuda_sample, parse_cudnn_header
from nvwizard.detect.cuda import parse_nvcc_versions as nvcc_versions
from nvwizard.engine.state import VerifyCheck
from nvwizard.engine.verify_fixes import THIS_MACHINE, Fixes
from nvwizard.host.base import Host
from nvwizard.knowledge import containers as ctk
from nvwizard.knowledge import cuda
from nvwizard.report.models import CudaToolkitInstall, Report

LINK = "/usr/local/cuda"
LINKED_NVCC = "/usr/local/cuda/bin/nvcc"
DISTRO_NVCC = "/usr/bin/nvcc"


def _reinstall(package: str) -> str:
    return shlex.join(["sudo", "apt-get", "install", "--reinstall", package])


def _linked(report: Report, link: str | None) -> CudaToolkitInstall | None:
    folders = [t for t in report.stack.cuda_toolkits if t.source != "distro"]
    return next((t for t in folders if t.path == link), None)


def check_cuda_link(report: Report, link: str | None) -> VerifyCheck:
    folders = [t for t in report.stack.cuda_toolkits if t.source != "distro"]
    newest = max(folders, key=lambda t: cuda.version_key(t.version))
    folder = newest.path or f"{LINK}-{newest.version}"  # NVIDIA's and runfile toolkits have one
    fix = (
        f"`{shlex.join(['sudo', 'update-alternatives', '--set', 'cuda', folder])}` "
        f"(or `{shlex.join(['sudo', 'ln', '-sfn', folder, LINK])}`)"
    )
    if link is None:
        return VerifyCheck("cuda-link", False, f"{LINK} does not exist", fix)
    found = _linked(report, link)
    if found is None:
        return VerifyCheck(
            "cuda-link", False, f"{LINK} points at {link}, which holds no installed toolkit", fix
        )
    return VerifyCheck("cuda-link", True, f"{LINK} -> {link} (CUDA {found.version})")


def check_nvcc(report: Report, nvcc_text: str | None, link: str | None) -> VerifyCheck:
    linked = _linked(report, link)
    distro = next((t for t in report.stack.cuda_toolkits if t.source == "distro"), None)
    wanted, path = (linked, LINKED_NVCC) if linked else (distro, DISTRO_NVCC)
    if wanted is None:
        wanted = report.stack.cuda_toolkits[-1]
        path = LINKED_NVCC
    printed = {n.path: n for n in nvcc_versions(nvcc_text or "")}
    found = printed.get(path) or (printed.get(None) if len(printed) == 1 else None)
    package = wanted.package or f"CUDA {wanted.version}"
    if found is None:
        return VerifyCheck(
            "nvcc-version",
            False,
            f"{path} did not answer `--version`",
            f"Reinstall the toolkit: `{_reinstall(package)}`."
            if wanted.package
            else f"Check {path} and the toolkit's folder.",
        )
    if found.release != wanted.version:
        return VerifyCheck(
            "nvcc-version",
            False,
            f"{path} is CUDA {found.release}, but the toolkit there is CUDA {wanted.version}",
            f"Point {LINK} at the toolkit you use, or reinstall {package}.",
        )
    return VerifyCheck("nvcc-version", True, f"{path}: CUDA {found.release} (V{found.version})")


def check_cudnn(report: Report, header_text: str | None) -> VerifyCheck:
    library = report.stack.cudnn
    assert library is not None
    header = parse_cudnn_header(header_text or "")
    dev = f"libcudnn{(library.version or '9').split('.')[0]}-dev-cuda-{library.cuda_major}"
    if header is None:
        return VerifyCheck(
            "cudnn-version",
            False,
            f"{library.package} {library.version or '?'} is installed, but no cudnn_version.h "
            "was found (programs cannot be built against it)",
            f"`{shlex.join(['sudo', 'apt-get', 'install', dev])}`",
        )
    if library.version and header.version != library.version:
        return VerifyCheck(
            "cudnn-version",
            False,
            f"cudnn_version.h says {header.version}, the library {library.package} is "
            f"{library.version}: headers and library come from different releases",
            f"`{shlex.join(['sudo', 'apt-get', 'install', library.package, dev])}` "
            "(the same version of both)",
        )
    where = f" ({header.path})" if header.path else ""
    return VerifyCheck(
        "cudnn-version",
        True,
        f"cuDNN {header.version} for CUDA {library.cuda_major}: header{where} = library",
    )


def check_nvidia_ctk(report: Report, text: str | None) -> VerifyCheck:
    toolkit = report.stack.container_toolkit
    assert toolkit is not None
    found = parse_nvidia_ctk_version(text or "")
    if found is None:
        return VerifyCheck(
            "nvidia-ctk",
            False,
            "`nvidia-ctk --version` did not answer",
            f"`{_reinstall(ctk.TOOLKIT_PACKAGE)}`",
        )
    if toolkit.version and found != toolkit.version:
        return VerifyCheck(
            "nvidia-ctk",
            False,
            f"nvidia-ctk is {found}, the package {toolkit.version}",
            f"`{_reinstall(ctk.TOOLKIT_PACKAGE)}`",
        )
    return VerifyCheck("nvidia-ctk", True, f"NVIDIA Container Toolkit CLI {found}")


def check_runtime(report: Report, name: str, docker_error: str | None) -> VerifyCheck:
    toolkit = report.stack.container_toolkit
    runtime = ctk.runtime(name)
    what = runtime.what if runtime else name
    service = runtime.service if runtime else name
    if name == "docker" and docker_error:
        return VerifyCheck(
            f"runtime-{name}",
            False,
            f"Docker does not answer ({docker_error})",
            f"`{shlex.join(['sudo', 'systemctl', 'start', service])}`, then run verify again.",
        )
    if toolkit is not None and name in toolkit.runtimes_configured:
        return VerifyCheck(f"runtime-{name}", True, f"{what} lists the nvidia runtime")
    return VerifyCheck(
        f"runtime-{name}",
        False,
        f"{what} has no nvidia runtime: containers cannot use the GPUs",
        f"`{shlex.join(['sudo', *ctk.configure_argv(name)])}` then "
        f"`{shlex.join(['sudo', 'systemctl', 'restart', service])}`.",
    )


def check_cuda_sample(host: Host, report: Report, fixes: Fixes = THIS_MACHINE) -> VerifyCheck:
    if host.kind == "bundle":
        return VerifyCheck(
            "cuda-sample",
            True,
            "not run: a captured bundle cannot compile or run a program on the machine it "
            "came from (run `sudo nvwizard verify` there)",
            skipped=True,
        )
    sample = parse_cuda_sample(host.read("cuda-sample.txt") or "")
    if sample is None or sample.compiled is None:
        why = sample.skipped if sample is not None and sample.skipped else "no nvcc was found"
        return VerifyCheck("cuda-sample", True, f"not run: {why}", skipped=True)
    simulated = " (simulated on the demo machine: nothing was compiled)" if sample.simulated else ""
    tail = "; ".join(sample.output[-3:])
    if not sample.compiled:
        return VerifyCheck(
            "cuda-sample",
            False,
            f"the vector-add program did not compile with {sample.nvcc}: {tail}",
            "A C++ compiler is needed (`sudo apt-get install g++`); read nvcc's error above.",
        )
    if sample.ran is None:
        return VerifyCheck(
            "cuda-sample",
            True,
            f"compiled with {sample.nvcc}; not run: {sample.skipped}",
            skipped=True,
        )
    if not sample.passed:
        return VerifyCheck(
            "cuda-sample",
            False,
            f"the vector-add program compiled with {sample.nvcc} failed on the GPU{simulated}: "
            f"{tail}",
            _sample_failure_fix(report, fixes),
        )
    return VerifyCheck(
        "cuda-sample",
        True,
        f"vector-add compiled with {sample.nvcc} ran on the GPU and checked its result{simulated}",
    )


def _sample_failure_fix(report: Report, fixes: Fixes) -> str:
    """A module older than the installed libraries (the install's reboot still to come) is the
    likeliest cause; otherwise the toolkit is newer than the driver."""
    if any(f.id == "nvml-mismatch" for f in report.findings):
        loaded = report.loaded_module.version if report.loaded_module else "an older module"
        old = f"The kernel still runs the old module ({loaded}), not the installed driver"
        return fixes.reboot_instead(
            f"{old}: reboot, or load it now with `sudo nvwizard activate`, then verify again.",
            f"{old}.",
        )
    return (
        "A toolkit newer than the driver fails with 'CUDA driver version is insufficient': "
        "install a newer driver or the toolkit the driver runs (`nvwizard plan --cuda latest`)."
    )


def stack_checks(host: Host, report: Report, fixes: Fixes = THIS_MACHINE) -> list[VerifyCheck]:
    """The stack's checks for what is installed (none where nothing of it is); `fixes`: in
    the commands that reach the machine (its reboot; the rest by hand)."""
    stack = report.stack
    checks: list[VerifyCheck] = []
    if stack.cuda_toolkits:
        link = parse_cuda_folders(host.read("cuda-toolkits.txt") or "").cuda_link
        if any(t.source != "distro" for t in stack.cuda_toolkits):
            checks.append(check_cuda_link(report, link))
        checks.append(check_nvcc(report, host.read("nvcc-version.txt"), link))
    if stack.cudnn is not None:
        checks.append(check_cudnn(report, host.read("cudnn-version.txt")))
    if stack.container_toolkit is not None:
        checks.append(check_nvidia_ctk(report, host.read("nvidia-ctk-version.txt")))
        docker_error = None
        if "docker" in stack.container_runtimes:
            docker_error = parse_docker_info(host.read("docker-info.txt") or "").error
        checks += [check_runtime(report, r, docker_error) for r in stack.container_runtimes]
    checks = [fixes.by_hand_check(c) for c in checks]
    if stack.cuda_toolkits:
        checks.append(check_cuda_sample(host, report, fixes))
    return checks
