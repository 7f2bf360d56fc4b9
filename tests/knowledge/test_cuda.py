"""The CUDA compatibility tables, tested as tables: branch -> CUDA ceiling -> what may run."""

import pytest

from nvwizard.knowledge import branches, cuda
from nvwizard.knowledge.containers import installed_runtimes
from nvwizard.knowledge.packages import branch_of_version

# (CUDA version, the oldest branch that runs it natively): NVIDIA's Table 3, through the
# branch table's ceilings.
MINIMUM_BRANCH = [
    ("11.8", 520),
    ("12.0", 525),
    ("12.2", 535),
    ("12.4", 550),
    ("12.6", 560),
    ("12.8", 570),
    ("12.9", 575),
    ("13.0", 580),
    ("13.1", 590),
    ("13.2", 595),
    ("13.3", 610),
]


@pytest.mark.parametrize(("version", "branch"), MINIMUM_BRANCH)
def test_minimum_branch_per_toolkit(version, branch):
    assert cuda.minimum_branch(version) == branch


def test_recorded_minimum_drivers_agree_with_the_branch_table():
    """Two sources for one fact: each GA minimum driver must belong to the branch that the
    branch table says first reaches that CUDA version."""
    for toolkit in cuda.TOOLKITS:
        if toolkit.min_driver is not None:
            assert branch_of_version(toolkit.min_driver) == cuda.minimum_branch(toolkit.version), (
                toolkit
            )


# (CUDA, branch, native, minor-version compatibility)
FITS = [
    ("12.8", 570, True, False),
    ("12.8", 580, True, False),
    ("12.2", 535, True, False),
    ("12.8", 535, False, True),  # 535 runs 12.2, and 12.x through minor-version compat
    ("12.8", 525, False, True),
    ("12.0", 470, False, False),  # 12.x needs 525 at least
    ("13.0", 570, False, False),  # CUDA 13 needs 580: no compatibility across majors
    ("13.0", 580, True, False),
    ("13.2", 580, False, True),
    ("13.0", 640, True, False),  # newer than the tables: trusted
]


@pytest.mark.parametrize(("version", "branch", "native", "compat"), FITS)
def test_driver_fit(version, branch, native, compat):
    fit = cuda.driver_fit(version, branch)
    assert (fit.native, fit.compat) == (native, compat)


def test_refused_fit_says_the_needed_branch_and_the_error_users_see():
    fit = cuda.driver_fit("13.0", 570)
    assert "CUDA 13.0 needs branch 580 or newer" in fit.reason
    assert "CUDA driver version is insufficient" in fit.reason
    assert "PTX" in cuda.driver_fit("12.8", 535).reason


# (CUDA major, GPU generations here, the ones it cannot compile for)
DROPPED = [
    (13, ["Pascal"], ["Pascal"]),
    (13, ["Maxwell", "Volta", "Turing"], ["Maxwell", "Volta"]),
    (13, ["Hopper"], []),
    (12, ["Pascal", "Maxwell"], []),
    (12, ["Kepler"], ["Kepler"]),
    (13, ["unknown"], []),
]


@pytest.mark.parametrize(("major", "here", "dropped"), DROPPED)
def test_generations_each_major_dropped(major, here, dropped):
    assert cuda.unsupported_architectures(major, here) == dropped


def test_ceilings_come_from_the_branch_table():
    assert branches.highest_cuda(570) == "12.8"
    assert cuda.minimum_branch("12.7") == 565  # no toolkit, but the driver reports it


def test_package_names():
    assert cuda.toolkit_package("12.8") == "cuda-toolkit-12-8"
    assert cuda.toolkit_package("13.0.1") == "cuda-toolkit-13-0"
    assert cuda.parse_toolkit_package("cuda-toolkit-12-8") == "12.8"
    assert cuda.parse_toolkit_package("cuda-toolkit-12-8-config-common") is None
    assert cuda.parse_toolkit_package("cuda-toolkit") is None
    assert cuda.cudnn_package(12) == "cudnn9-cuda-12"
    assert cuda.parse_cudnn_package("libcudnn9-cuda-12") == (9, 12)
    assert cuda.parse_cudnn_package("cudnn9-cuda-13") == (9, 13)
    assert cuda.parse_cudnn_package("libcudnn9-dev-cuda-12") is None
    assert cuda.distro_toolkit_version("12.0.140~12.0.1-4build4") == "12.0"
    assert cuda.distro_toolkit_version("11.5.1-1ubuntu1") == "11.5"
    assert cuda.distro_toolkit_version("garbage") is None


