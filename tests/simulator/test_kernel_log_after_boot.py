"""A simulated reboot starts a new kernel log: the old boot's errors go with it."""

from __future__ import annotations

from pathlib import Path

from nvwizard.detect.kernel_log import parse_kernel_log
from nvwizard.simulator.kernel_files import kernel_log_after_boot
from nvwizard.simulator.state import LoadedNvidia

DEMO_LOG = (
    Path(__file__).resolve().parents[2]
    / "nvwizard"
    / "demo_machines"
    / "nvml-mismatch"
    / "kernel-log.txt"
).read_text()


def test_the_new_boot_has_only_the_new_modules_loading_line():
    module = LoadedNvidia("550.163.01", False, "/lib/modules/x/nvidia.ko", True)
    after = kernel_log_after_boot(DEMO_LOG, module, "Tue Mar 10 18:02:11 UTC 2026")
    assert parse_kernel_log(DEMO_LOG).api_mismatches  # before: the mismatch
    log = parse_kernel_log(after)
    assert log.api_mismatches == () and log.xids == () and log.source == "journalctl"
    assert after.splitlines()[1] == (
        "[    5.104520] infer-a100-02 kernel: NVRM: loading NVIDIA UNIX x86_64 Kernel Module  "
        "550.163.01  Tue Mar 10 18:02:11 UTC 2026"
    )


def test_a_bundle_without_a_kernel_log_stays_without_one():
    assert kernel_log_after_boot(None, None, "date") is None
