import datetime as dt

from nvwizard.detect.models import DpkgEntry
from nvwizard.host.base import Host
from nvwizard.report.build import build_report
from nvwizard.report.headless import is_headless
from nvwizard.report.loaded_module import modinfo_flavor

TODAY = dt.date(2026, 1, 15)


class FakeHost(Host):
    kind = "bundle"

    def __init__(self, files: dict[str, str], label: str = "fake"):
        self.files = files
        self.label = label

    def read(self, source):
        return self.files.get(source)

    def start(self, argv, env=None):
        raise AssertionError("building a report never runs commands")


UBUNTU_2204 = 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\n'

RTX3090_FRESH = {
    "os-release.txt": UBUNTU_2204,
    "uname-r.txt": "5.15.0-125-generic\n",
    "lspci-nn.txt": (
        "00:02.0 VGA compatible controller [0300]: Intel Corporation Device [8086:4680] (rev 0c)\n"
        "01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GA102 [GeForce RTX 3090]"
        " [10de:2204] (rev a1)\n"
        "\tKernel driver in use: nouveau\n"
        "01:00.1 Audio device [0403]: NVIDIA Corporation GA102 High Definition Audio Controller"
        " [10de:1aef] (rev a1)\n"
    ),
    "ubuntu-drivers-devices.txt": (
        "udevadm hwdb is deprecated. Use systemd-hwdb instead.\n"
        "== /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 ==\n"
        "modalias : pci:v000010DEd00002204sv00001043sd000087B3bc03sc00i00\n"
        "vendor   : NVIDIA Corporation\n"
        "model    : GA102 [GeForce RTX 3090]\n"
        "driver   : nvidia-driver-580-server-open - distro non-free\n"
        "driver   : nvidia-driver-580-open - distro non-free recommended\n"
        "driver   : nvidia-driver-580 - distro non-free\n"
        "driver   : nvidia-driver-580-server - distro non-free\n"
        "driver   : nvidia-driver-570 - distro non-free\n"
        "driver   : xserver-xorg-video-nouveau - distro free builtin\n"
    ),
    "dpkg-query.txt": (
        "linux-image-5.15.0-125-generic\tinstall ok installed\t5.15.0-125.135\n"
        "ubuntu-drivers-common\tinstall ok installed\t1:0.9.6.2~0.22.04.8\n"
    ),
    "lsmod.txt": (
        "Module                  Size  Used by\n"
        "nouveau              2433024  1\n"
        "drm_ttm_helper         16384  1 nouveau\n"
    ),
    "mokutil-sb-state.txt": "SecureBoot disabled\n",
    "session.txt": "ssh=yes\ndisplay_manager=no\ndefault_target=multi-user.target\nsystemd=yes\n",
    "apt-cache-show.txt": (
        "Package: linux-modules-nvidia-580-server-open-5.15.0-125-generic\n"
        "Version: 5.15.0-125.135+1\n\n"
        "Package: linux-modules-nvidia-580-open-5.15.0-125-generic\n"
        "Version: 5.15.0-125.135+1\n\n"
    ),
    "df.txt": (
        "Filesystem     1024-blocks     Used Available Capacity Mounted on\n"
        "/dev/sda2        102626232 20000000  77367532      21% /\n"
    ),
}


