"""kernel-log.txt: the NVIDIA facts of a kernel log, in every form people paste or capture
writes. The lines are real ones, from the public posts named above each (trimmed to the lines
that matter; the hostnames, timestamps and formats as posted)."""

from __future__ import annotations

from nvwizard.detect.kernel_log import (
    AdapterFailure,
    ApiMismatch,
    OpenRefusal,
    XidEvent,
    message_of,
    parse_kernel_log,
)

# https://github.com/NVIDIA/NVSentinel/issues/155 (dmesg; the driver's message without an Xid,
# over three lines, and the Xid form quoted in its comment)
FALLEN_OFF_DMESG = """\
[ 1843.308145] NVRM: The NVIDIA GPU 0000:b3:00.0
               NVRM: (PCI ID: 10de:26b5) installed in this system has
               NVRM: fallen off the bus and is not responding to commands.
[ 1843.439662] NVRM: The NVIDIA probe routine failed for 1 device(s).
NVRM: Xid (PCI:0000:44:00): 79, GPU has fallen off the bus
"""

# https://github.com/leptonai/gpud/pull/46 (`dmesg --ctime`: dmesg -T's timestamps)
XID13_DMESG_T = """\
[Fri Aug 30 11:11:22 2024] nvidia-peermem nv_get_p2p_free_callback:127 ERROR detected invalid context, skipping further processing
[Fri Aug 30 11:43:09 2024] NVRM: Xid (PCI:0000:cb:00): 13, pid='<unknown>', name=<unknown>, Graphics SM Warp Exception on (GPC 7, TPC 7, SM 0): Illegal Instruction Parameter
[Fri Aug 30 11:43:09 2024] NVRM: Xid (PCI:0000:cb:00): 13, pid='<unknown>', name=<unknown>, Graphics SM Global Exception on (GPC 7, TPC 7, SM 0): Multiple Warp Errors
[Fri Aug 30 11:43:09 2024] NVRM: Xid (PCI:0000:cb:00): 13, pid='<unknown>', name=<unknown>, Graphics Exception: ESR 0x57c730=0xc04000b 0x57c734=0x24 0x57c728=0x1f81fb60 0x57c72c=0x1174
[Fri Aug 30 11:43:14 2024] NVRM: Xid (PCI:0000:cb:00): 109, pid=1797828, name=pt_main_thread, Ch 00000008, errorString CTX SWITCH TIMEOUT, Info 0x58005
"""  # noqa: E501

# https://github.com/akash-network/support/issues/244 (`dmesg -T | grep NVRM`: three GPUs)
SEVERAL_GPUS_DMESG_T = """\
[Sun Jul 28 09:15:27 2024] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 19:39:15 UTC 2024
[Wed Jul 31 23:14:18 2024] NVRM: GPU at PCI:0000:00:05: GPU-efbdfde9-5798-a6e7-4c46-12518fa15375
[Wed Jul 31 23:14:18 2024] NVRM: Xid (PCI:0000:00:05): 43, pid=1045242, name=pt_main_thread, Ch 00000008
[Wed Jul 31 23:15:26 2024] NVRM: Xid (PCI:0000:00:05): 43, pid=1084984, name=pt_main_thread, Ch 00000008
[Mon Aug  5 03:54:13 2024] NVRM: Xid (PCI:0000:00:07): 31, pid=2512125, name=python3.10, Ch 00000008, intr 00000000. MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_8 faulted @ 0x73ac_1c000000. Fault is of type FAULT_PDE ACCESS_TYPE_VIRT_WRITE
[Fri Aug  9 13:32:56 2024] NVRM: Xid (PCI:0000:00:08): 94, pid='<unknown>', name=<unknown>, Contained: SM (0x1). RST: No, D-RST: No
"""  # noqa: E501

# https://github.com/NVIDIA/gpu-operator/issues/1146 (syslog: date, host, kernel:, [uptime])
ECC_SYSLOG = """\
Dec  2 11:38:27 worker4 kernel: [  199.234935] NVRM: GPU 0000:0a:00.0: rm_init_adapter failed, device minor number 5
Dec  2 11:38:46 worker4 kernel: [  218.250408] NVRM: GPU 0000:0a:00.0: RmInitAdapter failed! (0x24:0x72:1568)
Dec  2 11:38:46 worker4 kernel: [  218.250668] NVRM: GPU 0000:0a:00.0: rm_init_adapter failed, device minor number 5
Dec  2 11:38:47 worker4 kernel: [  219.470994] NVRM: Xid (PCI:0000:07:00): 48, pid='<unknown>', name=<unknown>, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at physAddr 0x7fffa8860 partition 7, subpartition 1.
Dec  2 11:38:47 worker4 kernel: [  219.471050] NVRM: Xid (PCI:0000:07:00): 64, pid='<unknown>', name=<unknown>, Dynamic Page Retirement: Blacklisting failed.  Page should have been blacklisted on boot(0x00000000007fffa8).
Dec  2 11:38:49 worker4 kernel: [  221.044131] NVRM: GPU 0000:0a:00.0: RmInitAdapter failed! (0x24:0x72:1568)
"""  # noqa: E501

