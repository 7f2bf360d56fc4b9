"""Findings from this boot's kernel log (kernel-log.txt), on captured bundles: Xids per GPU
with their counts, Xid 79 as gpu-fallen-off-bus's evidence, an API mismatch as
nvml-mismatch's, and the module refused or failing. Log lines as in tests/detect/
test_kernel_log.py (real ones, sources named there)."""

from __future__ import annotations

import json
from pathlib import Path

from nvwizard.cli.detect_cmd import format_report
from nvwizard.host.bundle import BundleHost
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from tests.detect.test_kernel_log import (
    API_JOURNAL,
    ECC_SYSLOG,
    GSP_TIMEOUT,
    LOCKDOWN,
    OPEN_REFUSED_JOURNAL,
    SEVERAL_GPUS_DMESG_T,
    SYMBOLS_SYSLOG,
)

A100S = "".join(
    f"{bus}:00.0 3D controller [0302]: NVIDIA Corporation GA100 [A100 PCIe 80GB] [10de:20b5] "
    f"(rev {'ff' if bus == '3b' and lost else 'a1'})\n\tKernel driver in use: nvidia\n"
    for bus, lost in (("07", False), ("0a", False), ("3b", True))
)
XID79 = (
    "[ 1843.308145] gpu-7 kernel: NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', "
    "name=<unknown>, GPU has fallen off the bus.\n"
)
PROC_550 = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 2024\n"


def report_of(tmp_path: Path, **files: str):
    for name, text in files.items():
        (tmp_path / (name.replace("_", "-") + ".txt")).write_text(text, encoding="utf-8")
    return build_report(BundleHost(tmp_path))


def by_id(report) -> dict:
    return {f.id: f for f in report.findings}


def test_xid_79_strengthens_gpu_fallen_off_bus_and_is_not_said_twice(tmp_path):
    report = report_of(tmp_path, lspci_nn=A100S, kernel_log=XID79 * 3)
    found = by_id(report)
    lost = found["gpu-fallen-off-bus"]
    assert lost.severity == "block"
    assert lost.message == (
        "A GPU has fallen off the PCI bus: 0000:3b:00.0 (A100 PCIe 80GB), lspci: rev ff, its "
        "config space reads all ones; kernel log: Xid 79 x3 (GPU has fallen off the bus)."
    )
    assert "gpu-hardware-errors" not in found


def test_xid_79_alone_is_evidence_while_nothing_shows_the_gpu_answering(tmp_path):
    found = by_id(report_of(tmp_path, kernel_log=XID79))
    assert found["gpu-fallen-off-bus"].message == (
        "A GPU has fallen off the PCI bus: 0000:3b:00.0, kernel log: Xid 79 (GPU has fallen off "
        "the bus)."
    )


def test_xid_79_of_a_gpu_answering_again_is_a_hardware_error_not_a_block(tmp_path):
    answering = A100S.replace("(rev ff)", "(rev a1)")
    found = by_id(report_of(tmp_path, lspci_nn=answering, kernel_log=XID79))
    assert "gpu-fallen-off-bus" not in found
    hardware = found["gpu-hardware-errors"]
    assert hardware.severity == "warn"
    assert "Xid 79 on 0000:3b:00.0 (A100 PCIe 80GB): GPU has fallen off the bus" in (
        hardware.message
    )


def test_hardware_xids_per_gpu_with_counts_and_the_init_failure(tmp_path):
    log = ECC_SYSLOG + ECC_SYSLOG.splitlines(keepends=True)[3]  # the DBE twice
    found = by_id(report_of(tmp_path, lspci_nn=A100S.replace("rev ff", "rev a1"), kernel_log=log))
    hardware = found["gpu-hardware-errors"]
    assert hardware.message == (
        "This boot's kernel log shows GPU hardware errors: Xid 48 x2 on 0000:07:00.0 (A100 PCIe "
        "80GB): double-bit ECC error (uncorrectable memory error); Xid 64 on 0000:07:00.0 (A100 "
        "PCIe 80GB): ECC page retirement or row remapping failed."
    )
    assert hardware.fix.startswith("Xid 48: reset the GPU")
    assert "A driver install or change does not repair hardware." in hardware.fix
    init = found["gpu-init-failed"]
    assert init.severity == "warn"
    assert "0000:0a:00.0 (A100 PCIe 80GB) x2 (0x24:0x72:1568)" in init.message


