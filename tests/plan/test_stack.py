"""The developer stack in plans: what is installed from where, in which order, and every
refusal before anything runs (issue 14)."""

from dataclasses import replace

import pytest

from nvwizard.detect.models import DpkgEntry
from nvwizard.errors import RefusedError, UsageError
from nvwizard.knowledge.cuda import PIN_FILE, pulls_nvidia_driver
from nvwizard.plan import models as pm
from nvwizard.plan.build import build_plan
from nvwizard.plan.cuda_toolkit import ceiling_sentence, cuda_options
from nvwizard.plan.models import Choices, Plan
from nvwizard.report.models import (
    ContainerToolkitInstall,
    CudaToolkitInstall,
    CudnnInstall,
    DevStack,
    StackOffers,
)

from .reports import hopper_server, pascal_secure_boot

STACK = DevStack(architecture="amd64", curl=True, container_runtimes=["docker"])


def hopper(**stack) -> object:
    return hopper_server(stack=replace(STACK, **stack))


def plan_for(report, **choices) -> Plan:
    base = Choices(driver=report.recommended_driver or "", headless=True)
    return build_plan(report, replace(base, **choices))


def ids(plan: Plan) -> list[str]:
    return [s.id for s in plan.steps]


def every_argument(plan: Plan) -> list[str]:
    return [arg for step in plan.steps for argv in step.commands for arg in argv]


def test_toolkit_from_nvidias_repository_after_the_driver_with_the_pin_first():
    plan = plan_for(hopper(), cuda="12.8")
    assert plan.cuda == "12.8" and plan.stack_list == ["cuda-toolkit-12-8"]
    order = ids(plan)
    assert order.index("install") < order.index("cuda-pin") < order.index("cuda-repository")
    assert order[order.index("cuda-repository") :] == [
        "cuda-repository",
        "stack-update",
        "stack-check",
        "cuda-toolkit",
        "verify",
    ]
    pin = plan.step("cuda-pin")
    assert pin is not None and pin.writes[0].path == PIN_FILE
    assert "Pin-Priority: -1" in pin.writes[0].content
    repo = plan.step("cuda-repository")
    assert repo is not None and repo.commands[-1] == [
        "dpkg",
        "-i",
        "/var/cache/apt/archives/cuda-keyring_1.1-1_all.deb",
    ]
    assert (
        "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/"
        "cuda-keyring_1.1-1_all.deb" in repo.commands[0]
    )
    check = plan.step("stack-check")
    assert check is not None and check.kind == pm.STACK_CHECK and not check.changes_system
    assert check.commands == [
        ["apt-get", "-s", "install", "--no-install-recommends", "cuda-toolkit-12-8"]
    ]
    verify = plan.step("verify")
    assert verify is not None and verify.commands[0][-1] == "cuda-toolkit-12-8"


def test_no_argument_of_any_plan_brings_nvidias_driver():
    plan = plan_for(hopper(), cuda="latest", cudnn=True, container_toolkit=True)
    assert not [a for a in every_argument(plan) if pulls_nvidia_driver(a)]


@pytest.mark.parametrize(
    ("report", "driver", "latest"),
    [
        (hopper(), "nvidia-driver-580-server-open", "13.0"),
        (hopper(), "nvidia-driver-535-server", "12.2"),
        (pascal_secure_boot(stack=STACK), "nvidia-driver-580", "12.9"),  # CUDA 13 dropped Pascal
    ],
)
def test_latest_is_the_newest_the_driver_and_gpus_run(report, driver, latest):
    assert plan_for(report, driver=driver, cuda="latest").cuda == latest


def test_latest_from_what_apt_offers_when_the_repository_is_configured():
    report = hopper(offers=StackOffers(cuda=["12.6", "12.8"]), cuda_repo=True)
    plan = plan_for(report, cuda="latest")
    assert plan.cuda == "12.8"
    assert "cuda-repository" not in ids(plan) and "stack-update" not in ids(plan)
    assert "cuda-pin" in ids(plan)  # configured, but nothing keeps its driver packages out yet


def test_a_configured_repository_is_pinned_before_the_driver_install_without_cuda():
    # the mixed-sources trap: the repository is there, unpinned, and no stack is asked for
    plan = plan_for(hopper(cuda_repo=True))
    order = ids(plan)
    assert order.count("cuda-pin") == 1
    assert order.index("preflight") < order.index("cuda-pin") < order.index("update")
    assert order.index("cuda-pin") < order.index("install")
    pin = plan.step("cuda-pin")
    assert pin is not None and pin.kind == pm.PIN and pin.writes[0].path == PIN_FILE
    assert "Pin-Priority: -1" in pin.writes[0].content
    assert "configured here" in pin.why and "the Ubuntu archive" in pin.why
    # no repository, or a pin in force already: no step
    assert "cuda-pin" not in ids(plan_for(hopper()))
    assert "cuda-pin" not in ids(plan_for(hopper(cuda_repo=True, cuda_repo_driver_pin=True)))