# https://forums.developer.nvidia.com/t/xid-62-xid-154-gsp-pmu-halt-crash-on-rtx-pro-6000-
# blackwell-during-llm-inference/364958 (journalctl without the host name)
GSP_JOURNAL = """\
Mar 29 15:38:59 kernel: NVRM: Xid (PCI:0000:01:00): 120, GSP kernel exception: store access page fault (cause:0xf) @ pc:0xffffffff93003d42, partition:4#0
Mar 29 15:38:59 kernel: NVRM: Xid (PCI:0000:01:00): 154, GPU recovery action changed from 0x0 (None) to 0x1 (GPU Reset Required)
Mar 27 17:40:36 kernel: NVRM: Xid (PCI:0000:01:00): 62, 223b6a66 00002100 00000000 20662342 20662ba6 20664272 2065f7ca 2063f48c
Mar 27 17:40:36 kernel: NVRM: Xid (PCI:0000:01:00): 45, pid=12542, name=VLLM::Worker, channel 0x00000002
"""  # noqa: E501

# https://plexus.company/guides/gpu-xid-errors/119 (a pid and no name)
GSP_TIMEOUT = "NVRM: Xid (PCI:0000:65:00): 119, pid='N/A', Timeout waiting for RPC from GSP\n"

# https://github.com/NVIDIA/nvidia-docker/issues/182 (journalctl: indented continuation lines)
API_JOURNAL = """\
Aug 26 14:08:07 nyasara-linux kernel: NVRM: API mismatch: the client has the version 367.44, but
                                      NVRM: this kernel module has the version 367.35.  Please
                                      NVRM: make sure that this kernel module and all NVIDIA driver
                                      NVRM: components have the same version.
"""

# https://github.com/nvidiavgpuarchive/index/issues/1 (dmesg: each line its own timestamp)
API_DMESG_EACH_LINE = """\
[    6.252567] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  570.148.06  Mon May  5 11:36:21 UTC 2025
[ 8957.099615] NVRM: API mismatch: the client has the version 570.148.08, but
[ 8957.099615] NVRM: this kernel module has the version 570.148.06.  Please
[ 8957.099615] NVRM: make sure that this kernel module and all NVIDIA driver
[ 8957.099615] NVRM: components have the same version.
"""  # noqa: E501

# https://github.com/stackhpc/ansible-slurm-appliance/issues/287 (syslog folds it with #012)
API_SYSLOG = (
    "Jun 30 11:07:05 gpu-0 kernel: NVRM: API mismatch: the client has the version 535.54.03, "
    "but#012NVRM: this kernel module has the version 530.30.02.  Please#012NVRM: make sure "
    "that this kernel module and all NVIDIA driver#012NVRM: components have the same version.\n"
)

# https://github.com/NVIDIA/open-gpu-kernel-modules/issues/829 (newer drivers name the client)
API_NAMED_CLIENT = """\
Apr 19 12:34:42 Kyrios kernel: NVRM: API mismatch: the client 'nvidia-powerd' (pid 849)
                               NVRM: has the version 570.133.07, but this kernel module has
                               NVRM: the version 575.51.02.  Please make sure that this
                               NVRM: kernel module and all NVIDIA driver components
                               NVRM: have the same version.
"""

# https://github.com/negativo17/nvidia-driver/issues/158 (journalctl, host cut by the poster)
OPEN_REFUSED_JOURNAL = """\
kernel: NVRM: The NVIDIA GPU 0000:09:00.0 (PCI ID: 10de:1d01)
             NVRM: installed in this system is not supported by open
             NVRM: nvidia.ko because it does not include the required GPU
             NVRM: System Processor (GSP).
kernel: nvidia 0000:09:00.0: probe with driver nvidia failed with error -1
kernel: NVRM: The NVIDIA probe routine failed for 1 device(s).
"""