@pytest.mark.parametrize(
    ("name", "pulls"),
    [
        ("cuda", True),
        ("cuda-12-8", True),
        ("cuda-drivers", True),
        ("cuda-drivers-580", True),
        ("nvidia-open", True),
        ("nvidia-open-580", True),
        ("nvidia-opencl-dev", False),  # a part of the archive's nvidia-cuda-toolkit
        ("cuda-toolkit-12-8", False),
        ("cudnn9-cuda-12", False),
        ("nvidia-container-toolkit", False),
    ],
)
def test_names_that_pull_nvidias_driver(name, pulls):
    assert cuda.pulls_nvidia_driver(name) is pulls


def test_repository_releases_and_keyring_urls():
    assert cuda.repository_release("ubuntu", "24.04") == ("ubuntu2404", None)
    assert cuda.repository_release("ubuntu", "20.04") == ("ubuntu2004", 12)
    assert cuda.repository_release("debian", "12") == ("debian12", None)
    assert cuda.repository_release("debian", "13.1") == ("debian13", None)
    assert cuda.repository_release("ubuntu", "25.04") is None
    assert cuda.keyring_url("ubuntu2404", "amd64") == (
        "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/"
        "cuda-keyring_1.1-1_all.deb"
    )
    assert cuda.keyring_url("debian12", "arm64").endswith(
        "/debian12/sbsa/cuda-keyring_1.1-1_all.deb"
    )


def test_pin_keeps_driver_packages_and_not_the_toolkit():
    import fnmatch

    globs = cuda.PINNED_DRIVER_PACKAGES

    def pinned(name):
        return any(fnmatch.fnmatchcase(name, g) for g in globs)

    for name in (
        "cuda-drivers",
        "cuda-drivers-580",
        "nvidia-open",
        "nvidia-driver-580-open",
        "libnvidia-compute-580",
        "nvidia-utils-580",
        "nvidia-fabricmanager-580",
        "libcuda1",
        "nvidia-kernel-open-dkms",
    ):
        assert pinned(name), name
    for name in (
        "cuda-toolkit-12-8",
        "cuda-nvcc-12-8",
        "libcudnn9-cuda-12",
        "cudnn9-cuda-12",
        "nvidia-container-toolkit",
        "libnvidia-container1",
        "cuda-keyring",
    ):
        assert not pinned(name), name
    text = cuda.pin_file_text("the Ubuntu archive")
    assert "Pin: release o=NVIDIA,l=NVIDIA CUDA\nPin-Priority: -1\n" in text


# (installed packages, runtimes to configure)
RUNTIMES = [
    ({"docker-ce", "containerd.io"}, ["docker"]),
    ({"docker.io", "containerd"}, ["docker"]),
    ({"docker-ce", "containerd.io", "kubelet"}, ["docker", "containerd"]),
    ({"containerd", "kubelet"}, ["containerd"]),
    ({"cri-o"}, ["crio"]),
    (set(), []),
]


@pytest.mark.parametrize(("installed", "runtimes"), RUNTIMES)
def test_runtimes_to_configure(installed, runtimes):
    assert installed_runtimes(installed) == runtimes


def test_compact_versions_lists_every_release_in_runs():
    versions = [t.version for t in cuda.TOOLKITS]
    assert cuda.compact_versions(versions) == "11.8, 12.0-12.6, 12.8-12.9, 13.0-13.3"
    assert cuda.compact_versions(["12.8", "12.4"]) == "12.4, 12.8"
    assert cuda.compact_versions([]) == ""


@pytest.mark.parametrize(
    ("generation", "first", "older"),
    [("Blackwell", "12.8", "12.6"), ("Hopper", "11.8", "11.7"), ("Ada", "11.8", "11.5")],
)
def test_each_generation_needs_its_first_toolkit(generation, first, older):
    assert cuda.FIRST_CUDA[generation] == first
    assert cuda.too_new_architectures(older, [generation]) == [generation]
    assert cuda.too_new_architectures(first, [generation, "Pascal"]) == []


def test_every_generation_with_a_first_toolkit_is_known():
    names = {a.name for a in cuda.ARCHITECTURES}
    assert set(cuda.FIRST_CUDA) <= names