def test_a_configured_repository_with_cuda_gets_one_pin_before_the_driver():
    report = hopper(offers=StackOffers(cuda=["12.8"]), cuda_repo=True)
    order = ids(plan_for(report, cuda="12.8"))
    assert order.count("cuda-pin") == 1 and order.index("cuda-pin") < order.index("install")


def test_no_pin_when_the_driver_itself_comes_from_another_source():
    report = hopper(cuda_repo=True)
    report.driver_candidates = [replace(c, source="third-party") for c in report.driver_candidates]
    assert "cuda-pin" not in ids(plan_for(report))


def test_no_pin_step_where_the_pin_is_in_force():
    report = hopper(offers=StackOffers(cuda=["12.8"]), cuda_repo=True, cuda_repo_driver_pin=True)
    assert "cuda-pin" not in ids(plan_for(report, cuda="12.8"))


# (report, choices, error, words in the one-line message)
REFUSALS = [
    (
        hopper(),
        {"driver": "nvidia-driver-535-server", "cuda": "13.0"},
        RefusedError,
        "needs branch 580",
    ),
    (
        hopper(),
        {"driver": "nvidia-driver-535-server", "cuda": "12.8"},
        RefusedError,
        "--allow-cuda-compat",
    ),
    (pascal_secure_boot(stack=STACK), {"cuda": "13.0"}, RefusedError, "GeForce GTX 1080 (Pascal)"),
    (hopper(), {"cudnn": True}, RefusedError, "--cudnn needs a CUDA toolkit"),
    (hopper(), {"cuda": "12.7"}, UsageError, "no such toolkit"),
    (
        hopper_server(stack=STACK, os_version="20.04", os="Ubuntu 20.04.6 LTS"),
        {"cuda": "13.0"},
        RefusedError,
        "no CUDA 13 for Ubuntu 20.04",
    ),
    (
        hopper_server(stack=STACK, os_version="25.04", os="Ubuntu 25.04"),
        {"cuda": "12.8"},
        RefusedError,
        "no release for Ubuntu 25.04",
    ),
    (
        hopper_server(stack=STACK, driver_sources=["apt"]),
        {"cuda": "distro"},
        UsageError,
        "offers no nvidia-cuda-toolkit",
    ),
]


@pytest.mark.parametrize(("report", "choices", "error", "words"), REFUSALS)
def test_refused_before_anything_runs_in_one_line(report, choices, error, words):
    with pytest.raises(error) as raised:
        plan_for(report, **choices)
    message = str(raised.value)
    assert words in message and "\n" not in message


def test_minor_version_compatibility_when_accepted_is_said_in_the_plan():
    plan = plan_for(
        hopper(), driver="nvidia-driver-535-server", cuda="12.8", allow_cuda_compat=True
    )
    assert plan.cuda == "12.8"
    assert any("minor-version compatibility" in w and "PTX" in w for w in plan.warnings)


def test_allow_cuda_compat_where_the_driver_runs_the_toolkit_natively_is_said_not_needed():
    """A consent that changes nothing is said, as an --accept not needed is, not dropped."""
    plan = plan_for(
        hopper(), driver="nvidia-driver-580-server", cuda="12.8", allow_cuda_compat=True
    )
    assert "Not needed: --allow-cuda-compat (branch 580 runs CUDA 12.8 natively)" in (plan.warnings)
    compat = plan_for(
        hopper(), driver="nvidia-driver-535-server", cuda="12.8", allow_cuda_compat=True
    )
    assert not any(w.startswith("Not needed: --allow-cuda-compat") for w in compat.warnings)


def test_cudnn_for_the_installed_toolkit_alone():
    report = hopper(
        cuda_toolkits=[CudaToolkitInstall("12.8", "nvidia-repo", "/usr/local/cuda-12.8")],
        offers=StackOffers(cuda=["12.8"], cudnn_cuda_majors=[12]),
        cuda_repo=True,
        cuda_repo_driver_pin=True,
    )
    plan = plan_for(report, cudnn=True)
    assert plan.stack_list == ["cudnn9-cuda-12"]
    assert [s for s in ids(plan) if s not in ("verify",)][-2:] == ["stack-check", "cudnn"]
    installed_too = hopper(
        cuda_toolkits=[CudaToolkitInstall("12.8", "nvidia-repo", "/usr/local/cuda-12.8")],
        cudnn=CudnnInstall("9.10.2", 12, "libcudnn9-cuda-12"),
        cuda_repo_driver_pin=True,
    )
    plan = plan_for(installed_too, cuda="12.8", cudnn=True)
    assert plan.stack_list == [] and "stack-check" not in ids(plan)