# https://github.com/NVIDIA/open-gpu-kernel-modules/issues/587 (dmesg, an unsigned module)
OPEN_REFUSED_UNSIGNED_DMESG = """\
[  160.822054] nvidia: loading out-of-tree module taints kernel.
[  160.825258] nvidia: module verification failed: signature and/or required key missing - tainting kernel
[  160.877997] NVRM: The NVIDIA GPU 0000:01:00.0 (PCI ID: 10de:2331)
               NVRM: installed in this system is not supported by open
               NVRM: nvidia.ko because it does not include the required GPU
               NVRM: System Processor (GSP).
"""  # noqa: E501

# https://github.com/realsenseai/realsense_mipi_platform_driver/issues/281 (kern.log)
SYMBOLS_SYSLOG = """\
Jun 26 08:48:30 robocatsorin kernel: [   15.726225] nvidia: disagrees about version of symbol i2c_get_adapter
Jun 26 08:48:30 robocatsorin kernel: [   15.726238] nvidia: Unknown symbol i2c_get_adapter (err -22)
Jun 26 08:48:30 robocatsorin kernel: [   15.726604] nvidia: disagrees about version of symbol i2c_del_adapter
"""  # noqa: E501

# https://github.com/RinCat/RTL88x2BU-Linux-Driver/issues/114 (dmesg) and
# https://github.com/AdnanHodzic/displaylink-debian/issues/523 (journalctl in Italian: "gen")
LOCKDOWN = """\
[  398.381052] Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7
gen 12 16:49:32 Tacos kernel: Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7
"""  # noqa: E501

# https://github.com/Dasharo/dasharo-issues/issues/1597 (nouveau gives up on an Ada GPU) and
# https://github.com/geerlingguy/raspberry-pi-pcie-devices/issues/692 (nouveau drives an A4000)
NOUVEAU = """\
[    5.559076] nouveau 0000:01:00.0: NVIDIA AD107 (197000a1)
[    5.559105] nouveau 0000:01:00.0: gsp ctor failed: -2
[    5.561770] nouveau 0000:01:00.0: probe with driver nouveau failed with error -2
[  281.313200] nouveau 0001:01:00.0: NVIDIA GA104 (b74000a1)
[  281.458820] nouveau 0001:01:00.0: bios: version 94.04.57.00.08
"""


def test_xid_79_in_both_forms_and_the_fallen_off_message_without_an_xid():
    log = parse_kernel_log(FALLEN_OFF_DMESG)
    assert log.xids == (XidEvent("0000:44:00.0", 79, 1, "GPU has fallen off the bus"),)
    assert log.fallen_off_bus == ("0000:b3:00.0",)


def test_repeated_xids_are_counted_per_gpu_and_code_with_dmesg_t_timestamps():
    log = parse_kernel_log(XID13_DMESG_T)
    assert [(x.pci_address, x.xid, x.count) for x in log.xids] == [
        ("0000:cb:00.0", 13, 3),
        ("0000:cb:00.0", 109, 1),
    ]
    first = log.xids[0]
    assert first.message.startswith("Graphics SM Warp Exception on (GPC 7, TPC 7, SM 0)")
    assert first.processes == ()  # <unknown> is no name
    assert log.xids[1].processes == ("pt_main_thread",)


def test_several_gpus_each_keep_their_own_xids_and_programs():
    log = parse_kernel_log(SEVERAL_GPUS_DMESG_T)
    assert [(x.pci_address, x.xid, x.count, x.processes) for x in log.xids] == [
        ("0000:00:05.0", 43, 2, ("pt_main_thread",)),
        ("0000:00:07.0", 31, 1, ("python3.10",)),
        ("0000:00:08.0", 94, 1, ()),
    ]


def test_syslog_lines_ecc_xids_and_rminitadapter_failures():
    log = parse_kernel_log(ECC_SYSLOG)
    assert [(x.pci_address, x.xid) for x in log.xids] == [
        ("0000:07:00.0", 48),
        ("0000:07:00.0", 64),
    ]
    assert log.init_failures == (AdapterFailure("0000:0a:00.0", 2, "0x24:0x72:1568"),)


def test_gsp_xids_and_a_pid_without_a_name():
    log = parse_kernel_log(GSP_JOURNAL + GSP_TIMEOUT)
    assert [x.xid for x in log.xids] == [120, 154, 62, 45, 119]
    assert log.xids[0].message.startswith("GSP kernel exception: store access page fault")
    assert log.xids[3].processes == ("VLLM::Worker",)
    assert log.xids[4].message == "Timeout waiting for RPC from GSP"


