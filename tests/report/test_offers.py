"""What the machine could install (ubuntu-drivers, apt's stanzas) is read only when needed.

On a live machine these are the slow reads (apt-cache show: 0.2-0.8 s), so a report on a
machine with no NVIDIA GPU and no NVIDIA driver installed never asks for them, unless the
caller names a driver (`offers=True`: `plan --driver` for an image build).
"""

from __future__ import annotations

from nvwizard.host.base import Host
from nvwizard.report.build import COMMAND_SOURCES, KERNEL_LOG_SOURCES, build_report
from nvwizard.report.offers import OFFER_SOURCES

KERNEL = "6.8.0-94-generic"
BOCHS = (
    "0000:00:02.0 class=0x030000 vendor=0x1234 device=0x1111 "
    "modalias=pci:v00001234d00001111sv00001AF4sd00001100bc03sc00i00 driver=bochs-drm\n"
)
L4 = (
    "0000:01:00.0 class=0x030200 vendor=0x10de device=0x27b8 "
    "modalias=pci:v000010DEd000027B8sv000010DEsd000016CAbc03sc02i00 driver=nvidia\n"
)
NO_GPU = {
    "os-release.txt": 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nVERSION_ID="24.04"\nID=ubuntu\n',
    "uname-r.txt": f"{KERNEL}\n",
    "sysfs-pci.txt": BOCHS,
    "dpkg-query.txt": (
        "bash\tinstall ok installed\t5.2.21-2ubuntu4\n"
        "nvidia-container-toolkit\tinstall ok installed\t1.17.3-1\n"
        "nvidia-driver-535\tpurge ok config-files\t535.183.01-0ubuntu0.24.04.1\n"
    ),
    "ubuntu-drivers-devices.txt": (
        "== /sys/devices/pci0000:00/0000:00:1e.0 ==\n"
        "modalias : pci:v000010DEd000027B8sv000010DEsd000016CAbc03sc02i00\n"
        "vendor   : NVIDIA Corporation\n"
        "driver   : nvidia-driver-580-server - distro non-free recommended\n"
    ),
    "ubuntu-drivers-list.txt": "nvidia-driver-580-server\n",
    "apt-cache-show.txt": (
        "Package: nvidia-driver-580-server\nVersion: 580.95.05-0ubuntu0.24.04.2\n\n"
        f"Package: linux-modules-nvidia-580-server-{KERNEL}\nVersion: 6.8.0-94.96+1\n\n"
        "Package: linux-modules-nvidia-580-server-generic\nVersion: 6.8.0-94.96+1\n\n"
    ),
}


class RecordingHost(Host):
    """A bundle in a dict that records what is read and what is announced with prefetch."""

    kind = "local"  # reads as a live machine's commands would: what they cost matters
    label = "recording"

    def __init__(self, files: dict[str, str]):
        self.files = files
        self.reads: list[str] = []
        self.prefetched: list[tuple[str, ...]] = []

    def read(self, source):
        self.reads.append(source)
        return self.files.get(source)

    def prefetch(self, sources):
        self.prefetched.append(tuple(sources))

    def start(self, argv, env=None):
        raise AssertionError("building a report never runs commands")


def test_no_gpu_and_no_driver_installed_never_asks_what_could_be_installed():
    host = RecordingHost(NO_GPU)
    report = build_report(host)
    assert not set(OFFER_SOURCES) & set(host.reads)
    assert host.prefetched == [COMMAND_SOURCES]
    # what is on the machine is still all there: the NVIDIA packages come from dpkg
    assert [p.name for p in report.installed_packages] == [
        "nvidia-container-toolkit",
        "nvidia-driver-535",
    ]
    assert report.gpus == [] and report.signed_modules_available == []
    # sysfs lists the whole bus: ubuntu-drivers is not asked to find a GPU there either
    assert "no-nvidia-gpu" in {f.id for f in report.findings}


def test_a_named_driver_reads_the_offers_without_a_gpu():
    host = RecordingHost(NO_GPU)
    report = build_report(host, offers=True)
    assert set(OFFER_SOURCES) <= set(host.reads)
    assert host.prefetched[0] == COMMAND_SOURCES + OFFER_SOURCES  # started with the rest
    assert report.gpus == []
    assert report.signed_modules_available == [
        "linux-modules-nvidia-580-server-6.8.0-94-generic",
        "linux-modules-nvidia-580-server-generic",
    ]


def test_an_installed_driver_without_a_gpu_reads_the_offers():
    files = dict(NO_GPU)
    files["dpkg-query.txt"] += "nvidia-driver-580-server\tinstall ok installed\t580.95.05\n"
    host = RecordingHost(files)
    build_report(host)
    assert set(OFFER_SOURCES) <= set(host.reads)


def test_a_gpu_on_the_bus_starts_the_offers_with_the_other_commands():
    host = RecordingHost({**NO_GPU, "sysfs-pci.txt": BOCHS + L4})
    report = build_report(host)
    assert host.prefetched[0] == COMMAND_SOURCES + OFFER_SOURCES + KERNEL_LOG_SOURCES
    assert [g.device_id for g in report.gpus] == ["27b8"]
    assert [c.package for c in report.driver_candidates] == ["nvidia-driver-580-server"]


def test_ubuntu_drivers_finds_the_gpu_only_where_sysfs_does_not_list_the_bus():
    with_sysfs = build_report(RecordingHost(NO_GPU))
    assert with_sysfs.gpus == []
    without = {k: v for k, v in NO_GPU.items() if k != "sysfs-pci.txt"}
    host = RecordingHost(without)
    report = build_report(host)
    assert [g.device_id for g in report.gpus] == ["27b8"]
    assert "apt-cache-show.txt" in host.reads


def test_the_kernel_log_is_read_only_where_there_is_an_nvidia_gpu_or_driver_to_judge():
    # journalctl -k -b over a long-lived journal takes seconds: never for nothing
    host = RecordingHost(NO_GPU)
    report = build_report(host)
    assert "kernel-log.txt" not in host.reads and report.kernel_log is None
    files = dict(NO_GPU)
    files["dpkg-query.txt"] += "nvidia-driver-580-server\tinstall ok installed\t580.95.05\n"
    files["kernel-log.txt"] = "[  5.1] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  580.95.05\n"
    host = RecordingHost(files)
    report = build_report(host)
    assert "kernel-log.txt" in host.reads and report.kernel_log is not None
