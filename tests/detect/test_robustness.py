"""Every parser takes any text: garbage, huge lines, empty input and 30 MB of a real sample.

Each result is checked (invariants.py): its types are what the parser's annotation says, it
holds nothing that is not in the input (no invented GPU, package or version), an empty input
gives an empty result, and 30 MB of a sample give at least what one copy gives.

There is no timing assertion (benchmarks do that), but a parser that backtracks or goes
quadratic on these inputs would not finish, so the test would hang instead of pass. The 30 MB
cases are marked `slow` (`-m "not slow"` leaves them out; CI runs them).
"""

import random

import pytest

from nvwizard.detect.apt_cache import modalias_matches, parse_apt_cache_show
from nvwizard.detect.apt_preferences import parse_apt_preferences
from nvwizard.detect.apt_sources import parse_apt_source_entries
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
    parse_nvcc_version,
    parse_nvcc_versions,
)
from nvwizard.detect.dkms import parse_dkms_status
from nvwizard.detect.dpkg import parse_dpkg_audit, parse_dpkg_l, parse_dpkg_query, parse_showhold
from nvwizard.detect.kernel_log import parse_kernel_log
from nvwizard.detect.lsmod import parse_lsmod
from nvwizard.detect.lspci import parse_lspci
from nvwizard.detect.misc import (
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

from . import invariants
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
    (parse_modalias, ("sysfs", "modalias-rtx3090.txt")),
    (parse_devices, ("ubuntu-drivers", "devices-rtx3090-noise.txt")),
    (parse_list, ("ubuntu-drivers", "list-with-modules.txt")),
    (parse_uname_r, ("misc", "uname-r.txt")),
    (kernel_flavour, ("misc", "uname-r.txt")),
    (parse_proc_driver_version, ("misc", "proc-version-open.txt")),
    (parse_modinfo, ("misc", "modinfo-nvidia-signed.txt")),
    (parse_sb_state, ("misc", "mokutil-enabled.txt")),
    (parse_lsmod, ("misc", "lsmod-full.txt")),
    (parse_apt_cache_show, ("misc", "apt-cache-show.txt")),
    (parse_key_values, ("misc", "session.txt")),
    (parse_df, ("misc", "df.txt")),
    (parse_gpu_processes, ("misc", "gpu-processes.txt")),
    (parse_lock_holders, ("misc", "dpkg-lock.txt")),
    (parse_apt_source_entries, ("misc", "apt-sources-deb822.txt")),
    (parse_dkms_status, ("misc", "dkms-status.txt")),
    (parse_nvcc_versions, ("cuda", "nvcc-13.0-runfile.txt")),
    (parse_cudnn_header, ("cuda", "cudnn_version-9.6.0.h")),
    (parse_nvcc_version, ("cuda", "nvcc-13.0-runfile.txt")),
    (parse_cuda_folders, ("cuda", "cuda-toolkits.txt")),
    (parse_cuda_sample, ("cuda", "cuda-sample-passed.txt")),
    (parse_nvidia_ctk_version, ("containers", "nvidia-ctk-1.18.0.txt")),
    (parse_docker_info, ("containers", "docker-info-nvidia-default-19.03.txt")),
    (parse_daemon_json, ("containers", "daemon-nvidia-args.json")),
    (parse_runtime_tables, ("containers", "containerd-config-nvidia-v2.toml")),
    (parse_apt_preferences, ("containers", "cuda-ubuntu2404.pin")),
    (parse_apt_source_entries, ("misc", "apt-sources-with-files.txt")),
    (parse_unit_states, ("misc", "gpu-services.txt")),
    (parse_proc_fb, ("misc", "proc-fb.txt")),
    (parse_reboot_required_pkgs, ("misc", "reboot-required-pkgs.txt")),
    (parse_kernel_log, ("misc", "kernel-log-journalctl.txt")),
]
IDS = [parser.__name__ for parser, _ in PARSERS]
# parse_* functions that read one value, not a whole output (their callers' parsers are here)
NOT_FOR_WHOLE_TEXTS = {"parse_modaliases_field", "parse_driver_line"}
# Read one value (a modalias, a kernel release) or one document (daemon.json), not a tool's
# output: many copies of it are not more of the same (nor JSON), so 30 MB of it need not give
# what one copy gives.
ONE_VALUE = {parse_modalias, kernel_flavour, parse_daemon_json}
# Count what they read (Xid 79 x3): their counts grow with the copies.
COUNTING = {parse_kernel_log}


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