def test_api_mismatch_in_every_layout_of_its_four_lines():
    assert parse_kernel_log(API_JOURNAL).api_mismatches == (ApiMismatch("367.44", "367.35", 1),)
    assert parse_kernel_log(API_DMESG_EACH_LINE).api_mismatches == (
        ApiMismatch("570.148.08", "570.148.06", 1),
    )
    assert parse_kernel_log(API_SYSLOG).api_mismatches == (
        ApiMismatch("535.54.03", "530.30.02", 1),
    )
    assert parse_kernel_log(API_NAMED_CLIENT).api_mismatches == (
        ApiMismatch("570.133.07", "575.51.02", 1, ("nvidia-powerd",)),
    )


def test_the_same_api_mismatch_repeated_is_one_with_its_count():
    log = parse_kernel_log(API_JOURNAL * 3 + API_NAMED_CLIENT)
    assert log.api_mismatches == (
        ApiMismatch("367.44", "367.35", 3),
        ApiMismatch("570.133.07", "575.51.02", 1, ("nvidia-powerd",)),
    )


def test_open_modules_refusing_a_gpu_without_gsp():
    log = parse_kernel_log(OPEN_REFUSED_JOURNAL)
    assert log.open_refused == (OpenRefusal("0000:09:00.0", "10de:1d01"),)
    log = parse_kernel_log(OPEN_REFUSED_UNSIGNED_DMESG)
    assert log.open_refused == (OpenRefusal("0000:01:00.0", "10de:2331"),)
    assert log.unsigned_modules == ("nvidia",)


def test_a_module_built_for_another_kernel_and_secure_boots_lockdown():
    log = parse_kernel_log(SYMBOLS_SYSLOG)
    assert log.symbol_mismatches == ("nvidia: i2c_get_adapter", "nvidia: i2c_del_adapter")
    assert parse_kernel_log(LOCKDOWN).lockdown_refusals == 2


def test_nouveau_bound_only_where_its_probe_did_not_fail():
    assert parse_kernel_log(NOUVEAU).nouveau_bound == ("0001:01:00.0",)


def test_capture_header_size_cap_and_rate_limit_are_read():
    text = (
        "# nvwizard: the NVIDIA lines of `dmesg` (this boot)\n"
        + GSP_TIMEOUT
        + "# nvwizard: 1234 lines left out\n"
        # composed: no public post showed the kernel's rate limit on NVIDIA lines; this is
        # the form of its message (lib/ratelimit.c: "%s: %d callbacks suppressed")
        + "[ 2371.220411] nvidia_uvm: 17 callbacks suppressed\n"
    )
    log = parse_kernel_log(text)
    assert (log.source, log.left_out, log.suppressed) == ("dmesg", 1234, 17)
    assert [x.xid for x in log.xids] == [119]


def test_a_log_without_nvidia_errors_and_noise_give_nothing():
    log = parse_kernel_log(
        "[    4.933870] host kernel: NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.127.05\n"
        "\x1b[2J garbage \ufeff line\r\n"
        "Xid (not an address): 79\n"
    )
    assert log.xids == () and log.api_mismatches == () and log.init_failures == ()


def test_message_of_takes_every_prefix_off():
    said = "NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off"
    for prefix in (
        "[ 1843.308145] ",
        "[ 1843.308145] gpu-node-7 kernel: ",
        "[Fri Aug 30 11:43:09 2024] ",
        "2024-08-30T11:43:09,123456+00:00 ",
        "2024-08-30T11:43:09+0000 gpu-node-7 kernel: ",
        "kern  :warn  : [ 1843.308145] ",
        "<4>",
        "Aug 30 11:43:09 gpu-node-7 kernel: [ 1843.308145] ",
        "kernel: ",
    ):
        assert message_of(prefix + said) == said.removeprefix("NVRM: "), prefix


# composed from the lines above: `journalctl -k` without -b (its "-- Boot <id> --" lines) and
# a kern.log whose kernel timestamps start again at a boot
XID79_JOURNAL = (
    "[ 1843.308145] gpu-7 kernel: NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', "
    "name=<unknown>, GPU has fallen off the bus.\n"
)
LOADING_550 = (
    "[    4.933870] gpu-7 kernel: NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.127.05\n"
)


