"""The bundle format: every fact nvwizard reads has a source name, which is also its file name
in a capture bundle. Every file is optional; any single file alone is a valid bundle.

`LocalHost` knows how to produce each source on a real machine; `capture` writes them all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    name: str  # file name in a bundle
    what: str  # how it is produced on a real machine (for the README and `capture`)


SOURCES: tuple[Source, ...] = (
    Source("os-release.txt", "/etc/os-release"),
    Source("uname-r.txt", "`uname -r`"),
    Source("lspci-nn.txt", "`lspci -nn -k` (a grep-filtered paste is fine)"),
    Source(
        "sysfs-pci.txt",
        "one line per PCI device from /sys/bus/pci/devices: "
        "`<address> class=0x030200 vendor=0x10de device=0x2204 modalias=pci:... driver=nvidia`; "
        "NVIDIA's devices also `revision=0xa1`, the byte of their config space lspci shows "
        "(`0xff`: the device does not answer)",
    ),
    Source("ubuntu-drivers-devices.txt", "`ubuntu-drivers devices` (stderr noise may be mixed in)"),
    Source("ubuntu-drivers-list.txt", "`ubuntu-drivers list`"),
    Source("dpkg-l.txt", "`dpkg -l` (possibly grep-filtered, possibly without its header)"),
    Source(
        "dpkg-query.txt",
        "`dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n'` (all packages)",
    ),
    Source("dpkg-audit.txt", "`dpkg --audit` (empty when dpkg is healthy)"),
    Source(
        "dpkg-updates.txt", "file names in /var/lib/dpkg/updates/ (non-empty: dpkg was interrupted)"
    ),
    Source("apt-mark-showhold.txt", "`apt-mark showhold`"),
    Source(
        "apt-cache-show.txt",
        "`apt-cache show` stanzas of the NVIDIA driver packages apt offers: Ubuntu's by branch "
        "(driver, utils, headless, DKMS, fabric manager, the legacy `nvidia-<branch>`), Debian's "
        "families (`nvidia-driver`, `nvidia-tesla-*`, `nvidia-legacy-*` with their kernel-dkms, "
        "smi, CUDA library and GSP firmware), the signed modules for this kernel, this "
        "kernel's headers and the headers metapackages of its flavour (`linux-headers-generic`, "
        "`-generic-hwe-22.04`, `-virtual`, ...), and the developer stack (`cuda-toolkit-X-Y`, "
        "`cudnn9-cuda-X`, `nvidia-cuda-toolkit`, `nvidia-container-toolkit`, `cuda-keyring`) "
        "(Package, Version, Depends, Modaliases, "
        "Support headers)",
    ),
    Source(
        "apt-sources.txt",
        "the deb lines of /etc/apt/sources.list and sources.list.d/* (deb822 `.sources` as "
        "one-line entries), each file's after a `# file: <path>` line",
    ),
    Source("nvidia-smi.txt", "`nvidia-smi` (its table, or its error text)"),
    Source("proc-driver-nvidia-version.txt", "/proc/driver/nvidia/version"),
    Source("mokutil-sb-state.txt", "`mokutil --sb-state` (stdout and stderr)"),
    Source("lsmod.txt", "`lsmod` (possibly grep-filtered)"),
    Source("reboot-required.txt", "/var/run/reboot-required (present: a reboot is pending)"),
    Source(
        "reboot-required-pkgs.txt",
        "/var/run/reboot-required.pkgs (the packages that asked for the pending reboot)",
    ),
    Source("df.txt", "`df -P -k / /var /boot`"),
    Source(
        "gpu-processes.txt",
        "processes holding /dev/nvidia* open: `<pid>\\t<name>\\t<user>\\t<device>`",
    ),
    Source("dpkg-lock.txt", "holders of the dpkg/apt locks: `<pid>\\t<name>\\t<lock path>`"),
    Source(
        "session.txt",
        "`key=value` lines: ssh (SSH_CONNECTION set), display_manager (yes: a display manager "
        "unit is active; no: systemctl says it is not; unknown: systemctl could not answer), "
        "default_target (systemctl get-default), systemd (PID 1 is systemd)",
    ),
    Source(
        "run-installer.txt",
        "traces of NVIDIA's .run installer: /usr/bin/nvidia-uninstall, "
        "/var/log/nvidia-installer.log",
    ),
    Source(
        "modinfo-nvidia.txt",
        "`modinfo nvidia` for the kernel that runs (version, signer, filename)",
    ),
    Source(
        "gpu-services.txt",
        "NVIDIA's GPU services (persistenced, fabric manager, DCGM): "
        "`<unit>\\t<systemctl is-active>\\t<systemctl is-enabled>`",
    ),
    Source("proc-fb.txt", "/proc/fb (the framebuffers; the console sits on the first)"),
    Source(
        "dkms-status.txt",
        "`dkms status` (which module versions DKMS built for which kernels; used by `verify`)",
    ),
    Source("dpkg-architecture.txt", "`dpkg --print-architecture` (amd64, arm64)"),
    Source("apt-preferences.txt", "/etc/apt/preferences and preferences.d/* (the pins)"),
    Source(
        "cuda-toolkits.txt",
        "the CUDA toolkit folders: `<folder> version=<release>` per /usr/local/cuda-X.Y (from "
        "its version.json), and `/usr/local/cuda -> <target>`",
    ),
    Source(
        "nvcc-version.txt",
        "`nvcc --version` of /usr/local/cuda/bin/nvcc and /usr/bin/nvcc, each under `== <path> ==`",
    ),
    Source("cudnn-version.txt", "cuDNN's cudnn_version.h, under `== <path> ==`"),
    Source("nvidia-ctk-version.txt", "`nvidia-ctk --version`"),
    Source("docker-info.txt", "`docker info` (stdout and stderr)"),
    Source("docker-daemon-json.txt", "/etc/docker/daemon.json"),
    Source("containerd-config.txt", "/etc/containerd/config.toml and its conf.d drop-ins"),
    Source("crio-config.txt", "/etc/crio/crio.conf and crio.conf.d/*"),
    Source(
        "kernel-log.txt",
        "this boot's kernel messages, only the NVIDIA lines (NVRM, nvidia, nouveau, Xid, "
        "Lockdown), at most 2000: `journalctl -k -b --no-pager -o short-monotonic`, or `dmesg` "
        "where the journal is closed to the user; missing when neither may be read without "
        "root (old bundles: not captured)",
    ),
    Source("machine.txt", "`key=value` lines describing the bundle: name, title, captured_at"),
)
# Produced on request only, never captured: `verify` compiles and runs a CUDA program.
ON_REQUEST_SOURCES = (
    Source(
        "cuda-sample.txt",
        "the vector-add CUDA program compiled with the installed nvcc and run: `nvcc=`, "
        "`compile=`, `run=` (an exit code or `skipped: <why>`), then `--- output ---`",
    ),
)

SOURCE_NAMES = frozenset(s.name for s in SOURCES)
