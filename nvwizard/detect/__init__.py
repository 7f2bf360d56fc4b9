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
                    dpkg-lock.txt, apt-sources.txt, parse_lock_holders, parse_apt_sources,
                    gpu-services.txt, proc-fb.txt,  parse_unit_states, parse_proc_fb,
                    reboot-required-pkgs.txt        parse_reboot_required_pkgs
    dkms            dkms-status.txt                 parse_dkms_status

os-release.txt is not parsed here: the host reads os-release with the `distro` package
(nvwizard/host/os_release.py) and the report builds `models.OsRelease` from its fields.
"""
