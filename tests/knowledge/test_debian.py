import pytest

from nvwizard.knowledge.debian import headers_meta, parse_debian_driver


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