def test_fresh_rtx3090_server():
    report = build_report(FakeHost(RTX3090_FRESH), today=TODAY)
    assert report.os == "Ubuntu 22.04.4 LTS" and report.kernel == "5.15.0-125-generic"
    [gpu] = report.gpus
    assert (gpu.pci_address, gpu.device_id, gpu.name, gpu.architecture, gpu.open_kernel) == (
        "0000:01:00.0",
        "2204",
        "GeForce RTX 3090",
        "Ampere",
        "supported",
    )
    assert {c.package for c in report.driver_candidates} == {
        "nvidia-driver-580-server-open",
        "nvidia-driver-580-open",
        "nvidia-driver-580",
        "nvidia-driver-580-server",
        "nvidia-driver-570",
    }
    # Headless over SSH: the server ranking, not ubuntu-drivers' desktop pick.
    assert report.recommended_driver == "nvidia-driver-580-server-open"
    assert report.ubuntu_drivers_recommended == "nvidia-driver-580-open"
    assert "headless" in report.recommendation_reason
    assert [c.package for c in report.driver_candidates if c.recommended] == [
        "nvidia-driver-580-server-open"
    ]
    assert report.nouveau_loaded is True and report.secure_boot == "disabled"
    assert report.headless and report.over_ssh
    assert report.signed_modules_available == [
        "linux-modules-nvidia-580-open-5.15.0-125-generic",
        "linux-modules-nvidia-580-server-open-5.15.0-125-generic",
    ]
    assert report.installed_packages == []  # nothing NVIDIA installed yet
    assert {f.id for f in report.findings} == {"nouveau-loaded", "over-ssh"}


def test_the_same_machine_with_a_desktop_follows_ubuntu_drivers():
    files = dict(RTX3090_FRESH)
    files["session.txt"] = "ssh=no\ndisplay_manager=yes\ndefault_target=graphical.target\n"
    report = build_report(FakeHost(files), today=TODAY)
    assert report.recommended_driver == "nvidia-driver-580-open"
    assert "nvwizard agrees" in report.recommendation_reason


def test_gpus_from_sysfs_named_by_lspci_with_nvswitches():
    sysfs = "".join(
        f"0000:{bus:02x}:00.0 class=0x030200 vendor=0x10de device=0x2330 "
        f"modalias=pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00 driver=nvidia\n"
        for bus in (0x18, 0x2A)
    ) + "".join(
        f"0000:{bus:02x}:00.0 class=0x068000 vendor=0x10de device=0x22a3 driver=nvidia-nvswitch\n"
        for bus in (0x05, 0x06, 0x07, 0x08)
    )
    lspci = (
        "18:00.0 3D controller [0302]: NVIDIA Corporation GH100 [H100 SXM5 80GB] [10de:2330]"
        " (rev a1)\n"
    )
    report = build_report(FakeHost({"sysfs-pci.txt": sysfs, "lspci-nn.txt": lspci}), today=TODAY)
    assert [g.pci_address for g in report.gpus] == ["0000:18:00.0", "0000:2a:00.0"]
    assert all(g.architecture == "Hopper" for g in report.gpus)
    assert report.gpus[0].name == "H100 SXM5 80GB"
    assert report.gpus[1].name == "H100 SXM5 80GB"  # unnamed by lspci: the known-id table
    assert report.nvswitch_count == 4


def test_gpus_from_ubuntu_drivers_modalias_when_nothing_else():
    files = {"ubuntu-drivers-devices.txt": RTX3090_FRESH["ubuntu-drivers-devices.txt"]}
    report = build_report(FakeHost(files), today=TODAY)
    [gpu] = report.gpus
    assert (gpu.pci_address, gpu.device_id, gpu.architecture) == ("0000:01:00.0", "2204", "Ampere")


DEBIAN_T4 = {
    "os-release.txt": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nID=debian\n',
    "uname-r.txt": "6.1.0-28-amd64\n",
    "sysfs-pci.txt": (
        "0000:00:04.0 class=0x030200 vendor=0x10de device=0x1eb8 "
        "modalias=pci:v000010DEd00001EB8sv000010DEsd000012A2bc03sc02i00 driver=-\n"
    ),
    "apt-cache-show.txt": (
        "Package: nvidia-driver\nVersion: 535.216.03-1~deb12u1\nSection: non-free/x11\n\n"
        "Package: nvidia-tesla-535-driver\nVersion: 535.216.03-1~deb12u1\n\n"
        "Package: nvidia-open-kernel-dkms\nVersion: 535.216.03-1~deb12u1\n\n"
        "Package: nvidia-tesla-470-driver\nVersion: 470.256.02-1~deb12u1\n"
        "Modaliases: nvidia(pci:v000010DEd00001021sv*sd*bc03sc*i*)\n\n"
    ),
    "lsmod.txt": "Module Size Used by\nnouveau 2433024 0\n",
    "mokutil-sb-state.txt": "SecureBoot enabled\n",
    "session.txt": "ssh=yes\ndisplay_manager=no\ndefault_target=multi-user.target\n",
}