def test_application_xids_are_info_and_gsp_ones_warn(tmp_path):
    found = by_id(report_of(tmp_path, kernel_log=SEVERAL_GPUS_DMESG_T + GSP_TIMEOUT))
    application = found["gpu-application-errors"]
    assert application.severity == "info"
    assert "Xid 43 x2 on 0000:00:05.0: GPU stopped processing" in application.message
    assert "(pt_main_thread)" in application.message
    assert "Xid 31 on 0000:00:07.0: GPU memory page fault (python3.10)" in application.message
    assert "Xid 94 on 0000:00:08.0: contained ECC error" in found["gpu-hardware-errors"].message
    gsp = found["gsp-firmware-errors"]
    assert gsp.severity == "warn"
    assert "Xid 119 on 0000:65:00.0: GSP RPC timeout" in gsp.message
    assert "NVreg_EnableGpuFirmware=0" in gsp.fix


def test_api_mismatch_is_nvml_mismatchs_evidence_on_the_demo():
    found = by_id(build_report(demo_host("nvml-mismatch")))
    assert found["nvml-mismatch"].message.endswith(
        "this boot's kernel log shows it too (API mismatch x3: libraries 550.163.01, kernel "
        "module 550.127.05)."
    )
    assert "driver-api-mismatch" not in found
    assert found["gpu-application-errors"].severity == "info"


def test_api_mismatch_alone_says_a_reboot_or_reload_is_pending(tmp_path):
    log = API_JOURNAL.replace("367.35", "550.127.05")
    found = by_id(report_of(tmp_path, proc_driver_nvidia_version=PROC_550, kernel_log=log))
    assert "nvml-mismatch" not in found
    mismatch = found["driver-api-mismatch"]
    assert mismatch.severity == "warn"
    assert "API mismatch: libraries 367.44, kernel module 550.127.05" in mismatch.message
    assert mismatch.fix.startswith("Reboot to load the installed module")


def test_an_api_mismatch_of_a_module_since_reloaded_is_over(tmp_path):
    found = by_id(report_of(tmp_path, proc_driver_nvidia_version=PROC_550, kernel_log=API_JOURNAL))
    assert "driver-api-mismatch" not in found and "nvml-mismatch" not in found


def test_the_module_refused_built_for_another_kernel_or_unsigned(tmp_path):
    gtx = (
        "09:00.0 VGA compatible controller [0300]: NVIDIA Corporation GP108 [GeForce GT 1030] "
        "[10de:1d01] (rev a1)\n"
    )
    log = OPEN_REFUSED_JOURNAL + SYMBOLS_SYSLOG + LOCKDOWN
    found = by_id(report_of(tmp_path, lspci_nn=gtx, kernel_log=log))
    assert found["open-modules-refused-gpu"].message.startswith(
        "This boot's kernel log shows the open kernel modules refusing 0000:09:00.0 (GeForce GT "
        "1030) (PCI ID 10de:1d01)"
    )
    assert "nvidia: i2c_get_adapter" in found["module-for-another-kernel"].message
    refused = found["unsigned-module-refused"]
    assert "unsigned module x2" in refused.message
    assert "mokutil --import" in refused.fix


def test_detect_text_and_json_say_the_kernel_log_and_an_old_bundle_has_none(tmp_path):
    report = build_report(demo_host("nvml-mismatch"))
    text = format_report(report)
    assert "Kernel log (this boot), from journalctl:\n  Xid 31 on 0000:41:00.0" in text
    assert "  API mismatch x3: libraries 550.163.01, kernel module 550.127.05\n" in text
    log = json.loads(json.dumps(report.to_json()))["kernel_log"]
    assert log["source"] == "journalctl"
    assert log["api_mismatches"] == [
        {"client_version": "550.163.01", "module_version": "550.127.05", "count": 3, "clients": []}
    ]
    assert log["xids"][0]["xid"] == 31 and log["xids"][0]["pci_address"] == "0000:41:00.0"
    old = report_of(tmp_path, lspci_nn=A100S)
    assert old.kernel_log is None and old.to_json()["kernel_log"] is None
    assert "Kernel log (this boot):\n  not captured\n" in format_report(old)


def test_gsp_xids_of_an_earlier_version_loaded_this_boot_are_said_left_out(tmp_path):
    from tests.detect.test_kernel_log import GSP_UNDER_550, LOADING_550, RELOADED_OPEN_570

    gsp_now = GSP_TIMEOUT.replace("NVRM", "[ 2600.00] NVRM", 1)
    log = LOADING_550 + GSP_UNDER_550 + RELOADED_OPEN_570 + gsp_now
    gsp = by_id(report_of(tmp_path, kernel_log=log))["gsp-firmware-errors"]
    assert gsp.message == (
        "This boot's kernel log shows GSP firmware errors: Xid 119 on 0000:65:00.0: GSP RPC "
        "timeout (the GSP firmware did not answer) (2 more logged under another driver version,"
        " loaded earlier this boot, are left out)."
    )
    only_before = LOADING_550 + GSP_UNDER_550 + RELOADED_OPEN_570
    assert "gsp-firmware-errors" not in by_id(report_of(tmp_path, kernel_log=only_before))
