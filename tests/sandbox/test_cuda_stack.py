"""The developer stack on real apt and dpkg (issue 14): a distribution driver, then NVIDIA's
CUDA repository added through cuda-keyring, the pin, the toolkit and cuDNN from it.

The repositories are the apt sandbox's Ubuntu-shaped one and tests/sandbox/cuda_repo.py's
NVIDIA-shaped one (Origin: NVIDIA, the same driver package names with newer versions, and
`cuda` -> `cuda-12-8` -> `cuda-drivers` -> NVIDIA's driver)."""

from __future__ import annotations

import pytest

from nvwizard.engine.journal import Journal
from nvwizard.engine.runner import DONE, FAILED, Engine
from nvwizard.knowledge.cuda import PIN_FILE
from nvwizard.plan.models import Choices, Plan
from nvwizard.plan.simulate import check_simulation, simulate
from nvwizard.plan.stack import choose_stack
from nvwizard.plan.stack_steps import stack_check_step, stack_steps
from nvwizard.plan.verify import verify_step
from nvwizard.report.models import DevStack, StackOffers
from tests.engine.sandboxhost import SandboxHost
from tests.plan.reports import hopper_server
from tests.sandbox.cuda_repo import (
    KEYRING_URL,
    NVIDIA_580,
    UBUNTU_580,
    CudaRepository,
    build_cuda_repository,
    install_fake_curl,
)

DRIVER = ("nvidia-driver-580-open", "linux-modules-nvidia-580-open-6.8.0-45-generic")
DRIVER_LIBRARIES = ("nvidia-utils-580", "libnvidia-compute-580", "nvidia-kernel-common-580")


@pytest.fixture(scope="session")
def cuda_repository(tmp_path_factory) -> CudaRepository:
    return build_cuda_repository(tmp_path_factory.mktemp("cuda-repo"))


@pytest.fixture
def machine(apt_sandbox, cuda_repository):
    """Ubuntu's 580-open driver installed from the distribution; NVIDIA's repository not yet
    configured; curl 'downloads' NVIDIA's keyring."""
    apt_sandbox.run(["apt-get", "update"], check=True)
    apt_sandbox.install(*DRIVER)
    install_fake_curl(apt_sandbox, cuda_repository)
    return apt_sandbox


def versions(sandbox) -> dict[str, str]:
    out = sandbox.run(["dpkg-query", "-W", "-f=${Package}\\t${Version}\\n"], check=True).stdout
    return dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)


def stack_plan(**stack) -> Plan:
    """The stack's steps for a machine whose driver is 580-open, as build_plan adds them."""
    report = hopper_server(
        stack=DevStack(architecture="amd64", curl=True, **stack), driver_candidates=[]
    )
    choices = Choices(driver="nvidia-driver-580-open", cuda="12.8", cudnn=True, lock_timeout_s=5)
    chosen = choose_stack(report, choices, 580)
    assert chosen is not None
    steps, repositories = stack_steps(report, choices, chosen)
    return Plan(
        steps=[*steps, verify_step(chosen.packages)],
        choices=choices,
        host_label="apt sandbox",
        driver=choices.driver,
        flavour="580-open",
        branch=580,
        modules="signed",
        install_list=list(DRIVER),
        stack_list=chosen.packages,
        cuda="12.8",
        repositories=repositories,
    )


def add_the_repository_without_a_pin(sandbox) -> None:
    sandbox.run(["curl", "-fsSL", "-o", "/k.deb", KEYRING_URL], check=True)
    sandbox.run(["dpkg", "-i", "/k.deb"], check=True)
    sandbox.run(["apt-get", "update"], check=True)


def apply(sandbox, plan, tmp_path):
    with Journal(tmp_path / "log", tmp_path / "state") as journal:
        return Engine(SandboxHost(sandbox), plan, journal).run()


