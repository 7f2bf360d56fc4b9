"""The facts of the activation decision, read from real-format sources (demo bundles and
pasted files), and the decision each demo machine gets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import find_demo
from nvwizard.report.activation import DKMS, LOADED, REBOOT, SIGNED, decide_activation
from nvwizard.report.activation_facts import activation_facts
from nvwizard.simulator import bundle_host, demo_host

SIGNED_MODINFO = """\
filename:       /lib/modules/6.8.0-94-generic/kernel/nvidia-580-server-open/nvidia.ko
version:        580.95.05
license:        Dual MIT/GPL
signer:         Canonical Ltd. Kernel Module Signing
"""
DKMS_MODINFO = """filename:       /lib/modules/6.8.0-94-generic/updates/dkms/nvidia.ko.zst
version:        580.95.05
license:        NVIDIA
signer:         gpu-node-07 Secure Boot Module Signature key
"""


def bundle(tmp_path: Path, **files: str) -> BundleHost:
    for name, text in files.items():
        (tmp_path / name.replace("_txt", ".txt").replace("_", "-")).write_text(text)
    return BundleHost(tmp_path)  # read as captured: no simulated machine needed


def test_a_signed_module_from_modinfo(tmp_path):
    facts = activation_facts(
        bundle(tmp_path, uname_r_txt="6.8.0-94-generic\n", modinfo_nvidia_txt=SIGNED_MODINFO)
    )
    assert (facts.module_version, facts.module_flavor, facts.module_source) == (
        "580.95.05",
        "open",
        SIGNED,
    )


def test_a_dkms_module_from_modinfo(tmp_path):
    facts = activation_facts(bundle(tmp_path, modinfo_nvidia_txt=DKMS_MODINFO))
    assert (facts.module_source, facts.module_flavor) == (DKMS, "proprietary")


def test_without_modinfo_the_packages_say_which_module_exists(tmp_path):
    query = (
        "linux-modules-nvidia-580-server-open-6.8.0-94-generic\tinstall ok installed\t6.8.0-94.96\n"
        "libnvidia-compute-580-server\tinstall ok installed\t580.95.05-0ubuntu1\n"
        "nvidia-headless-no-dkms-580-server-open\tinstall ok installed\t580.95.05-0ubuntu1\n"
    )
    facts = activation_facts(
        bundle(tmp_path, uname_r_txt="6.8.0-94-generic\n", dpkg_query_txt=query)
    )
    assert (facts.module_version, facts.module_source) == ("580.95.05", SIGNED)
    assert facts.driver == "nvidia-driver-580-server-open"


def test_a_dkms_build_for_another_kernel_is_no_module_for_this_one(tmp_path):
    query = "nvidia-dkms-580\tinstall ok installed\t580.95.05-0ubuntu1\n"
    facts = activation_facts(
        bundle(
            tmp_path,
            uname_r_txt="6.8.0-94-generic\n",
            dpkg_query_txt=query,
            dkms_status_txt="nvidia/580.95.05, 6.8.0-95-generic, x86_64: installed\n",
        )
    )
    assert facts.module_version is None
    assert decide_activation(facts).reason == (
        "no nvidia module is installed for the running kernel 6.8.0-94-generic"
    )


def test_the_pending_kernel_from_reboot_required_pkgs(tmp_path):
    facts = activation_facts(
        bundle(
            tmp_path,
            reboot_required_txt="*** System restart required ***\n",
            reboot_required_pkgs_txt="nvidia-dkms-580\nlinux-image-6.8.0-95-generic\n",
        )
    )
    assert facts.pending_kernel == "linux-image-6.8.0-95-generic"


def test_a_reboot_asked_for_by_the_driver_alone_is_no_pending_kernel(tmp_path):
    query = "linux-image-6.8.0-95-generic\tinstall ok installed\t6.8.0-95.97\n"
    facts = activation_facts(
        bundle(
            tmp_path,
            uname_r_txt="6.8.0-94-generic\n",
            dpkg_query_txt=query,
            reboot_required_txt="*** System restart required ***\n",
            reboot_required_pkgs_txt="nvidia-dkms-580\n",
        )
    )
    assert facts.pending_kernel is None


def test_without_pkgs_a_newer_installed_kernel_is_the_pending_one(tmp_path):
    query = (
        "linux-image-6.8.0-94-generic\tinstall ok installed\t6.8.0-94.96\n"
        "linux-image-6.8.0-95-generic\tinstall ok installed\t6.8.0-95.97\n"
    )
    host = bundle(
        tmp_path,
        uname_r_txt="6.8.0-94-generic\n",
        dpkg_query_txt=query,
        reboot_required_txt="*** System restart required ***\n",
    )
    assert activation_facts(host).pending_kernel == "linux-image-6.8.0-95-generic"


def test_services_without_systemctl_answer_come_from_their_daemons(tmp_path):
    processes = (
        "2981\tnvidia-persiste\tnvidia-persistenced\t/dev/nvidia0\n"
        "4242\tnv-hostengine\troot\t/dev/nvidiactl\n"
    )
    facts = activation_facts(bundle(tmp_path, gpu_processes_txt=processes))
    assert [u.name for u in facts.services] == [
        "nvidia-dcgm.service",
        "nvidia-persistenced.service",
    ]


def test_nouveau_console_and_bound_gpu(tmp_path):
    facts = activation_facts(
        bundle(
            tmp_path,
            lsmod_txt="Module Size Used by\nnouveau 2424832 1\n",
            sysfs_pci_txt="0000:01:00.0 class=0x030000 vendor=0x10de device=0x1b80 "
            "driver=nouveau\n",
            proc_fb_txt="0 nouveaudrmfb\n",
        )
    )
    assert facts.nouveau is not None and facts.nouveau.count == 1
    assert facts.nouveau_bound and facts.console_framebuffer == "nouveaudrmfb"


@pytest.mark.parametrize(
    ("demo", "verdict", "reason"),
    [
        # before any install: what is loaded is what is installed
        ("hgx-h100", LOADED, "nvidia 535.247.01, the installed version, is loaded already"),
        ("rtx3090-fresh", REBOOT, "no nvidia module is installed"),
        ("nvml-mismatch", REBOOT, "a kernel update (linux-image-5.15.0-164-generic) waits"),
    ],
)
def test_demo_machines_as_they_come(demo, verdict, reason):
    activation = decide_activation(activation_facts(demo_host(demo)))
    assert activation.verdict == verdict
    assert activation.reason.startswith(reason)


def test_the_hgx_stops_its_services_first(tmp_path):
    folder = tmp_path / "hgx"
    shutil.copytree(find_demo("hgx-h100").path, folder)
    facts = activation_facts(bundle_host(folder))
    assert {u.name: u.active for u in facts.services} == {
        "nvidia-persistenced.service": "active",
        "nvidia-fabricmanager.service": "active",
        "nvidia-dcgm.service": "inactive",
        "dcgm.service": "inactive",
        "nvidia-powerd.service": "inactive",
    }
    assert [m.name for m in facts.nvidia_modules] == [
        "nvidia_uvm",
        "nvidia_drm",
        "nvidia_modeset",
        "nvidia",
    ]
