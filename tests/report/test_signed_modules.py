"""Signed-module packages: the ABI package for the running kernel and the meta that follows it."""

from nvwizard.detect.models import AptPackage
from nvwizard.report.signed_modules import (
    following_meta_flavour,
    signed_modules_available,
)

JAMMY_GA = "5.15.0-163-generic"
JAMMY_HWE = "6.8.0-52-generic"


def meta(name: str, version: str, abi: str) -> AptPackage:
    return AptPackage(name, version, depends=(f"{abi} (= {version})",))


def jammy_archive(ga_abi: str = JAMMY_GA, hwe_abi: str = JAMMY_HWE) -> list[AptPackage]:
    """What jammy offers for 580-server: GA and HWE metas, ABI packages for both kernels."""
    return [
        AptPackage(f"linux-modules-nvidia-580-server-{JAMMY_GA}", "5.15.0-163.173"),
        AptPackage(f"linux-modules-nvidia-580-server-{JAMMY_HWE}", "6.8.0-52.53~22.04.1"),
        meta(
            "linux-modules-nvidia-580-server-generic",
            "5.15.0.163.163",
            f"linux-modules-nvidia-580-server-{ga_abi}",
        ),
        meta(
            "linux-modules-nvidia-580-server-generic-hwe-22.04",
            "6.8.0-52.53~22.04.1",
            f"linux-modules-nvidia-580-server-{hwe_abi}",
        ),
        # another driver flavour whose name begins like this one's: never confused with it
        meta(
            "linux-modules-nvidia-580-server-open-generic",
            "5.15.0.163.163",
            f"linux-modules-nvidia-580-server-open-{ga_abi}",
        ),
    ]


def test_ga_kernel_gets_the_abi_package_and_the_generic_metas():
    assert signed_modules_available(jammy_archive(), JAMMY_GA, "22.04") == [
        f"linux-modules-nvidia-580-server-{JAMMY_GA}",
        "linux-modules-nvidia-580-server-generic",
        "linux-modules-nvidia-580-server-open-generic",
    ]


def test_hwe_kernel_gets_the_hwe_meta_not_the_generic_one():
    assert signed_modules_available(jammy_archive(), JAMMY_HWE, "22.04") == [
        f"linux-modules-nvidia-580-server-{JAMMY_HWE}",
        "linux-modules-nvidia-580-server-generic-hwe-22.04",
    ]


def test_a_meta_that_already_points_at_a_newer_kernel_still_follows_the_running_series():
    # The running kernel is older than the one the meta depends on (an update is pending).
    archive = jammy_archive(ga_abi="5.15.0-164-generic", hwe_abi="6.8.0-53-generic")
    assert following_meta_flavour(archive, JAMMY_GA, "22.04") == "generic"
    assert following_meta_flavour(archive, JAMMY_HWE, "22.04") == "generic-hwe-22.04"


def test_the_installed_linux_meta_package_decides_first():
    archive = [
        AptPackage("linux-modules-nvidia-580-server-generic", "1"),
        AptPackage("linux-modules-nvidia-580-server-generic-hwe-22.04", "1"),
    ]
    assert following_meta_flavour(archive, JAMMY_HWE, "22.04") is None  # no evidence: no guess
    installed = ["linux-image-generic-hwe-22.04", "bash"]
    assert following_meta_flavour(archive, JAMMY_HWE, "22.04", installed) == "generic-hwe-22.04"
    assert following_meta_flavour(archive, JAMMY_HWE, "22.04", ["linux-generic"]) == "generic"


def test_a_single_offered_series_is_taken_and_cloud_flavours_work():
    aws = "6.8.0-1015-aws"
    archive = [
        AptPackage(f"linux-modules-nvidia-550-server-{aws}", "6.8.0-1015.16"),
        AptPackage("linux-modules-nvidia-550-server-aws", "6.8.0.1015.16"),
        AptPackage("linux-modules-nvidia-550-server-generic", "6.8.0.45.45"),
    ]
    assert signed_modules_available(archive, aws, "24.04") == [
        f"linux-modules-nvidia-550-server-{aws}",
        "linux-modules-nvidia-550-server-aws",
    ]


def test_no_kernel_or_no_signed_modules_offered():
    assert signed_modules_available(jammy_archive(), None, "22.04") == []
    assert (
        signed_modules_available([AptPackage("nvidia-driver-580", "580.1")], JAMMY_GA, "22.04")
        == []
    )
