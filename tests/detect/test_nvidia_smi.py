import pytest

from nvwizard.detect.nvidia_smi import parse_nvidia_smi

from ._samples import sample


def smi(name: str):
    return parse_nvidia_smi(sample("nvidia-smi", name))


def test_79_column_table_with_mig_column_and_no_processes():
    r = smi("r470-t4-79col.txt")
    assert (r.status, r.driver_version, r.cuda_version) == ("ok", "470.199.02", "11.4")
    [gpu] = r.gpus
    assert (gpu.index, gpu.name, gpu.bus_id) == (0, "Tesla T4", "00000000:00:1E.0")
    assert (gpu.memory_used_mib, gpu.memory_total_mib, gpu.mig_mode) == (0, 15109, "N/A")
    assert r.processes == ()
    assert r.message is None


def test_two_line_gpu_rows_old_processes_table_and_not_supported_cells():
    r = smi("r440-v100-old-processes.txt")
    assert [g.index for g in r.gpus] == [0, 1, 2]
    assert r.gpus[0].name == "Tesla V100-SXM2..."
    assert r.gpus[2].name == "GeForce GTX 108..."
    assert all(g.mig_mode is None for g in r.gpus)  # no third line before branch 450
    assert [(p.gpu_index, p.pid, p.type, p.name, p.memory_mib) for p in r.processes] == [
        (0, 23715, "C", "python", 15789),
        (1, 23716, "C", "/usr/bin/python3", 15789),
    ]


def test_ancient_table_without_cuda_version_and_short_bus_ids():
    r = smi("r331-gtx680-ancient.txt")
    assert (r.status, r.driver_version, r.cuda_version) == ("ok", "331.62", None)
    assert [(g.index, g.bus_id, g.memory_total_mib) for g in r.gpus] == [
        (0, "0000:03:00.0", 4095),
        (1, "0000:04:00.0", 4095),
    ]
    assert r.processes == ()  # "Not Supported" rows are not processes


def test_89_column_table_with_skipped_index_and_process_arguments():
    r = smi("r535-h100-89col-skipped-index.txt")
    assert (r.driver_version, r.cuda_version) == ("535.183.01", "12.2")
    assert [g.index for g in r.gpus] == [0, 1, 3]
    assert {g.name for g in r.gpus} == {"NVIDIA H100 80GB HBM3"}
    assert r.gpus[2].memory_used_mib == 4
    assert {g.mig_mode for g in r.gpus} == {"Disabled"}
    assert r.processes[0].name == "python3 -m torch.distributed.run"
    assert [p.pid for p in r.processes] == [381204, 381205]


def test_91_column_table_with_dash_rule_and_graphics_processes():
    r = smi("r550-rtx4090-91col.txt")
    assert (r.driver_version, r.cuda_version) == ("550.107.02", "12.4")
    [gpu] = r.gpus
    assert (gpu.name, gpu.bus_id, gpu.memory_total_mib) == (
        "NVIDIA GeForce RTX 4090",
        "00000000:01:00.0",
        24564,
    )
    assert [p.type for p in r.processes] == ["G", "G", "C+G", "C"]
    assert r.processes[-1].memory_mib is None  # "N/A"


def test_plus_rule_mig_devices_table_and_gi_ci_processes():
    r = smi("r580-a100-mig.txt")
    assert (r.driver_version, r.cuda_version, r.mig) == ("580.95.05", "13.0", True)
    assert [(g.index, g.mig_mode) for g in r.gpus] == [(0, "Enabled"), (1, "Disabled")]
    # MIG device rows are neither GPUs nor processes
    assert len(r.gpus) == 2
    assert [(p.gpu_index, p.pid, p.memory_mib) for p in r.processes] == [
        (0, 771020, 30),
        (1, 771311, 586),
    ]


def test_kmd_and_cuda_umd_version_header():
    r = smi("r610-b200-kmd-header.txt")
    assert (r.status, r.driver_version, r.cuda_version) == ("ok", "610.43.02", "13.3")
    assert [(g.index, g.name, g.memory_total_mib) for g in r.gpus] == [
        (0, "NVIDIA B200", 183359),
        (1, "NVIDIA B200", 183359),
    ]


