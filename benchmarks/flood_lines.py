"""Realistic apt and DKMS output, as many lines as asked, generated as fast as possible.

One "round" is what installing a driver branch prints: apt's downloads, unpacks and set-ups,
then a DKMS build of the kernel modules (compiler lines) and the triggers; apt's Status-Fd
progress lines are interleaved on the "status" stream as the engine receives them. Rounds
repeat with a changing version so every line is a distinct string, as in a real log.
"""

from __future__ import annotations

from collections.abc import Iterator

from nvwizard.host.base import OutputLine

KERNEL = "6.8.0-94-generic"
PACKAGES = (
    "libnvidia-common-{b}",
    "libnvidia-compute-{b}",
    "libnvidia-gl-{b}",
    "libnvidia-decode-{b}",
    "libnvidia-encode-{b}",
    "libnvidia-extra-{b}",
    "libnvidia-fbc1-{b}",
    "libnvidia-cfg1-{b}",
    "nvidia-kernel-source-{b}",
    "nvidia-kernel-common-{b}",
    "nvidia-dkms-{b}",
    "nvidia-utils-{b}",
    "nvidia-compute-utils-{b}",
    "nvidia-firmware-{b}",
    "nvidia-driver-{b}",
    "xserver-xorg-video-nvidia-{b}",
)
SOURCES = (
    "nv.c", "nv-pci.c", "nv-dmabuf.c", "nv-acpi.c", "nv-mmap.c", "nv-p2p.c", "nv-pat.c",
    "nv-procfs.c", "nv-usermap.c", "nv-vm.c", "nv-vtophys.c", "os-interface.c", "os-mlock.c",
    "os-pci.c", "os-registry.c", "os-usermap.c", "nv-modeset-interface.c", "nv-pci-table.c",
    "nv-kthread-q.c", "nv-memdbg.c", "nv-ibmnpu.c", "nv-report-err.c", "nv-rsync.c",
    "nv-msi.c", "nv-caps.c", "nv-frontend.c", "nv_uvm_interface.c", "nvlink_linux.c",
    "nvlink_caps.c", "linux_nvswitch.c", "procfs_nvswitch.c", "i2c_nvswitch.c",
    "nv-caps-imex.c", "nv-host1x.c", "nv-platform.c", "nv-tegra.c", "nv-clk.c", "nv-gpio.c",
)  # fmt: skip
MODULES = ("nvidia", "nvidia-uvm", "nvidia-modeset", "nvidia-drm", "nvidia-peermem")


def _round(number: int) -> Iterator[tuple[str, str]]:
    branch = 535 + (number % 8) * 10
    version = f"{branch}.{number % 300}.{number % 100:02d}-0ubuntu0.24.04.{number}"
    names = [p.format(b=f"{branch}-server") for p in PACKAGES]
    base = "http://archive.ubuntu.com/ubuntu noble-updates/restricted amd64"
    for index, name in enumerate(names, 1):
        size = 100 + (index * 7919 + number) % 90000
        yield "stdout", f"Get:{index} {base} {name} amd64 {version} [{size / 10:.1f} kB]"
        yield "status", f"dlstatus:{index}:{100.0 * index / len(names):.4f}:Retrieving file {index}"
    yield "stdout", f"Fetched {len(names) * 4.2 + number % 10:.1f} MB in 3s (41.{number % 10} MB/s)"
    for index, name in enumerate(names, 1):
        deb = f"{name}_{version}_amd64.deb"
        yield "stdout", f"Selecting previously unselected package {name}:amd64."
        files = 180000 + number + index
        yield "stdout", f"(Reading database ... {files} files and directories currently installed.)"
        yield "stdout", f"Preparing to unpack .../{index:02d}-{deb} ..."
        yield "stdout", f"Unpacking {name}:amd64 ({version}) ..."
        percent = 100.0 * index / (2 * len(names))
        yield "status", f"pmstatus:{name}:{percent:.4f}:Unpacking {name} (amd64)"
    for index, name in enumerate(names, 1):
        yield "stdout", f"Setting up {name} ({version}) ..."
        percent = 50.0 + 100.0 * index / (2 * len(names))
        yield "status", f"pmstatus:{name}:{percent:.4f}:Configuring {name} (amd64)"
        if name.startswith("nvidia-dkms"):
            yield from _dkms_build(branch, version)
    yield "stdout", f"Processing triggers for man-db (2.12.0-4build{number % 9}) ..."
    yield "stdout", f"Processing triggers for libc-bin (2.39-0ubuntu8.{number % 9}) ..."
    yield "stdout", f"Processing triggers for initramfs-tools (0.142ubuntu25.{number % 9}) ..."
    yield "stdout", f"update-initramfs: Generating /boot/initrd.img-{KERNEL}"


def _dkms_build(branch: int, version: str) -> Iterator[tuple[str, str]]:
    module_version = version.split("-", 1)[0]
    build = f"/var/lib/dkms/nvidia/{module_version}/build"
    yield "stdout", f"Loading new nvidia-{module_version} DKMS files..."
    yield "stdout", f"Building for {KERNEL}"
    yield "stdout", f"Building initial module for {KERNEL}"
    yield "stdout", f"make -j16 KERNELRELEASE={KERNEL} modules"
    for folder in ("nvidia", "nvidia-uvm", "nvidia-modeset", "nvidia-drm", "nvidia-peermem"):
        for source in SOURCES:
            obj = source.rsplit(".", 1)[0] + ".o"
            yield "stdout", f"  CC [M]  {build}/{folder}/{obj}"
        yield "stdout", f"  LD [M]  {build}/{folder}.o"
    for module in MODULES:
        yield "stdout", f"  MODPOST {build}/Module.symvers"
        yield "stdout", f"  CC [M]  {build}/{module}.mod.o"
        yield "stdout", f"  LD [M]  {build}/{module}.ko"
        yield "stdout", f"  BTF [M] {build}/{module}.ko"
        yield (
            "stdout",
            f"Skipping BTF generation for {build}/{module}.ko due to unavailability of vmlinux",
        )
    yield "stdout", f"Signing module /var/lib/dkms/nvidia/kernel-{branch}/module/nvidia.ko"
    for module in MODULES:
        yield "stdout", f"{module.replace('-', '_')}.ko.zst:"
        yield "stdout", "Running module version sanity check."
        yield "stdout", " - Original module"
        yield "stdout", "   - No original module exists within this kernel"
        yield "stdout", " - Installation"
        yield "stdout", f"   - Installing to /lib/modules/{KERNEL}/updates/dkms/"
    yield "stdout", "depmod..."
    firmware = f"/lib/firmware/nvidia/{module_version}/gsp_ga10x.bin"
    yield "stderr", f"W: Possible missing firmware {firmware} for module nvidia"


def flood_lines(count: int) -> Iterator[OutputLine]:
    """`count` output lines (stdout and stderr; status lines come on top, uncounted)."""
    emitted = 0
    number = 0
    while True:
        for stream, text in _round(number):
            if stream != "status":
                if emitted == count:
                    return
                emitted += 1
            yield OutputLine(stream, text)
        number += 1