def upgrades(sandbox) -> dict[str, str]:
    """What `apt-get -s upgrade` would install over what is there: package -> new version."""
    out = sandbox.run(["apt-get", "-s", "upgrade"], check=True).stdout
    found = {}
    for line in out.splitlines():
        if line.startswith("Inst "):
            words = line.split()
            found[words[1]] = words[3].lstrip("(")
    return found


def test_the_stack_keeps_the_chosen_driver_untouched_and_the_pin_holds(machine, tmp_path):
    before = versions(machine)
    assert before["libnvidia-compute-580"] == UBUNTU_580
    plan = stack_plan()
    assert [s.id for s in plan.steps] == [
        "cuda-pin",
        "cuda-repository",
        "stack-update",
        "stack-check",
        "cuda-toolkit",
        "cudnn",
        "verify",
    ]
    outcome = apply(machine, plan, tmp_path)
    assert outcome.status == DONE, (outcome.message, outcome.last_lines)

    after = versions(machine)
    for name in (*DRIVER, *DRIVER_LIBRARIES):
        assert after[name] == before[name], name  # the driver, exactly as it was
    status = machine.status()
    for name in ("cuda-keyring", "cuda-toolkit-12-8", "cuda-nvcc-12-8", "cudnn9-cuda-12"):
        assert status[name] == "ii", name
    for name in ("cuda", "cuda-12-8", "cuda-drivers", "cuda-drivers-580"):
        assert name not in status, name
    assert (machine.root / "usr/local/cuda-12.8/bin/nvcc").exists()
    assert "Pin-Priority: -1" in (machine.root / PIN_FILE.lstrip("/")).read_text()

    # A later `apt upgrade` leaves the driver's source alone: the pin is respected ...
    assert not set(upgrades(machine)) & {*DRIVER_LIBRARIES, "nvidia-driver-580-open"}
    # ... and without it, apt would switch the driver to NVIDIA's build (the test can fail).
    (machine.root / PIN_FILE.lstrip("/")).unlink()
    unpinned = upgrades(machine)
    assert unpinned.get("libnvidia-compute-580") == NVIDIA_580
    assert unpinned.get("nvidia-driver-580-open") == NVIDIA_580


def test_a_request_that_would_pull_cuda_drivers_is_refused_and_installs_nothing(machine, tmp_path):
    add_the_repository_without_a_pin(machine)
    before = versions(machine)
    plan = stack_plan(offers=StackOffers(cuda=["12.8"], cudnn_cuda_majors=[12]), cuda_repo=True)
    # what a plan never asks for, put in its stack-check step by hand
    steps = [stack_check_step(["cuda-12-8"]), *[s for s in plan.steps if s.kind != "stack-check"]]
    steps = [s for s in steps if s.id not in ("cuda-pin",)]
    outcome = apply(machine, Plan(**{**plan.__dict__, "steps": steps}), tmp_path)
    assert outcome.status == FAILED and outcome.failed_step == "stack-check"
    # apt keeps Ubuntu's installed nvidia-driver-580-open for cuda-drivers-580, but would still
    # install NVIDIA's driver metapackages: refused
    assert "cuda-drivers, cuda-drivers-580" in (outcome.message or "")
    assert versions(machine) == before  # nothing installed, the driver untouched


def test_pre_run_simulation_stops_a_stack_that_pulls_the_driver(machine):
    add_the_repository_without_a_pin(machine)
    host = SandboxHost(machine)
    offered = stack_plan(offers=StackOffers(cuda=["12.8"], cudnn_cuda_majors=[12]), cuda_repo=True)
    assert not offered.repositories  # apt offers it: simulated before anything runs
    good = check_simulation(offered, simulate(host, offered))
    assert good.ok, good.problems
    bad = Plan(**{**offered.__dict__, "stack_list": ["cuda"]})
    check = check_simulation(bad, simulate(host, bad))
    assert not check.ok
    assert any("cuda-drivers" in p and "driver packages" in p for p in check.problems)