def test_distro_toolkit_needs_no_repository_but_cudnn_does():
    report = hopper(offers=StackOffers(distro_cuda="12.0"))
    plan = plan_for(report, cuda="distro")
    assert plan.cuda == "distro 12.0" and plan.stack_list == ["nvidia-cuda-toolkit"]
    assert "cuda-pin" not in ids(plan) and "cuda-repository" not in ids(plan)
    plan = plan_for(report, cuda="distro", cudnn=True)
    assert plan.stack_list == ["nvidia-cuda-toolkit", "cudnn9-cuda-12"]
    assert {"cuda-pin", "cuda-repository"} <= set(ids(plan))


STATIC_FROM_11_8 = (
    "cuDNN 9 for CUDA 11.x (cudnn9-cuda-11) supports CUDA 11.5 only as a shared library: "
    "NVIDIA's support matrix lists static linking from CUDA 11.8 (--cuda 11.8; in the wizard: "
    "CUDA 11.8 on Stack)."
)


def test_cudnn_with_ubuntu_2204s_cuda_11_5_says_it_links_only_as_a_shared_library():
    """cuDNN 9's support matrices list its CUDA 11.x build with 11.8 (static linking too) and
    with 11.0-11.7 for dynamic linking only (knowledge/cuda.py: cudnn9-cuda11)."""
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    rtx3090 = build_report(demo_host("rtx3090-fresh"))  # Ubuntu 22.04: nvidia-cuda-toolkit 11.5
    plan = plan_for(rtx3090, cuda="distro", cudnn=True)
    assert plan.stack_list == ["nvidia-cuda-toolkit", "cudnn9-cuda-11"]
    assert STATIC_FROM_11_8 in plan.warnings
    installed = hopper(cuda_toolkits=[CudaToolkitInstall("11.5", "distro", "/usr")])
    assert STATIC_FROM_11_8 in plan_for(installed, cudnn=True).warnings
    for fine in (
        plan_for(rtx3090, cuda="11.8", cudnn=True),
        plan_for(rtx3090, cuda="distro"),
        plan_for(hopper(), cuda="12.8", cudnn=True),
    ):
        assert not any("shared library" in w for w in fine.warnings)


def test_container_toolkit_installed_but_not_wired_gets_configure_and_restart_only():
    report = hopper(container_toolkit=ContainerToolkitInstall("1.18.0", []), offers=StackOffers())
    plan = plan_for(report, container_toolkit=True)
    assert plan.stack_list == []
    assert ids(plan)[-3:] == ["configure-docker", "restart-docker", "verify"]
    configure = plan.step("configure-docker")
    assert configure is not None
    assert configure.commands == [["nvidia-ctk", "runtime", "configure", "--runtime=docker"]]
    restart = plan.step("restart-docker")
    assert restart is not None and restart.commands == [["systemctl", "restart", "docker"]]
    assert any("stops its running containers" in w for w in plan.warnings)
    wired = hopper(container_toolkit=ContainerToolkitInstall("1.18.0", ["docker"]))
    assert "configure-docker" not in ids(plan_for(wired, container_toolkit=True))


def test_a_container_toolkit_the_purge_removes_is_installed_again_when_asked_for():
    """Purged (`--also-purge`) and asked for (`--container-toolkit`): not "installed, nothing to
    do", but installed again after the driver, with a warning; Docker keeps its nvidia entry,
    so it is not configured and restarted again. Without the purge: nothing to install."""
    report = hopper(
        container_toolkit=ContainerToolkitInstall("1.18.0", ["docker"]),
        offers=StackOffers(container_toolkit=True),
    )
    assert plan_for(report, container_toolkit=True).stack_list == []
    plan = plan_for(report, container_toolkit=True, also_purge=("nvidia-container-toolkit",))
    assert "nvidia-container-toolkit" in plan.purge_list
    assert plan.stack_list == ["nvidia-container-toolkit"]
    assert (
        ids(plan).index("purge") < ids(plan).index("install") < ids(plan).index("container-toolkit")
    )
    install = plan.step("container-toolkit")
    assert install is not None and install.commands[0][-1] == "nvidia-container-toolkit"
    assert "configure-docker" not in ids(plan) and "restart-docker" not in ids(plan)
    assert any(
        w.startswith("nvidia-container-toolkit is purged, then installed again after the driver")
        for w in plan.warnings
    )
    purged_only = plan_for(report, also_purge=("nvidia-container-toolkit",))
    assert purged_only.stack_list == [] and "container-toolkit" not in ids(purged_only)