@pytest.mark.parametrize(
    ("name", "status", "message_part"),
    [
        ("error-no-driver.txt", "no-driver", "couldn't communicate"),
        ("error-version-mismatch.txt", "version-mismatch", "Driver/library version mismatch"),
        ("error-no-devices.txt", "no-devices", "No devices were found"),
        ("error-unknown.txt", "error", "Unknown Error"),
        ("error-command-not-found.txt", "error", "command not found"),
        ("error-device-handle.txt", "no-devices", "No devices were found"),
    ],
)
def test_error_outputs(name, status, message_part):
    r = smi(name)
    assert r.status == status
    assert message_part in r.message
    assert r.gpus == () and r.driver_version is None


def test_version_mismatch_keeps_the_library_version():
    assert smi("error-version-mismatch.txt").nvml_library_version == "550.127"


@pytest.mark.parametrize("text", ["", "\n\n  \n", "\r\n"])
def test_empty_text_is_an_error_without_message(text):
    r = parse_nvidia_smi(text)
    assert (r.status, r.message, r.gpus) == ("error", None, ())


def test_crlf_and_lost_indentation():
    text = sample("nvidia-smi", "r535-h100-89col-skipped-index.txt")
    mangled = "\r\n".join(line.strip() + "  " for line in text.splitlines())
    r = parse_nvidia_smi(mangled)
    assert r.driver_version == "535.183.01"
    assert [(g.index, g.memory_total_mib) for g in r.gpus] == [(0, 81559), (1, 81559), (3, 81559)]


def test_truncated_columns_keep_what_is_left():
    text = sample("nvidia-smi", "r550-rtx4090-91col.txt")
    cut = "\n".join(line[:50] for line in text.splitlines())
    r = parse_nvidia_smi(cut)
    assert r.status == "ok"
    assert r.driver_version == "550.107.02"
    [gpu] = r.gpus
    assert (gpu.index, gpu.name, gpu.bus_id) == (0, "NVIDIA GeForce RTX 4090", None)


def test_device_handle_warning_next_to_a_working_table():
    text = "Unable to determine the device handle for GPU0000:41:00.0: Unknown Error\n" + sample(
        "nvidia-smi", "r470-t4-79col.txt"
    )
    r = parse_nvidia_smi(text)
    assert r.status == "ok" and len(r.gpus) == 1
    assert r.message.startswith("Unable to determine the device handle")


def test_query_output_versions():
    text = (
        "==============NVSMI LOG==============\n\n"
        "Timestamp                                 : Mon Dec 28 14:11:30 2020\n"
        "Driver Version                            : 450.80.02\n"
        "CUDA Version                              : 11.0\n"
    )
    r = parse_nvidia_smi(text)
    assert (r.status, r.driver_version, r.cuda_version) == ("ok", "450.80.02", "11.0")


def test_79_column_mig_devices_table_is_not_read_as_gpus():
    r = smi("r525-a100-mig-79col.txt")
    assert (r.driver_version, r.cuda_version, r.mig) == ("525.85.12", "12.0", True)
    assert [(g.index, g.name, g.mig_mode, g.memory_used_mib) for g in r.gpus] == [
        (0, "NVIDIA A100-PCI...", "Disabled", 0),
        (1, "NVIDIA A100-PCI...", "Enabled", 39211),
    ]
    assert [(p.gpu_index, p.pid, p.name, p.memory_mib) for p in r.processes] == [
        (1, 815403, "python", 14350),
        (1, 815977, "...conda3/envs/ml/bin/python", 9810),
    ]


def test_prompt_line_before_an_error():
    r = parse_nvidia_smi("user@gpu-01:~$ nvidia-smi\nbash: nvidia-smi: command not found\n")
    assert (r.status, r.message) == ("error", "nvidia-smi: command not found")
