"""nvidia-smi outputs users posted publicly (samples/nvidia-smi/SOURCES.md says where from).

Old tables (branches 290 to 384) and the lines other programs print around a table.
"""

from nvwizard.detect.nvidia_smi import parse_nvidia_smi

from ._samples import sample


def smi(name: str):
    return parse_nvidia_smi(sample("nvidia-smi", name))


def test_branch_290_rows_numbered_with_a_dot_are_gpus():
    # ArchWiki's NVIDIA page, driver 290.10: "Nb.  Name" heading, "| 0.  GeForce 8500 GT"
    r = smi("r290-geforce8500-nb-rows.txt")
    assert (r.status, r.driver_version, r.cuda_version) == ("ok", "290.10", None)
    assert [(g.index, g.name, g.bus_id) for g in r.gpus] == [(0, "GeForce 8500 GT", "0000:01:00.0")]
    # "17%   42MB /  255MB": the percentage before the used memory
    assert (r.gpus[0].memory_used_mib, r.gpus[0].memory_total_mib) == (42, 255)
    assert r.processes == ()  # "ERROR: Not Supported" is no process
    assert r.message is None


def test_branch_319_memory_in_mb_units():
    # Ubuntu 13.10 forum post, driver 319.60
    r = smi("r319-gt525m-mb-units.txt")
    [gpu] = r.gpus
    assert (gpu.name, gpu.memory_used_mib, gpu.memory_total_mib) == ("GeForce GT 525M", 182, 2047)
    assert r.processes == ()  # "Not Supported" under "Compute processes:"


def test_ssh_x11_warnings_are_not_nvidia_smi_complaints():
    # https://github.com/cBio/cbio-cluster/issues/24: `ssh gpu-2-5 nvidia-smi`
    r = smi("r325-gtx680-ssh-x11-mb-units.txt")
    assert (r.status, r.driver_version) == ("ok", "325.15")
    assert [(g.index, g.bus_id, g.memory_total_mib) for g in r.gpus] == [
        (0, "0000:03:00.0", 4095),
        (1, "0000:04:00.0", 4095),
    ]
    assert r.message is None  # was "Warning: untrusted X11 forwarding setup failed: ..."


def test_inforom_warning_after_the_table_is_kept():
    # https://github.com/NVIDIA/gpu-operator/issues/20 (nvidia-smi exits 14 with it)
    r = smi("r384-p4000-inforom-warning.txt")
    assert (r.status, r.driver_version, r.cuda_version) == ("ok", "384.130", None)
    assert [(p.pid, p.type, p.name, p.memory_mib) for p in r.processes] == [
        (1676, "G", "/usr/lib/xorg/Xorg", 293)
    ]
    assert r.message == "WARNING: infoROM is corrupted at gpu 0000:B3:00.0"


def test_err_power_cell_and_hyper_v_domain():
    # https://github.com/Azure/azhpc-diagnostics/issues/77
    r = smi("r4xx-v100-azure-err-power-fragment.txt")
    [gpu] = r.gpus
    assert (gpu.index, gpu.name, gpu.bus_id) == (1, "Tesla V100-PCIE...", "00008ED0:00:00.0")
    assert (gpu.memory_used_mib, gpu.memory_total_mib, gpu.mig_mode) == (593, 16160, "N/A")


def test_version_mismatch_with_the_command_line_pasted_above_it():
    # https://github.com/tinygrad/open-gpu-kernel-modules/issues/47
    r = smi("error-mismatch-570-echoed-command.txt")
    assert (r.status, r.nvml_library_version) == ("version-mismatch", "570.124")
    assert r.message == "Failed to initialize NVML: Driver/library version mismatch"


def test_version_mismatch_under_a_ci_banner_that_says_version():
    # https://github.com/intel/llvm/issues/17614: "**********CUDA Version**********" first
    r = smi("error-mismatch-550-ci-banner.txt")
    assert (r.status, r.cuda_version, r.nvml_library_version) == (
        "version-mismatch",
        None,
        "550.144",
    )


def test_gpu_is_lost_is_an_error_that_says_so():
    # https://github.com/JosephKJ/OWOD/issues/81
    r = smi("error-gpu-is-lost.txt")
    assert (r.status, r.gpus, r.driver_version) == ("error", (), None)
    assert "GPU is lost. Reboot the system" in r.message