def _unwired(plan: Plan) -> list[str]:
    return [w for w in plan.warnings if "is purged and not installed again" in w]


def test_a_purged_container_toolkit_not_installed_again_warns_of_the_runtime_it_leaves_wired():
    """Purged and not asked for again: Docker's daemon.json keeps the nvidia runtime that
    `nvidia-ctk runtime configure` added, naming a runtime that is gone. The plan says so, and
    what to do; not when the toolkit stays, comes back, or no runtime is wired to it."""
    purged = ("nvidia-container-toolkit",)
    docker = hopper(container_toolkit=ContainerToolkitInstall("1.18.0", ["docker"]))
    (warning,) = _unwired(plan_for(docker, also_purge=purged))
    assert "Docker's /etc/docker/daemon.json keeps the nvidia runtime" in warning
    assert "`systemctl restart docker`" in warning
    assert "drop --also-purge nvidia-container-toolkit" in warning
    assert "add --container-toolkit" in warning
    assert _unwired(plan_for(docker)) == []
    assert _unwired(plan_for(docker, also_purge=purged, container_toolkit=True)) == []
    not_wired = hopper(container_toolkit=ContainerToolkitInstall("1.18.0", []))
    assert _unwired(plan_for(not_wired, also_purge=purged)) == []
    both = hopper(
        container_toolkit=ContainerToolkitInstall("1.18.0", ["docker", "containerd"]),
        container_runtimes=["docker", "containerd"],
    )
    (warning,) = _unwired(plan_for(both, also_purge=purged))
    assert "Docker's /etc/docker/daemon.json and containerd's /etc/containerd/config.toml" in (
        warning
    )
    assert "`systemctl restart docker containerd`" in warning


def test_container_repository_only_where_apt_does_not_offer_the_toolkit():
    plan = plan_for(hopper(), container_toolkit=True)
    repo = plan.step("container-repository")
    assert repo is not None
    assert repo.writes[0].path == "/etc/apt/sources.list.d/nvidia-container-toolkit.list"
    assert (
        "deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.asc] "
        "https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /"
        in repo.writes[0].content
    )
    assert "cuda-pin" not in ids(plan)  # nothing from the CUDA repository
    offered = plan_for(hopper(offers=StackOffers(container_toolkit=True)), container_toolkit=True)
    assert "container-repository" not in ids(offered) and "stack-update" not in ids(offered)


def test_curl_is_installed_first_where_dpkg_shows_none():
    plan = plan_for(hopper(curl=False), cuda="12.8", container_toolkit=True)
    repo = plan.step("cuda-repository")
    assert repo is not None and repo.commands[0][-2:] == ["curl", "ca-certificates"]
    container = plan.step("container-repository")
    assert container is not None and container.commands[0][0] == "curl"  # once is enough


def test_plan_json_round_trip_keeps_the_writes_and_the_stack():
    plan = plan_for(hopper(), cuda="12.8", cudnn=True, container_toolkit=True)
    again = Plan.from_json(plan.to_json())
    assert again == plan
    assert again.choices.cuda == "12.8" and again.choices.cudnn


def test_a_stack_free_plan_is_unchanged():
    plan = plan_for(hopper())
    assert plan.stack_list == [] and plan.cuda is None
    assert not [s for s in plan.steps if s.kind in (pm.PIN, pm.REPOSITORY, pm.STACK_CHECK)]


def test_toolkit_options_and_the_ceiling_sentence_for_the_stack_screen():
    options = {o.version: o for o in cuda_options(hopper(), 570)}
    assert options["12.8"].allowed and not options["12.9"].allowed
    assert not options["13.0"].allowed and not options["13.0"].compat
    assert options["12.9"].compat
    pascal = {o.version: o for o in cuda_options(pascal_secure_boot(stack=STACK), 580)}
    assert not pascal["13.0"].allowed and "Pascal" in pascal["13.0"].reason
    assert pascal["13.0"].gpu_cannot == "CUDA 13 dropped Pascal"  # not the driver: 580 runs 13.0
    assert options["13.0"].gpu_cannot is None  # on the H100 the driver (570) rules it out
    assert ceiling_sentence(570) == (
        "Branch 570 runs toolkits up to CUDA 12.8 (what nvidia-smi shows); a newer 12.x "
        "toolkit runs only through minor-version compatibility, a newer major not at all."
    )


