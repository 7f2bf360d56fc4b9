"""Every parser takes any text: garbage, huge lines and 30 MB inputs return without raising.

There is no timing assertion (benchmarks do that), but a parser that backtracks or goes
quadratic on these inputs would not finish, so the test would hang instead of pass.
"""

import random

import pytest

from nvwizard.detect.apt_cache import modalias_matches, parse_apt_cache_show
from nvwizard.detect.apt_preferences import parse_apt_preferences
from nvwizard.detect.containers import (
    parse_daemon_json,
    parse_docker_info,
    parse_nvidia_ctk_version,
    parse_runtime_tables,
)
from nvwizard.detect.cuda import (
    parse_cuda_folders,
    parse_cuda_sample,
    parse_cudnn_header,
    parse_nvcc_versions,
)
from nvwizard.detect.dkms import parse_dkms_status
from nvwizard.detect.dpkg import parse_dpkg_audit, parse_dpkg_l, parse_dpkg_query, parse_showhold
from nvwizard.detect.lsmod import parse_lsmod
from nvwizard.detect.lspci import parse_lspci
from nvwizard.detect.misc import (
    parse_apt_sources,
    parse_df,
    parse_gpu_processes,
    parse_key_values,
    parse_lock_holders,
    parse_proc_fb,
    parse_reboot_required_pkgs,
    parse_unit_states,
)
from nvwizard.detect.mokutil import parse_sb_state
from nvwizard.detect.nvidia_smi import parse_nvidia_smi
from nvwizard.detect.proc_version import parse_modinfo, parse_proc_driver_version
from nvwizard.detect.sysfs_pci import parse_modalias, parse_sysfs_pci
from nvwizard.detect.ubuntu_drivers import parse_devices, parse_list
from nvwizard.detect.uname import kernel_flavour, parse_uname_r

from ._samples import sample

# each parser with a real sample of its own format
PARSERS = [
    (parse_nvidia_smi, ("nvidia-smi", "r580-a100-mig.txt")),
    (parse_dpkg_l, ("dpkg", "dpkg-l-full.txt")),
    (parse_dpkg_query, ("dpkg", "dpkg-query.txt")),
    (parse_dpkg_audit, ("dpkg", "dpkg-audit.txt")),
    (parse_showhold, ("dpkg", "apt-mark-showhold.txt")),
    (parse_lspci, ("lspci", "lspci-nn-k-rtx3090.txt")),
    (parse_sysfs_pci, ("sysfs", "sysfs-pci-hgx.txt")),
    (parse_modalias, ("sysfs", "sysfs-pci-hgx.txt")),
    (parse_devices, ("ubuntu-drivers", "devices-rtx3090-noise.txt")),
    (parse_list, ("ubuntu-drivers", "list-with-modules.txt")),
    (parse_uname_r, ("misc", "os-release-jammy.txt")),
    (kernel_flavour, ("misc", "os-release-jammy.txt")),
    (parse_proc_driver_version, ("misc", "proc-version-open.txt")),
    (parse_modinfo, ("misc", "modinfo-nvidia-signed.txt")),
    (parse_sb_state, ("misc", "mokutil-enabled.txt")),
    (parse_lsmod, ("misc", "lsmod-full.txt")),
    (parse_apt_cache_show, ("misc", "apt-cache-show.txt")),
    (parse_key_values, ("misc", "session.txt")),
    (parse_df, ("misc", "df.txt")),
    (parse_gpu_processes, ("misc", "gpu-processes.txt")),
    (parse_lock_holders, ("misc", "dpkg-lock.txt")),
    (parse_apt_sources, ("misc", "apt-sources-deb822.txt")),
    (parse_dkms_status, ("misc", "dkms-status.txt")),
    (parse_nvcc_versions, ("cuda", "nvcc-13.0-runfile.txt")),
    (parse_cudnn_header, ("cuda", "cudnn_version-9.6.0.h")),
    (parse_cuda_folders, ("cuda", "nvcc-13.0-runfile.txt")),
    (parse_cuda_sample, ("cuda", "nvcc-13.0-runfile.txt")),
    (parse_nvidia_ctk_version, ("containers", "nvidia-ctk-1.18.0.txt")),
    (parse_docker_info, ("containers", "docker-info-nvidia-default-19.03.txt")),
    (parse_daemon_json, ("containers", "daemon-nvidia-args.json")),
    (parse_runtime_tables, ("containers", "containerd-config-nvidia-v2.toml")),
    (parse_apt_preferences, ("containers", "containerd-config-nvidia-v2.toml")),
    (parse_unit_states, ("misc", "gpu-services.txt")),
    (parse_proc_fb, ("misc", "proc-fb.txt")),
    (parse_reboot_required_pkgs, ("misc", "reboot-required-pkgs.txt")),
]
IDS = [parser.__name__ for parser, _ in PARSERS]


def random_text(seed: int, size: int) -> str:
    rng = random.Random(seed)
    return rng.randbytes(size).decode("utf-8", errors="replace")


GARBAGE = {
    "random-bytes": random_text(1, 200_000),
    "random-bytes-with-newlines": random_text(2, 200_000).replace("\x00", "\n"),
    "nul-and-controls": "\x00\x01\x02\r\r\n\x0b\x0c\u2028\ufffd" * 1000,
    "huge-line-letters": "a" * 2_000_000,
    "huge-line-pipes": "| 0 " * 500_000,
    "huge-line-colons": "10de:" * 400_000,
    "huge-line-brackets": "[10de:2204] " * 200_000,
    "huge-line-spaces": " " * 1_000_000 + "x",
    "huge-line-percent": "1 2 3 4% " * 200_000,
    "many-headers": "== x ==\n" * 100_000,
    "many-stanza-fields": "Types: deb\nURIs: " + "u " * 100_000 + "\nSuites: " + "s " * 100_000,
    "half-table": "|   0  NVIDIA H100 | 00000000:01:00.0\n| N/A | 5MiB / \n" * 20_000,
    "only-separators": "+---+\n|===|\n" * 50_000,
}


@pytest.mark.parametrize(("parser", "where"), PARSERS, ids=IDS)
@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_never_raises(parser, where, kind):
    parser(GARBAGE[kind])


@pytest.mark.parametrize(("parser", "where"), PARSERS, ids=IDS)
def test_30_megabytes_of_a_real_sample(parser, where):
    text = sample(*where)
    repeated = text * (30_000_000 // len(text) + 1)
    assert len(repeated) >= 30_000_000
    parser(repeated)


@pytest.mark.parametrize(("parser", "where"), PARSERS, ids=IDS)
@pytest.mark.parametrize("text", ["", "\n", "\r\n", " ", "\t\t\n"])
def test_empty_inputs(parser, where, text):
    parser(text)


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_modalias_matching_on_garbage(kind):
    modalias_matches("pci:v*d*sv*sd*bc03sc*i*", GARBAGE[kind][:100_000])
    modalias_matches(
        GARBAGE[kind][:10_000], "pci:v000010DEd00002204sv00001043sd000087B3bc03sc00i00"
    )