def test_debian_without_ubuntu_drivers_finds_candidates_in_apt():
    report = build_report(FakeHost(DEBIAN_T4), today=TODAY)
    assert [g.architecture for g in report.gpus] == ["Turing"]
    packages = {c.package: c for c in report.driver_candidates}
    # The 470 Tesla driver's Modaliases do not name the T4: not a candidate.
    assert set(packages) == {"nvidia-driver", "nvidia-tesla-535-driver", "nvidia-open-kernel-dkms"}
    assert packages["nvidia-open-kernel-dkms"].open and packages["nvidia-open-kernel-dkms"].runnable
    # 535 < 560: no open preference; headless: the data-center build.
    assert report.recommended_driver == "nvidia-tesla-535-driver"
    assert report.ubuntu_drivers_recommended is None
    ids = {f.id for f in report.findings}
    assert "secure-boot-dkms-only" in ids  # Debian offers DKMS modules only
    assert "nouveau-loaded" in ids


def test_no_gpu_vm():
    files = {
        "os-release.txt": UBUNTU_2204,
        "lspci-nn.txt": "00:02.0 VGA compatible controller [0300]: Red Hat, Inc. QXL [1b36:0100]\n",
        "lsmod.txt": "Module Size Used by\n",
    }
    report = build_report(FakeHost(files), today=TODAY)
    assert report.gpus == [] and report.driver_candidates == []
    assert report.recommended_driver is None and report.recommendation_reason is None
    assert [f.id for f in report.findings] == ["no-nvidia-gpu"]


def test_nvml_mismatch_machine():
    files = {
        "os-release.txt": UBUNTU_2204,
        "uname-r.txt": "5.15.0-125-generic\n",
        "lspci-nn.txt": "07:00.0 3D controller [0302]: NVIDIA Corporation GA100 [A100 SXM4 80GB]"
        " [10de:20b2] (rev a1)\n",
        "proc-driver-nvidia-version.txt": (
            "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 03:22:07 UTC"
            " 2024\nGCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n"
        ),
        "dpkg-query.txt": (
            "nvidia-driver-550-server\tinstall ok installed\t550.163.01-0ubuntu0.22.04.1\n"
            "libnvidia-compute-550-server\tinstall ok installed\t550.163.01-0ubuntu0.22.04.1\n"
            "nvidia-container-toolkit\tinstall ok installed\t1.17.8-1\n"
            "linux-image-5.15.0-125-generic\tinstall ok installed\t5.15.0-125.135\n"
            "linux-image-5.15.0-130-generic\tinstall ok installed\t5.15.0-130.140\n"
            "bash\tinstall ok installed\t5.1-6ubuntu1\n"
        ),
        "nvidia-smi.txt": "Failed to initialize NVML: Driver/library version mismatch\n"
        "NVML library version: 550.163\n",
        "reboot-required.txt": "*** System restart required ***\n",
        "dpkg-lock.txt": "1234\tunattended-upgr\t/var/lib/dpkg/lock-frontend\n",
        "dpkg-audit.txt": "",
    }
    report = build_report(FakeHost(files), today=TODAY)
    assert report.loaded_module.version == "550.127.05"
    assert report.loaded_module.flavor == "proprietary"
    assert {p.name for p in report.installed_packages} == {
        "nvidia-driver-550-server",
        "libnvidia-compute-550-server",
        "nvidia-container-toolkit",
    }
    ids = [f.id for f in report.findings]
    for expected in (
        "nvml-mismatch",
        "reboot-required",
        "dpkg-lock-held",
        "kernel-older-than-installed",
    ):
        assert expected in ids
    assert "dpkg-interrupted" not in ids
    assert report.nvidia_smi.status == "version-mismatch"