def test_stack_simulation_command_where_apt_offers_the_stack_and_none_where_it_does_not():
    from nvwizard.plan.simulate import simulation_commands

    offered = hopper(offers=StackOffers(cuda=["12.8"]), cuda_repo=True)
    plan = plan_for(offered, cuda="12.8")
    stack = simulation_commands(plan)["stack"]
    assert stack[:3] == ["apt-get", "-s", "install"]
    assert stack[-len(plan.install_list) - 1 :] == [*plan.install_list, "cuda-toolkit-12-8"]
    assert "stack" not in simulation_commands(plan_for(hopper(), cuda="12.8"))  # repo added first
    alone = Plan(**{**plan.__dict__, "install_list": []})  # a stack with no driver packages
    assert simulation_commands(alone)["stack"][-1] == "cuda-toolkit-12-8"


@pytest.mark.parametrize(
    ("area", "says", "never"),
    [
        (False, "the apt sources do not enable multiverse", "archive does not offer it"),
        (
            True,
            "although the sources enable multiverse: the archive does not offer it",
            "enable it",
        ),
        (None, "the archive does not offer it", "enable it"),
    ],
)
def test_no_distro_toolkit_advises_enabling_the_area_only_when_it_is_off(area, says, never):
    report = replace(hopper(offers=StackOffers(distro_cuda_area=area)), driver_sources=["apt"])
    with pytest.raises(UsageError) as refused:
        plan_for(report, cuda="distro")
    assert says in str(refused.value) and never not in str(refused.value)


TOOLKIT_12_8 = CudaToolkitInstall("12.8", "nvidia-repo", "/usr/local/cuda-12.8")
TOOLKIT_11_8 = CudaToolkitInstall("11.8", "nvidia-repo", "/usr/local/cuda-11.8")


def test_cudnn_8_for_the_same_cuda_major_is_not_the_cudnn_9_asked_for():
    """libcudnn8 built for CUDA 12 is installed: --cudnn (cuDNN 9) still installs
    cudnn9-cuda-12; the version, not only the CUDA major, is checked."""
    report = hopper(
        cuda_toolkits=[TOOLKIT_12_8],
        cudnn=CudnnInstall("8.9.7", 12, "libcudnn8"),
        cuda_repo_driver_pin=True,
    )
    report.installed_packages = [
        *report.installed_packages,
        DpkgEntry(name="libcudnn8", version="8.9.7.29-1+cuda12.2", state="ii"),
    ]
    plan = plan_for(report, cuda="12.8", cudnn=True)
    assert plan.stack_list == ["cudnn9-cuda-12"] and plan.step("cudnn") is not None


def test_cudnn_9_installed_for_another_toolkit_is_checked_by_its_cuda_major():
    """cuDNN 9 for CUDA 11 and 12 are both installed (detect names the one for the newest
    toolkit): --cuda 11.8 --cudnn finds cudnn9 for CUDA 11 installed, from dpkg."""
    report = hopper(
        cuda_toolkits=[TOOLKIT_11_8, TOOLKIT_12_8],
        cudnn=CudnnInstall("9.10.2", 12, "libcudnn9-cuda-12"),
        cuda_repo_driver_pin=True,
    )
    report.installed_packages = [
        *report.installed_packages,
        *(
            DpkgEntry(name=f"libcudnn9-cuda-{major}", version="9.10.2.21-1", state="ii")
            for major in (11, 12)
        ),
    ]
    assert plan_for(report, cuda="11.8", cudnn=True).stack_list == []
    assert plan_for(report, cuda="12.8", cudnn=True).stack_list == []


def test_an_older_distro_toolkit_than_apt_offers_is_installed_again():
    """nvidia-cuda-toolkit 11.5 is installed and apt offers 12.0 (a release upgrade): --cuda
    distro installs apt's, as the driver's own plan installs apt's build."""
    older = [CudaToolkitInstall("11.5", "distro", "/usr")]
    report = hopper(cuda_toolkits=older, offers=StackOffers(distro_cuda="12.0"))
    plan = plan_for(report, cuda="distro")
    assert plan.cuda == "distro 12.0" and plan.stack_list == ["nvidia-cuda-toolkit"]
    same = hopper(
        cuda_toolkits=[CudaToolkitInstall("12.0", "distro", "/usr")],
        offers=StackOffers(distro_cuda="12.0"),
    )
    assert plan_for(same, cuda="distro").stack_list == []
