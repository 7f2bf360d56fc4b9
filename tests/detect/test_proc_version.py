import pytest

from nvwizard.detect.models import KernelModuleVersion
from nvwizard.detect.proc_version import parse_modinfo, parse_proc_driver_version

from ._samples import sample


@pytest.mark.parametrize(
    ("name", "version", "flavor"),
    [
        ("proc-version-open.txt", "580.95.05", "open"),
        ("proc-version-proprietary.txt", "535.183.01", "proprietary"),
        ("proc-version-aarch64-open.txt", "550.54.15", "open"),
        ("proc-version-aarch64-proprietary.txt", "470.256.02", "proprietary"),
    ],
)
def test_proc_driver_version(name, version, flavor):
    assert parse_proc_driver_version(sample("misc", name)) == KernelModuleVersion(version, flavor)


def test_sys_module_version_has_no_flavor():
    assert parse_proc_driver_version("580.95.05\n") == KernelModuleVersion("580.95.05", None)


@pytest.mark.parametrize(
    "text", ["", "cat: /proc/driver/nvidia/version: No such file or directory\n", "NVRM"]
)
def test_proc_driver_version_absent(text):
    assert parse_proc_driver_version(text) is None


def test_modinfo_precompiled_signed_module():
    info = parse_modinfo(sample("misc", "modinfo-nvidia-signed.txt"))
    assert info == {
        "filename": "/lib/modules/6.8.0-87-generic/kernel/nvidia-580srv-open/nvidia.ko",
        "version": "580.95.05",
        "license": "Dual MIT/GPL",
        "vermagic": "6.8.0-87-generic SMP preempt mod_unload modversions",
        "signer": "Canonical Ltd. Kernel Module Signing",
    }


def test_modinfo_dkms_module():
    info = parse_modinfo(sample("misc", "modinfo-nvidia-dkms.txt"))
    assert info["filename"].endswith("/updates/dkms/nvidia.ko")
    assert (info["license"], info["signer"]) == (
        "NVIDIA",
        "gpu-01 Secure Boot Module Signature key",
    )


def test_modinfo_error():
    assert parse_modinfo("modinfo: ERROR: Module nvidia not found.\n") == {}