def test_loaded_module_from_modinfo_only_when_lsmod_shows_it():
    files = {
        "modinfo-nvidia.txt": "filename: /lib/modules/x/nvidia.ko\nversion: 580.95.05\n"
        "license: Dual MIT/GPL\n",
        "lsmod.txt": "Module Size Used by\nnvidia 12345 0\n",
    }
    assert build_report(FakeHost(files)).loaded_module.flavor == "open"
    files["lsmod.txt"] = "Module Size Used by\n"
    assert build_report(FakeHost(files)).loaded_module is None


def test_dpkg_updates_directory_means_interrupted():
    report = build_report(FakeHost({"dpkg-updates.txt": "0001\n"}))
    assert report.dpkg_interrupted
    assert not build_report(FakeHost({"dpkg-updates.txt": "\n"})).dpkg_interrupted


def test_an_empty_bundle_gives_an_unknown_machine_not_an_error():
    report = build_report(FakeHost({}))
    assert report.gpus == [] and report.secure_boot == "unknown" and report.nouveau_loaded is None
    assert report.to_json()["findings"][0]["id"] == "no-nvidia-gpu"


def test_garbage_in_every_source_never_raises():
    from nvwizard.host.sources import SOURCE_NAMES

    noise = "\x00\ufffd garbage ==\r\n: : :\n\tdriver : nvidia-driver-\n" * 50
    report = build_report(FakeHost({name: noise for name in SOURCE_NAMES}))
    assert report.gpus == []


def test_headless_rules():
    assert is_headless({}) is None  # a pasted bundle: no evidence either way
    assert is_headless({"display_manager": "no", "default_target": "multi-user.target"})
    assert is_headless({"default_target": "multi-user.target"})
    assert is_headless({}, [DpkgEntry("ubuntu-server", "1.517", "ii")])
    assert not is_headless({}, [DpkgEntry("ubuntu-desktop-minimal", "1.517", "ii")])
    assert not is_headless({"display_manager": "yes"})
    # Ubuntu Server defaults to graphical.target with no display manager at all.
    assert is_headless({"display_manager": "no", "default_target": "graphical.target"})
    assert is_headless({"default_target": "graphical.target"}) is None
    # A display manager installed but stopped (e.g. crashed on nouveau) is still a desktop.
    gdm = [DpkgEntry("gdm3", "42.0-1ubuntu7", "ii")]
    assert not is_headless({"display_manager": "no"}, gdm)
    assert is_headless({"display_manager": "no"}, [DpkgEntry("gdm3", "42.0", "rc")])


def test_modinfo_flavor():
    assert modinfo_flavor("Dual MIT/GPL") == "open"
    assert modinfo_flavor("NVIDIA") == "proprietary"
    assert modinfo_flavor(None) is None


def test_the_users_headless_answer_ranks_and_detection_stays_what_it_saw():
    """--desktop on a machine detected headless: the desktop ranking, the findings and the
    explanations for a desktop; `headless` stays detection's own fact."""
    from nvwizard.simulator import demo_host

    detected = build_report(demo_host("rtx3090-fresh"))
    assert detected.headless is True
    assert detected.recommended_driver == "nvidia-driver-595-server-open"
    desktop = build_report(demo_host("rtx3090-fresh"), headless=False)
    assert (desktop.headless, desktop.headless_answer) == (True, False)
    assert desktop.recommended_driver == "nvidia-driver-595-open"
    assert not desktop.headless_or_assumed and not desktop.assumes_headless
    assert "desktop ranking (the desktop driver was asked for)" in (
        desktop.recommendation_reason or ""
    )
    starred = [c.package for c in desktop.driver_candidates if c.recommended]
    assert starred == ["nvidia-driver-595-open"]
