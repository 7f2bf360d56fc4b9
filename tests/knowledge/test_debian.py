import pytest

from nvwizard.knowledge.debian import (
    headers_meta,
    is_user_space_version_package,
    kernel_dkms_flavour,
    parse_debian_driver,
)


@pytest.mark.parametrize(
    ("name", "branch", "family", "server", "open_"),
    [
        ("nvidia-driver", 535, "", False, False),
        ("nvidia-open-kernel-dkms", 535, "", False, True),
        ("nvidia-tesla-535-driver", 535, "tesla-535-", True, False),
        ("nvidia-tesla-driver", 525, "tesla-", True, False),  # branch from the apt version
        ("nvidia-tesla-470-driver", 470, "tesla-470-", True, False),
        ("nvidia-legacy-390xx-driver", 390, "legacy-390xx-", False, False),
    ],
)
def test_debian_driver_names(name, branch, family, server, open_):
    version_branch = 535 if name in ("nvidia-driver", "nvidia-open-kernel-dkms") else None
    if name == "nvidia-tesla-driver":
        version_branch = 525
    driver = parse_debian_driver(name, version_branch)
    assert (driver.branch, driver.family, driver.server, driver.open) == (
        branch,
        family,
        server,
        open_,
    )


def test_parts_of_each_family():
    current = parse_debian_driver("nvidia-driver", 535)
    assert (current.kernel_dkms, current.smi, current.cuda_library) == (
        "nvidia-kernel-dkms",
        "nvidia-smi",
        "libcuda1",
    )
    assert (current.gsp_firmware, current.cfg_library) == ("firmware-nvidia-gsp", "libnvidia-cfg1")
    assert current.flavour == "535" and current.has_gsp_firmware
    assert parse_debian_driver("nvidia-open-kernel-dkms", 535).flavour == "535-open"
    tesla = parse_debian_driver("nvidia-tesla-535-driver")
    assert (tesla.kernel_dkms, tesla.smi, tesla.cuda_library, tesla.gsp_firmware) == (
        "nvidia-tesla-535-kernel-dkms",
        "nvidia-tesla-535-smi",
        "libnvidia-tesla-535-cuda1",
        "firmware-nvidia-tesla-535-gsp",
    )
    assert tesla.metapackage == "nvidia-tesla-535-driver" and tesla.flavour == "tesla-535"
    assert not parse_debian_driver("nvidia-tesla-470-driver").has_gsp_firmware
    assert parse_debian_driver("nvidia-driver").branch is None  # unknown without apt's version


@pytest.mark.parametrize(
    "name",
    ["nvidia-driver-580", "nvidia-tesla-535-smi", "nvidia-tesla-535-driver-libs", "libcuda1", ""],
)
def test_other_names_are_not_debian_drivers(name):
    assert parse_debian_driver(name, 535) is None


def test_headers_metapackage_follows_the_kernel_flavour():
    assert headers_meta("6.1.0-40-amd64") == "linux-headers-amd64"
    assert headers_meta("6.1.0-40-cloud-amd64") == "linux-headers-cloud-amd64"
    assert headers_meta("6.1.0") is None


@pytest.mark.parametrize(
    "name, flavour",
    [
        ("nvidia-kernel-dkms", "proprietary"),
        ("nvidia-tesla-535-kernel-dkms", "proprietary"),
        ("nvidia-tesla-470-kernel-dkms", "proprietary"),
        ("nvidia-tesla-kernel-dkms", "proprietary"),
        ("nvidia-legacy-390xx-kernel-dkms", "proprietary"),
        ("nvidia-open-kernel-dkms", "open"),
        ("nvidia-dkms-580-open", None),  # Ubuntu's name
        ("nvidia-kernel-source", None),
        ("nvidia-tesla-535-kernel-support", None),
        ("nvidia-kernel-dkms-extra", None),
    ],
)
def test_kernel_dkms_flavour_of_every_family(name, flavour):
    assert kernel_dkms_flavour(name) == flavour


@pytest.mark.parametrize(
    "name, carries",
    [
        ("libcuda1", True),
        ("nvidia-smi", True),
        ("nvidia-tesla-535-smi", True),
        ("libnvidia-tesla-535-cuda1", True),
        ("libnvidia-legacy-390xx-cuda1", True),
        ("nvidia-utils-580", False),  # Ubuntu's: verify reads those by prefix
        ("libcuda1-i386", False),
        ("nvidia-tesla-535-smi-extra", False),
    ],
)
def test_packages_carrying_the_user_space_version(name, carries):
    assert is_user_space_version_package(name) is carries


def test_every_familys_kernel_dkms_part_is_recognised():
    for name, branch in [
        ("nvidia-driver", 535),
        ("nvidia-open-kernel-dkms", 535),
        ("nvidia-tesla-535-driver", None),
        ("nvidia-tesla-driver", 525),
        ("nvidia-legacy-390xx-driver", None),
    ]:
        driver = parse_debian_driver(name, branch)
        expected = "open" if driver.open else "proprietary"
        assert kernel_dkms_flavour(driver.kernel_dkms) == expected
        assert is_user_space_version_package(driver.smi)
        assert is_user_space_version_package(driver.cuda_library)
