"""Real-format `ubuntu-drivers devices` / `lspci` outputs, with what an expert would install.

Each case is what a user pasted (the source says where; "constructed" cases are written in the
real format from the situation the source describes, because the full output was not posted).
`expect` is what a careful admin would install on a *headless server* on 2026-12-07, the
reason in `why`; nothing in the paste shows whether the machine has a desktop, so nvwizard
must assume a headless server and say so. `old` is what nvwizard picked before this ranking
(main at cb2700a, same day; None: it found no GPU or no candidate). Plain data only.
"""

CASES = [
    {
        "name": "nvs5200m-fermi-2019",
        "source": "https://github.com/canonical/nvidia-graphics-drivers/issues/36 (2019-12)",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==
modalias : pci:v000010DEd00000DFCsv00001028sd00000535bc03sc00i00
vendor   : NVIDIA Corporation
model    : GF108GLM [NVS 5200M]
driver   : nvidia-340 - distro non-free
driver   : nvidia-driver-435 - distro non-free recommended
driver   : nvidia-driver-430 - distro non-free
driver   : nvidia-driver-390 - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-390",
        "why": "Fermi ends with 390 (435/430 cannot drive it, ubuntu-drivers' pick is wrong); "
        "390 ended 2022-11, later than 340, so every-driver-past-end-of-life",
        "every_dead": True,
        "old": "nvidia-driver-435",
    },
    {
        "name": "gtx650ti-kepler-2020",
        "source": "https://github.com/canonical/ubuntu-drivers-common/issues/48 (2020-10)",
        "ubuntu_drivers": """\
$ ubuntu-drivers devices
== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==
modalias : pci:v000010DEd000011C6sv00003842sd00003059bc03sc00i00
vendor   : NVIDIA Corporation
model    : GK106 [GeForce GTX 650 Ti]
driver   : nvidia-driver-390 - distro non-free
driver   : nvidia-driver-450-server - distro non-free recommended
driver   : nvidia-340 - distro non-free
driver   : nvidia-driver-435 - distro non-free
driver   : nvidia-driver-418-server - distro non-free
driver   : nvidia-driver-440-server - distro non-free
driver   : nvidia-driver-450 - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-450-server",
        "why": "all dead; 450 LTSB (to 2023-07) was supported most recently (and is "
        "ubuntu-drivers' own pick); -server for a headless server (Kepler itself ended with "
        "470, which this old archive does not offer)",
        "every_dead": True,
        "old": "nvidia-driver-440-server",
    },
    {
        "name": "gtx980-maxwell-2024-run-installer",
        "source": "https://github.com/canonical/ubuntu-drivers-common/issues/95 (2024-05)",
        "ubuntu_drivers": """\
$ sudo ubuntu-drivers devices
== /sys/devices/pci0000:00/0000:00:03.1/0000:26:00.0 ==
modalias : pci:v000010DEd000013C0sv00003842sd00001982bc03sc00i00
vendor   : NVIDIA Corporation
model    : GM204 [GeForce GTX 980]
manual_install: True
driver   : nvidia-driver-470 - distro non-free
driver   : nvidia-driver-418-server - distro non-free
driver   : nvidia-driver-450-server - distro non-free
driver   : nvidia-driver-390 - distro non-free
driver   : nvidia-driver-535 - distro non-free recommended
driver   : nvidia-driver-535-server - distro non-free
driver   : nvidia-driver-470-server - distro non-free
driver   : nvidia-driver-545 - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-535-server",
        "why": "545 is an NFB superseded by 550; 535 LTSB ended 2026-06 but was supported most "
        "recently (and is ubuntu-drivers' pick): -server for a headless server; the .run "
        "install (manual_install) must go first",
        "every_dead": True,
        "findings": ["run-installer"],
        "old": "nvidia-driver-545",
    },
    {
        "name": "rtx5090-laptop-blackwell-2025-no-model",
        "source": "https://github.com/NVIDIA/open-gpu-kernel-modules/issues/872 (2025-06)",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:06.0/0000:02:00.0 ==
modalias : pci:v000010DEd00002C58sv0000103Csd00008D41bc03sc00i00
vendor : NVIDIA Corporation
driver : nvidia-driver-570-server-open - distro non-free
driver : nvidia-driver-570 - distro non-free recommended
driver : nvidia-driver-570-open - distro non-free
driver : nvidia-driver-570-server - distro non-free
driver : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-570-server-open",
        "why": "no model line: Blackwell from the id (>= 0x2900), open modules only, so "
        "ubuntu-drivers' proprietary pick cannot run; 570 PB ended 2026-02 and nothing newer "
        "is offered in this 2025 paste",
        "every_dead": True,
        "old": "nvidia-driver-570-server-open",
    },
    {
        "name": "rtx2070super-turing-2022",
        "source": "constructed: issue 11's survey, RTX 2070 SUPER offered 450 ... 515 (2022)",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==
modalias : pci:v000010DEd00001E84sv00001458sd00004001bc03sc00i00
vendor   : NVIDIA Corporation
model    : TU104 [GeForce RTX 2070 SUPER]
driver   : nvidia-driver-450-server - distro non-free
driver   : nvidia-driver-470 - distro non-free
driver   : nvidia-driver-470-server - distro non-free
driver   : nvidia-driver-495 - distro non-free
driver   : nvidia-driver-510 - distro non-free
driver   : nvidia-driver-510-server - distro non-free
driver   : nvidia-driver-515 - distro non-free recommended
driver   : nvidia-driver-515-server - distro non-free
driver   : nvidia-driver-515-open - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-470-server",
        "why": "all dead (495 is an NFB superseded by 510); 470 LTSB was supported longest "
        "(to 2024-09, 515 PB only to 2023-05); -server, proprietary before 560",
        "every_dead": True,
        "old": "nvidia-driver-495",
    },
    {
        "name": "rtx2070-turing-2021",
        "source": "constructed: issue 11's survey, RTX 2070 offered 418-server/450/460 (2021)",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:03.1/0000:09:00.0 ==
modalias : pci:v000010DEd00001F02sv00001043sd00008671bc03sc00i00
vendor   : NVIDIA Corporation
model    : TU106 [GeForce RTX 2070]
driver   : nvidia-driver-418-server - distro non-free
driver   : nvidia-driver-450 - distro non-free
driver   : nvidia-driver-460 - distro non-free recommended
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-450",
        "why": "all dead; 450 LTSB ended 2023-07, after 460 PB (2022-01) and 418 (2022-03); "
        "no -server of 450 is offered",
        "every_dead": True,
        "old": "nvidia-driver-418-server",
    },
    {
        "name": "gt710-kepler-2022",
        "source": "constructed: issue 11's survey, GT 710 offered 390/418-server/450-server/470",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==
modalias : pci:v000010DEd0000128Bsv00001043sd00008576bc03sc00i00
vendor   : NVIDIA Corporation
model    : GK208B [GeForce GT 710]
driver   : nvidia-driver-390 - distro non-free
driver   : nvidia-driver-418-server - distro non-free
driver   : nvidia-driver-450-server - distro non-free
driver   : nvidia-driver-470 - distro non-free recommended
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-470",
        "why": "Kepler's last branch 470 (support to 2024-09), the most recent; NVIDIA no "
        "longer supports Kepler at all",
        "every_dead": True,
        "old": "nvidia-driver-418-server",
    },
    {
        "name": "tesla-k80-kepler-lspci-v",
        "source": "https://github.com/charmed-kubernetes/kubernetes-docs/issues/646 (lspci -v, "
        "2022-03); ubuntu-drivers lines constructed (K80 offered 390/470)",
        "lspci": """\
00:1e.0 3D controller: NVIDIA Corporation GK210GL [Tesla K80] (rev a1)
	Subsystem: NVIDIA Corporation GK210GL [Tesla K80]
	Physical Slot: 30
	Flags: bus master, fast devsel, latency 0, IRQ 11
	Memory at 84000000 (32-bit, non-prefetchable) [size=16M]
	Capabilities: [78] Express Endpoint, MSI 00
	Kernel modules: nvidiafb, nvidia_drm, nvidia
""",
        "ubuntu_drivers_list": "nvidia-driver-390\nnvidia-driver-470\n",
        "expect": "nvidia-driver-470",
        "why": "plain lspci -v: Kepler from GK210GL; 470 (to 2024-09) over 390 (to 2022-11)",
        "every_dead": True,
        "old": None,
    },
    {
        "name": "gtx580-fermi-2020",
        "source": "constructed: issue 11's survey, GTX 580 offered 390/418-server (2020)",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0 ==
modalias : pci:v000010DEd00001080sv000010DEsd00000751bc03sc00i00
vendor   : NVIDIA Corporation
model    : GF110 [GeForce GTX 580]
driver   : nvidia-driver-390 - distro non-free
driver   : nvidia-driver-418-server - distro non-free recommended
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-390",
        "why": "Fermi ends with 390: 418-server cannot drive a GTX 580",
        "every_dead": True,
        "old": "nvidia-driver-418-server",
    },
    {
        "name": "gtx760-kepler-2026-transitional-470",
        "source": "https://github.com/linuxmint/mintdrivers/issues/111 (2026-06): "
        "nvidia-driver-470 became a transitional package to 535; 470-server worked",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==
modalias : pci:v000010DEd00001187sv00001462sd00002843bc03sc00i00
vendor   : NVIDIA Corporation
model    : GK104 [GeForce GTX 760]
driver   : nvidia-driver-470 - distro non-free recommended
driver   : nvidia-driver-470-server - distro non-free
driver   : nvidia-driver-390 - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "apt": """\
Package: nvidia-driver-470
Version: 535.288.01-0ubuntu0.22.04.1
Depends: nvidia-driver-535
Description: Transitional package for nvidia-driver-535

Package: nvidia-driver-470-server
Version: 470.256.02-0ubuntu0.22.04.1
Support: LTSB
Description: NVIDIA driver metapackage
""",
        "expect": "nvidia-driver-470-server",
        "why": "nvidia-driver-470 installs 535, which no Kepler runs: 470-server is the real "
        "470, the most recently supported branch for Kepler",
        "every_dead": True,
        "old": "nvidia-driver-390",
    },
    {
        "name": "geforce9800gt-tesla-legacy-names-2016",
        "source": "constructed in the Ubuntu 16.04 format: G92 offered nvidia-340 and "
        "nvidia-304 (legacy names)",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==
modalias : pci:v000010DEd00000614sv000010DEsd00000000bc03sc00i00
vendor   : NVIDIA Corporation
model    : G92 [GeForce 9800 GT]
driver   : nvidia-340 - distro non-free recommended
driver   : nvidia-304 - distro non-free
driver   : nvidia-340-updates - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-340",
        "why": "the Tesla generation ends with 340 (legacy, to 2019-12); old-style names are "
        "candidates with their branch",
        "every_dead": True,
        "old": None,
    },
    {
        "name": "a100-ppa-third-party-2026",
        "source": "constructed: a server with the graphics-drivers PPA (third-party lines)",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:03.1/0000:3b:00.0 ==
modalias : pci:v000010DEd000020F1sv000010DEsd0000145Fbc03sc02i00
vendor   : NVIDIA Corporation
model    : GA100 [A100 PCIe 40GB]
driver   : nvidia-driver-620-server-open - distro non-free
driver   : nvidia-driver-620-server - distro non-free
driver   : nvidia-driver-610-open - third-party non-free
driver   : nvidia-driver-610 - third-party non-free
driver   : nvidia-driver-580-server-open - distro non-free
driver   : nvidia-driver-580-open - distro non-free
driver   : nvidia-driver-595-open - third-party non-free recommended
driver   : nvidia-driver-595 - third-party non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-620-server-open",
        "why": "620 LTSB (to 2029-09) is the newest supported branch; 610 NFB ended; the PPA's "
        "595 is what ubuntu-drivers marks, by name among PB/LTSB desktop variants",
        "every_dead": False,
        "old": "nvidia-driver-620-server-open",
    },
    {
        "name": "h100-hgx-2026-newer-than-known",
        "source": "constructed: a 2027 archive offering a branch newer than nvwizard's tables",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:17/0000:17:00.0/0000:18:00.0 ==
modalias : pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00
vendor   : NVIDIA Corporation
model    : GH100 [H100 SXM5 80GB]
driver   : nvidia-driver-630-server-open - distro non-free
driver   : nvidia-driver-630-open - distro non-free recommended
driver   : nvidia-driver-620-server-open - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "apt": """\
Package: nvidia-driver-630-server-open
Version: 630.20.01-0ubuntu1
Support: PB
Prefer-Variant: Open

Package: nvidia-driver-630-open
Version: 630.20.01-0ubuntu1
Support: PB
Prefer-Variant: Open
""",
        "expect": "nvidia-driver-630-server-open",
        "why": "630 is newer than the tables: apt's Support: PB is trusted (newer-than-known "
        "info); the higher supported branch wins",
        "every_dead": False,
        "findings": ["newer-than-known"],
        "old": "nvidia-driver-630-server-open",
    },
    {
        "name": "gtx1080-pascal-2026",
        "source": "constructed in the 24.04 format: Pascal offered 535/570/580, no -open",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==
modalias : pci:v000010DEd00001B80sv00001043sd00008591bc03sc00i00
vendor   : NVIDIA Corporation
model    : GP104 [GeForce GTX 1080]
driver   : nvidia-driver-580 - distro non-free recommended
driver   : nvidia-driver-580-server - distro non-free
driver   : nvidia-driver-570-server - distro non-free
driver   : nvidia-driver-535-server - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-580-server",
        "why": "Pascal ends with 580 (LTSB to 2028-06); 570 and 535 ended",
        "every_dead": False,
        "old": "nvidia-driver-580-server",
    },
    {
        "name": "tesla-v100-volta-server-2026",
        "source": "constructed in the 22.04 format: a DGX-1-class server, Tesla V100 SXM2 "
        "(Volta's last branch is 580; Ubuntu's 590+ packages no longer list GV100 ids)",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:80/0000:80:02.0/0000:86:00.0 ==
modalias : pci:v000010DEd00001DB1sv000010DEsd00001212bc03sc02i00
vendor   : NVIDIA Corporation
model    : GV100GL [Tesla V100 SXM2 16GB]
driver   : nvidia-driver-580-server - distro non-free
driver   : nvidia-driver-580 - distro non-free recommended
driver   : nvidia-driver-570-server - distro non-free
driver   : nvidia-driver-535-server - distro non-free
driver   : nvidia-driver-535 - distro non-free
driver   : nvidia-driver-470-server - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-580-server",
        "why": "Volta ends with 580 (LTSB to 2028-06), proprietary modules only; 570 and 535 "
        "ended; -server for a headless server",
        "every_dead": False,
        "old": "nvidia-driver-580-server",
    },
    {
        "name": "quadro-gv100-volta-plain-lspci",
        "source": "constructed: `lspci | grep -i nvidia` as pasted (no ids) and `ubuntu-drivers "
        "list` in the 24.04 format, a Quadro GV100 workstation card in a server",
        "lspci": """\
3b:00.0 3D controller: NVIDIA Corporation GV100GL [Quadro GV100] (rev a1)
""",
        "ubuntu_drivers_list": """\
nvidia-driver-535-server, (kernel modules provided by linux-modules-nvidia-535-server-generic)
nvidia-driver-570-server, (kernel modules provided by linux-modules-nvidia-570-server-generic)
nvidia-driver-580-server, (kernel modules provided by linux-modules-nvidia-580-server-generic)
nvidia-driver-580, (kernel modules provided by linux-modules-nvidia-580-generic)
""",
        "expect": "nvidia-driver-580-server",
        "why": "no device id: Volta from the GV100GL code name; 580 LTSB is its last and a "
        "supported branch",
        "every_dead": False,
        "old": "nvidia-driver-580-server",
    },
    {
        "name": "rtx4090-ada-2025-every-branch-dead",
        "source": "constructed in the 24.04 format of early 2025: an RTX 4090 box whose package "
        "lists were never refreshed (535/550/560/565/570, as noble offered then)",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0 ==
modalias : pci:v000010DEd00002684sv00001043sd000088E2bc03sc00i00
vendor   : NVIDIA Corporation
model    : AD102 [GeForce RTX 4090]
driver   : nvidia-driver-570 - distro non-free recommended
driver   : nvidia-driver-570-open - distro non-free
driver   : nvidia-driver-565 - distro non-free
driver   : nvidia-driver-565-open - distro non-free
driver   : nvidia-driver-560 - distro non-free
driver   : nvidia-driver-560-open - distro non-free
driver   : nvidia-driver-550 - distro non-free
driver   : nvidia-driver-550-open - distro non-free
driver   : nvidia-driver-535-server - distro non-free
driver   : nvidia-driver-535-server-open - distro non-free
driver   : nvidia-driver-535 - distro non-free
driver   : nvidia-driver-535-open - distro non-free
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": "nvidia-driver-535-server",
        "why": "all dead on 2026-12-07: 560/565 are NFBs superseded by 570, 570 PB ended "
        "2026-02, 550 PB 2025-04; 535 LTSB ended last (2026-06); no open preference before "
        "560, so the proprietary -server build for a headless server",
        "every_dead": True,
        "old": None,
    },
    {
        "name": "l4-ada-lspci-nn-2026",
        "source": "constructed: `lspci -nn | grep -i nvidia` and `ubuntu-drivers list` (24.04 "
        "format) on a cloud VM with an L4",
        "lspci": """\
00:03.0 3D controller [0302]: NVIDIA Corporation AD104GL [L4] [10de:27b8] (rev a1)
""",
        "ubuntu_drivers_list": """\
nvidia-driver-535-server-open, (kernel modules provided by linux-modules-nvidia-535-server-open-gcp)
nvidia-driver-535-server, (kernel modules provided by linux-modules-nvidia-535-server-gcp)
nvidia-driver-580-server-open, (kernel modules provided by linux-modules-nvidia-580-server-open-gcp)
nvidia-driver-580-server, (kernel modules provided by linux-modules-nvidia-580-server-gcp)
nvidia-driver-595-server-open, (kernel modules provided by linux-modules-nvidia-595-server-open-gcp)
nvidia-driver-595-server, (kernel modules provided by linux-modules-nvidia-595-server-gcp)
nvidia-driver-595-open, (kernel modules provided by linux-modules-nvidia-595-open-gcp)
nvidia-driver-595, (kernel modules provided by linux-modules-nvidia-595-gcp)
""",
        "expect": "nvidia-driver-595-server-open",
        "why": "595 PB (to 2027-03) is the highest supported branch (580 LTSB too, lower); open "
        "modules preferred from 560 and Ada runs them; -server-open for a headless server",
        "every_dead": False,
        "old": "nvidia-driver-595-server-open",
    },
    {
        "name": "unknown-names-only",
        "source": "constructed: a list with no name nvwizard can read",
        "ubuntu_drivers": """\
== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==
modalias : pci:v000010DEd00002204sv00001462sd00003881bc03sc00i00
vendor   : NVIDIA Corporation
driver   : nvidia-graphics-driver-future - third-party non-free recommended
driver   : xserver-xorg-video-nouveau - distro free builtin
""",
        "expect": None,
        "why": "nothing to recommend, and the name is reported as not understood",
        "every_dead": False,
        "not_understood": ["nvidia-graphics-driver-future"],
        "old": None,
    },
]