def test_a_paste_of_several_boots_is_read_for_its_last_boot_only():
    journal = "-- Boot 0c3b5a1e9f2d4c7b8a6e5d4c3b2a1f0e --\n" + XID79_JOURNAL
    journal += "-- Boot 7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a --\n" + LOADING_550
    assert parse_kernel_log(journal).xids == ()
    assert parse_kernel_log("-- Reboot --\n".join([XID79_JOURNAL, LOADING_550])).xids == ()
    kern_log = XID79_JOURNAL.replace("[", "Jun 30 11:07:05 gpu-7 kernel: [", 1)
    kern_log += LOADING_550.replace("[", "Jul  1 08:00:01 gpu-7 kernel: [", 1)
    assert parse_kernel_log(kern_log).xids == ()
    # within one boot the Xid stays, whatever comes after it
    assert [x.xid for x in parse_kernel_log(LOADING_550 + XID79_JOURNAL).xids] == [79]


NVLINK_INIT = (
    "[  160.80] nvidia-nvlink: Nvlink Core is being initialized, major device number 236\n"
)
RELOADED = "[  900.12] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  560.35.03\n"


def test_what_a_module_loaded_again_since_replaces_is_left_out():
    """The open modules refused the GPU at boot; the proprietary ones loaded later this boot
    (a reload, no reboot): the refusal, an init failure and a symbol mismatch of before are
    history, not the state now. Xids stay: the hardware is the same."""
    samples = OPEN_REFUSED_UNSIGNED_DMESG + ECC_SYSLOG + SYMBOLS_SYSLOG + LOCKDOWN
    before = "".join(message_of(line) + "\n" for line in samples.splitlines())  # one clock
    log = parse_kernel_log(before + NVLINK_INIT + RELOADED)
    assert (log.open_refused, log.init_failures, log.symbol_mismatches) == ((), (), ())
    assert log.lockdown_refusals == 0
    assert {x.xid for x in log.xids} == {48, 64}
    # what came after the last load is the state now
    assert parse_kernel_log(RELOADED + OPEN_REFUSED_JOURNAL).open_refused != ()
    # a GPU refused in the same load that drove another one (its nvlink line comes first)
    same_load = NVLINK_INIT + OPEN_REFUSED_JOURNAL + RELOADED
    assert parse_kernel_log(same_load).open_refused == (OpenRefusal("0000:09:00.0", "10de:1d01"),)


# the open modules of another version loaded again within the boot (no reboot), as dmesg says it
RELOADED_OPEN_570 = (
    "[ 2400.51] NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64  570.133.07  Release "
    "Build  (dvs-builder@U16-I3-B03-4-3)  Fri Mar 14 13:16:28 UTC 2025\n"
)
GSP_UNDER_550 = (
    "[ 1843.30] NVRM: Xid (PCI:0000:65:00): 119, pid='N/A', Timeout waiting for RPC from GSP\n"
    "[ 1850.12] NVRM: Xid (PCI:0000:01:00): 120, GSP kernel exception: store access page "
    "fault (cause:0xf) @ pc:0xffffffff93003d42, partition:4#0\n"
)
XID79_LATER = (
    "[ 2500.00] NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', GPU has fallen off the bus.\n"  # noqa: E501
)


def test_gsp_xids_of_a_load_of_another_version_are_left_out_and_counted():
    """The GSP firmware is the driver version's: 119/120 under 550 say nothing of the 570
    loaded since (same boot); other Xids stay (the hardware is the same)."""
    log = parse_kernel_log(LOADING_550 + GSP_UNDER_550 + RELOADED_OPEN_570 + XID79_LATER)
    assert [x.xid for x in log.xids] == [79]
    assert log.gsp_xids_of_other_versions == 2
    # after the reload they are the running version's
    after = RELOADED_OPEN_570 + GSP_UNDER_550.replace("[ 18", "[ 28")
    log = parse_kernel_log(LOADING_550 + after)
    assert [x.xid for x in log.xids] == [119, 120]
    assert log.gsp_xids_of_other_versions == 0
    # the same version loaded again: the same firmware, its GSP Xids stay
    same_again = RELOADED_OPEN_570.replace(
        "Open Kernel Module for x86_64  570.133.07", "x86_64 Kernel Module  550.127.05"
    )  # noqa: E501
    log = parse_kernel_log(LOADING_550 + GSP_UNDER_550 + same_again)
    assert [(x.xid, x.count) for x in log.xids] == [(119, 1), (120, 1)]
    assert log.gsp_xids_of_other_versions == 0
