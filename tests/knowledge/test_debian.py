import pytest

from nvwizard.knowledge.debian import (
    RELEASES,
    headers_meta,
    installed_flavour,
    is_backports_kernel,
    is_user_space_version_package,
    kernel_dkms_flavour,
    kernel_flavour,
    parse_debian_driver,
    release,
    smi_package,
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


@pytest.mark.parametrize(
    ("kernel", "meta"),
    [
        # bookworm's own 6.1 kernels, every flavour the archive builds headers for
        ("6.1.0-57-amd64", "linux-headers-amd64"),
        ("6.1.0-57-cloud-amd64", "linux-headers-cloud-amd64"),
        ("6.1.0-57-rt-amd64", "linux-headers-rt-amd64"),
        ("6.1.0-57-arm64", "linux-headers-arm64"),
        ("6.1.0-57-cloud-arm64", "linux-headers-cloud-arm64"),
        ("6.1.0-57-rt-arm64", "linux-headers-rt-arm64"),
        ("6.1.0-57-686-pae", "linux-headers-686-pae"),
        ("6.1.0-0.deb11.17-amd64", "linux-headers-amd64"),  # bullseye-backports' 6.1
        # trixie's ABI carries the release: 6.12.N+deb13[.M]
        ("6.12.118+deb13-amd64", "linux-headers-amd64"),
        ("6.12.118+deb13-cloud-amd64", "linux-headers-cloud-amd64"),
        ("6.12.118+deb13-rt-amd64", "linux-headers-rt-amd64"),
        ("6.12.115+deb13.1-cloud-amd64", "linux-headers-cloud-amd64"),
        ("6.12.118+deb13-arm64", "linux-headers-arm64"),
        ("6.12.118+deb13-cloud-arm64", "linux-headers-cloud-arm64"),
        ("6.12.118+deb13-rt-arm64", "linux-headers-rt-arm64"),
        # bookworm-security's 6.12 kernels follow their own series' metapackage
        ("6.12.118+deb12-amd64", "linux-headers-6.12-amd64"),
        ("6.12.118+deb12-cloud-amd64", "linux-headers-6.12-cloud-amd64"),
        ("6.12.118+deb12-rt-arm64", "linux-headers-6.12-rt-arm64"),
        # a release nvwizard does not know yet: its own series, presumably
        ("6.18.3+deb14-amd64", "linux-headers-amd64"),
        # no metapackage here: backports (only in <release>-backports), not Debian's kernels
        ("6.12.12+bpo-amd64", None),
        ("6.18.44-fc-v1272", None),
        ("6.1.0", None),
        ("", None),
    ],
)
def test_headers_metapackage_follows_every_debian_kernel_form(kernel, meta):
    assert headers_meta(kernel) == meta


@pytest.mark.parametrize(
    ("kernel", "flavour"),
    [
        ("6.1.0-57-cloud-amd64", "cloud-amd64"),
        ("6.12.115+deb13.1-rt-arm64", "rt-arm64"),
        ("6.12.12+bpo-amd64", "amd64"),
        ("6.18.44-fc-v1272", None),
        ("5.15.0-1045-aws", "aws"),  # an Ubuntu ABI has the same shape: only asked on Debian
    ],
)
def test_kernel_flavour(kernel, flavour):
    assert kernel_flavour(kernel) == flavour
    assert is_backports_kernel(kernel) == kernel.endswith("+bpo-amd64")


def test_release_table_names_each_release_and_its_kernel_series():
    assert (release("12").codename, release("12").kernel_series) == ("bookworm", "6.1")
    assert (release("13").codename, release("13").kernel_series) == ("trixie", "6.12")
    assert release("13.1") is release("13") and release("11") is None and release(None) is None
    assert dict(release("13").drivers)["nvidia-driver"] == 550
    # what the archives no longer have is not listed (tests/debian_archive checks the rest)
    for known in RELEASES.values():
        names = dict(known.drivers)
        assert "nvidia-legacy-390xx-driver" not in names and "nvidia-tesla-driver" not in names


@pytest.mark.parametrize(
    ("flavour", "smi"),
    [
        ("535", "nvidia-smi"),
        ("550-open", "nvidia-smi"),
        ("current", "nvidia-smi"),
        ("tesla-535", "nvidia-tesla-535-smi"),
        ("tesla-470", "nvidia-tesla-470-smi"),
    ],
)
def test_smi_package_of_each_flavour(flavour, smi):
    assert smi_package(flavour) == smi


@pytest.mark.parametrize(
    ("names", "branch", "flavour"),
    [
        (["libcuda1", "nvidia-kernel-dkms", "nvidia-smi"], 550, "550"),
        (["nvidia-open-kernel-dkms", "nvidia-driver"], 550, "550-open"),
        (["nvidia-tesla-535-kernel-dkms", "nvidia-tesla-535-smi"], None, "tesla-535"),
        (["nvidia-smi", "libcuda1"], 535, None),  # no kernel modules: no flavour
        (["nvidia-dkms-580"], 580, None),  # Ubuntu's
    ],
)
def test_installed_flavour_from_the_kernel_dkms_package(names, branch, flavour):
    assert installed_flavour(names, branch) == flavour


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
