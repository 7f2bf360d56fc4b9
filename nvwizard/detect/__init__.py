"""The detect layer: one pure parser per source, raw text in, `models.py` dataclasses out.

No I/O: the host reads the text (see `nvwizard.host.sources` for the source names). Every
parser accepts text as people paste it (CRLF, lost indentation, noise and prompt lines,
grep-filtered or truncated output), never raises, and runs in linear time.

    nvidia_smi      nvidia-smi.txt                  parse_nvidia_smi
    dpkg            dpkg-l.txt, dpkg-query.txt,     parse_dpkg_l, parse_dpkg_query,
                    dpkg-audit.txt, apt-mark-...    parse_dpkg_audit, parse_showhold
    lspci           lspci-nn.txt                    parse_lspci, normalise_pci_address
    sysfs_pci       sysfs-pci.txt                   parse_sysfs_pci, parse_modalias
    ubuntu_drivers  ubuntu-drivers-*.txt            parse_devices, parse_list
    uname           uname-r.txt                     parse_uname_r, kernel_flavour
    proc_version    proc-driver-nvidia-version.txt, parse_proc_driver_version,
                    modinfo-nvidia.txt              parse_modinfo
    mokutil         mokutil-sb-state.txt            parse_sb_state
    lsmod           lsmod.txt                       parse_lsmod
    apt_cache       apt-cache-show.txt              parse_apt_cache_show, modalias_matches
    misc            session.txt, machine.txt,       parse_key_values, parse_df,
                    df.txt, gpu-processes.txt,      parse_gpu_processes,
                    dpkg-lock.txt,                  parse_lock_holders,
                    gpu-services.txt, proc-fb.txt,  parse_unit_states, parse_proc_fb,
                    reboot-required-pkgs.txt        parse_reboot_required_pkgs
    dkms            dkms-status.txt                 parse_dkms_status
    apt_sources     apt-sources.txt (with files)    parse_apt_source_entries
    apt_preferences apt-preferences.txt             parse_apt_preferences
    cuda            nvcc-version.txt, cuda-         parse_nvcc_version(s),
                    toolkits.txt, cudnn-version...  parse_cuda_folders, parse_cudnn_header,
                    cuda-sample.txt                 parse_cuda_sample
    containers      nvidia-ctk-version.txt,         parse_nvidia_ctk_version,
                    docker-info.txt, docker-daemon- parse_docker_info, parse_daemon_json,
                    json.txt, containerd/crio-...   parse_runtime_tables
    debversion      (Debian version strings)        compare_versions

To add a source: name it in host/sources.py (how it is read, what a bundle holds), write its
parser here in the module of its tool with realistic samples under tests/detect/samples/,
and add it to tests/detect/test_robustness.py's PARSERS.

os-release.txt is not parsed here: the host reads os-release with the `distro` package
(nvwizard/host/os_release.py) and the report builds `models.OsRelease` from its fields.
"""