@pytest.fixture(scope="module")
def garbage_inputs() -> dict[str, invariants.Input]:
    """Each garbage text, prepared once for the module's checks."""
    return {kind: invariants.Input(text) for kind, text in GARBAGE.items()}


@pytest.mark.parametrize(("parser", "where"), PARSERS, ids=IDS)
@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_gives_only_what_is_in_it(parser, where, kind, garbage_inputs):
    text = GARBAGE[kind]
    invariants.check(parser, text, invariants.distinct(parser(text)), garbage_inputs[kind])


@pytest.mark.parametrize(("parser", "where"), PARSERS, ids=IDS)
def test_each_real_sample_is_read_and_gives_only_what_is_in_it(parser, where):
    """The samples the other cases repeat: each parser finds something in its own."""
    text = sample(*where)
    result = parser(text)
    invariants.check(parser, text, result)
    assert not invariants.is_empty(result, parser.__name__), "the sample gave nothing"


@pytest.mark.slow
@pytest.mark.parametrize(("parser", "where"), PARSERS, ids=IDS)
def test_30_megabytes_of_a_real_sample(parser, where):
    text = sample(*where)
    repeated = text * (30_000_000 // len(text) + 1)
    assert len(repeated) >= 30_000_000
    result = invariants.distinct(parser(repeated))
    # A value of a tool's output is shorter than a copy: three copies hold it (also one read
    # across the seam of two). A one-value parser may read all the copies as its value.
    given = invariants.Input(repeated if parser in ONE_VALUE else text * 3)
    invariants.check(parser, repeated, result, given)
    if parser not in ONE_VALUE:
        once = parser(text)
        if parser in COUNTING:  # many copies count more of the same: the counts differ
            once, result = invariants.uncounted(once), invariants.uncounted(result)
        assert invariants.found_again(once, result)


@pytest.mark.parametrize(("parser", "where"), PARSERS, ids=IDS)
@pytest.mark.parametrize("text", ["", "\n", "\r\n", " ", "\t\t\n"])
def test_empty_inputs_give_nothing(parser, where, text):
    result = parser(text)
    invariants.check(parser, text, result)
    assert invariants.is_empty(result, parser.__name__), result


def test_every_parser_of_detect_is_here():
    """A new parser joins these cases (with a sample of its own format)."""
    import importlib
    import inspect
    import pkgutil

    import nvwizard.detect

    public = {
        f"{info.name}.{name}"
        for info in pkgutil.iter_modules(nvwizard.detect.__path__, "nvwizard.detect.")
        for name, function in inspect.getmembers(importlib.import_module(info.name))
        if inspect.isfunction(function)
        and function.__module__ == info.name
        and name.startswith("parse_")
        and name not in NOT_FOR_WHOLE_TEXTS
    }
    assert public <= {f"{p.__module__}.{p.__name__}" for p, _ in PARSERS}


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_modalias_matching_on_garbage(kind):
    """Neither a garbage modalias nor a garbage pattern matches a real one."""
    assert modalias_matches("pci:v*d*sv*sd*bc03sc*i*", GARBAGE[kind][:100_000]) is False
    concrete = "pci:v000010DEd00002204sv00001043sd000087B3bc03sc00i00"
    assert modalias_matches(GARBAGE[kind][:10_000], concrete) is False
