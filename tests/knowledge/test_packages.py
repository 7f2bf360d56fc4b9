import pytest

from nvwizard.detect.models import DpkgEntry
from nvwizard.knowledge.packages import (
    is_driver_package,
    left_to_autoremove,
    parse_driver_package,
    purge_selection,
)


def test_driver_package_names_are_read_exactly():
    driver = parse_driver_package("nvidia-driver-580-server-open")
    assert (driver.branch, driver.server, driver.open) == (580, True, True)
    assert driver.flavour == "580-server-open"
    assert driver.utils == "nvidia-utils-580-server"
    assert driver.headless == "nvidia-headless-no-dkms-580-server-open"
    assert driver.dkms == "nvidia-dkms-580-server-open"
    assert driver.signed_modules_meta("generic") == "linux-modules-nvidia-580-server-open-generic"
    assert (
        driver.signed_modules_for_kernel("6.8.0-87-generic")
        == "linux-modules-nvidia-580-server-open-6.8.0-87-generic"
    )
    plain = parse_driver_package("nvidia-driver-595")
    assert (plain.branch, plain.server, plain.open, plain.utils) == (
        595,
        False,
        False,
        "nvidia-utils-595",
    )


def test_names_that_are_not_driver_packages():
    for name in ("nvidia-driver", "nvidia-driver-580-foo", "nvidia-utils-580", "cuda-drivers", ""):
        assert parse_driver_package(name) is None


def _entries(*names, state="ii"):
    return [DpkgEntry(name=n, version="1", state=state) for n in names]


def test_purge_keeps_container_fabric_and_toolkit_packages():
    installed = _entries(
        "nvidia-driver-535-server",
        "libnvidia-compute-535-server",
        "nvidia-utils-535-server",
        "linux-modules-nvidia-535-server-6.8.0-45-generic",
        "nvidia-container-toolkit",
        "nvidia-container-toolkit-base",
        "libnvidia-container1",
        "libnvidia-container-tools",
        "nvidia-docker2",
        "nvidia-fabricmanager-535",
        "libnvidia-nscq-535",
        "nvidia-cuda-toolkit",
        "openssh-server",
    ) + _entries("nvidia-dkms-470", state="rc")
    selection = purge_selection(installed)
    assert [e.name for e in selection.to_purge] == [
        "libnvidia-compute-535-server",
        "linux-modules-nvidia-535-server-6.8.0-45-generic",
        "nvidia-dkms-470",
        "nvidia-driver-535-server",
        "nvidia-utils-535-server",
    ]
    kept = {k.name: k.reason for k in selection.kept}
    assert set(kept) == {
        "nvidia-container-toolkit",
        "nvidia-container-toolkit-base",
        "libnvidia-container1",
        "libnvidia-container-tools",
        "nvidia-docker2",
        "nvidia-fabricmanager-535",
        "libnvidia-nscq-535",
        "nvidia-cuda-toolkit",
    }
    assert "container" in kept["nvidia-container-toolkit"]


def test_debian_and_cuda_repository_driver_names_are_driver_packages():
    for name in ("libcuda1", "nvidia-kernel-dkms", "firmware-nvidia-gsp", "cuda-drivers-580"):
        assert is_driver_package(name), name
    assert not is_driver_package("cuda-toolkit-12-8")


def test_the_archive_toolkits_nvidia_named_parts_are_not_driver_packages():
    """nvidia-cuda-toolkit pulls these; installing it must not count as touching the driver."""
    for name in ("nvidia-cuda-dev", "nvidia-profiler", "nvidia-opencl-dev", "libnvidia-ml-dev"):
        assert not is_driver_package(name), name


def test_kernel_meta_flavours_try_the_hwe_series_first():
    from nvwizard.knowledge.packages import kernel_meta_flavours

    assert kernel_meta_flavours("6.8.0-52-generic", "22.04") == ["generic-hwe-22.04", "generic"]
    assert kernel_meta_flavours("6.8.0-1015-aws", None) == ["aws"]
    assert kernel_meta_flavours("6.1.0", "12") == []


def test_no_kernel_meta_flavour_is_guessed_from_a_kernel_that_is_not_ubuntus():
    from nvwizard.knowledge.packages import kernel_meta_flavours, ubuntu_kernel_flavour

    assert kernel_meta_flavours("6.18.44-fc-v1272", "24.04") == []
    assert ubuntu_kernel_flavour("6.8.0-40-lowlatency-64k") == "lowlatency-64k"
    assert (
        ubuntu_kernel_flavour("6.1.0-57-amd64") == "amd64"
    )  # Debian's shape: asked on Ubuntu only


CONTAINER_LIBRARIES = ["libnvidia-container-tools", "libnvidia-container1"]


def test_what_only_a_purged_container_toolkit_needs_is_left_to_autoremove():
    kept = [*CONTAINER_LIBRARIES, "nvidia-container-toolkit-base", "nvidia-fabricmanager-535"]
    purged = ["nvidia-driver-535-server", "nvidia-container-toolkit"]
    assert left_to_autoremove(purged, kept) == [
        *CONTAINER_LIBRARIES,
        "nvidia-container-toolkit-base",
    ]
    # the toolkit kept: it needs them all
    assert left_to_autoremove(purged[:1], [*kept, "nvidia-container-toolkit"]) == []
    # nvidia-docker2 purged: the toolkit it pulled in goes, and what the toolkit pulled in
    assert left_to_autoremove(["nvidia-docker2"], [*kept, "nvidia-container-toolkit"]) == [
        *CONTAINER_LIBRARIES,
        "nvidia-container-toolkit",
        "nvidia-container-toolkit-base",
    ]
    # libnvidia-container1 is still needed by a kept package: it stays, tools go
    still = [*kept, "libnvidia-container-dev"]
    assert left_to_autoremove(purged, still) == [
        "libnvidia-container-tools",
        "nvidia-container-toolkit-base",
    ]
    # needed by nothing installed: not the purge's doing, not left to autoremove by it
    assert left_to_autoremove(purged[:1], ["libnvidia-container1"]) == []


@pytest.mark.parametrize(
    ("image", "headers", "generic", "aws"),
    [
        ("linux-image-generic", "linux-headers-generic", True, False),
        ("linux-image-generic-hwe-22.04", "linux-headers-generic-hwe-22.04", True, False),
        ("linux-image-generic-hwe-24.04-edge", "linux-headers-generic-hwe-24.04-edge", True, False),
        ("linux-image-virtual", "linux-headers-virtual", True, False),  # generic kernels
        ("linux-image-aws", "linux-headers-aws", False, True),
        ("linux-image-aws-lts-22.04", "linux-headers-aws-lts-22.04", False, True),
        ("linux-image-lowlatency", "linux-headers-lowlatency", False, False),
        # single kernels and add-ons: no headers metapackage of their own
        ("linux-image-6.8.0-45-generic", None, False, False),
        ("linux-image-unsigned-6.8.0-45-generic", None, False, False),
        ("linux-image-extra-virtual", None, False, False),
        ("linux-headers-generic", None, False, False),
    ],
)
def test_a_kernel_metapackage_has_a_headers_sibling_for_its_flavour(image, headers, generic, aws):
    from nvwizard.knowledge.packages import headers_metapackage, installs_kernels_like

    assert headers_metapackage(image) == headers
    assert installs_kernels_like(image, "6.8.0-45-generic") == generic
    assert installs_kernels_like(image, "6.8.0-1021-aws") == aws
    assert not installs_kernels_like(image, "6.18.44-fc-v1272")  # no Ubuntu flavour
