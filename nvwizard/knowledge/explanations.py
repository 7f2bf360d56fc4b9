"""The honest texts behind the wizard's Select panel and the plan.

The fixed texts say what the variants and install kinds mean (per shared/DOMAIN.md, "Variants,
explained correctly"); a `Paragraph` is one of them, titled, as a front end shows it. The
report layer (report/explain.py) turns them into paragraphs about one candidate on this
machine.
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN_TEXT = (
    "-open uses NVIDIA's open-source (MIT/GPL) kernel modules. They need the GPU's GSP "
    "processor: Turing (GTX 16xx, RTX 20xx, T4) and newer. Maxwell, Pascal and Volta (GTX 9xx/"
    "10xx, P100, V100) cannot run them; Blackwell and Grace Hopper run nothing else. The "
    "user-space libraries are the same; only the kernel module differs."
)
PROPRIETARY_TEXT = (
    "Without -open you get NVIDIA's proprietary kernel modules: the only choice before Turing, "
    "impossible on Blackwell and Grace Hopper. The user-space libraries are the same as -open's."
)
SERVER_TEXT = (
    "-server is the Enterprise Ready Driver (ERD) packaging for servers and compute: the same "
    "driver version as the plain package, packaged and updated on NVIDIA's data-center cadence; "
    "fabric manager and NSCQ are packaged to match it. Ubuntu ships -server builds of new "
    "feature branches too (565-server, 575-server), so -server alone does not mean long-term "
    "support: the branch's designation says that."
)
DESKTOP_TEXT = (
    "Names without -server are the desktop (UDA) driver: the same hardware support, on NVIDIA's "
    "consumer release cadence."
)
HEADLESS_TEXT = (
    "Headless install: nvidia-headless-no-dkms-<flavour> (the compute stack, no X or desktop "
    "libraries) plus nvidia-utils-<branch> (nvidia-smi, which `ubuntu-drivers install --gpgpu` "
    "forgets) plus the kernel modules. This is what an SSH-only server wants."
)
DESKTOP_INSTALL_TEXT = (
    "Desktop install: nvidia-driver-<flavour>, the full driver with the X and Wayland "
    "libraries and nvidia-settings, plus the kernel modules."
)
SIGNED_TEXT = (
    "Canonical's precompiled, signed modules (linux-modules-nvidia-<flavour>-<kernel>) load "
    "under Secure Boot with no key to enroll, and need no compiler or headers."
)
DKMS_TEXT = (
    "DKMS (nvidia-dkms-<flavour>) builds the module on this machine for each kernel: it needs "
    "the kernel's linux-headers (nvwizard adds the running kernel's and the headers "
    "metapackage that follows the kernel updates). Under Secure Boot the module is signed "
    "with a key (/var/lib/shim-signed/mok/MOK.der) that must be enrolled as a Machine Owner "
    "Key: `sudo mokutil --import` after the install (the install cannot queue it: apt runs "
    "non-interactively), then MOK Manager on the console or BMC at the next boot. Over SSH "
    "alone that boot step is impossible."
)
# Debian (knowledge/debian.py): other names, and DKMS is the only way to get the module.
DEBIAN_OPEN_TEXT = (
    "nvidia-open-kernel-dkms builds NVIDIA's open-source (MIT/GPL) kernel modules of the same "
    "branch as nvidia-driver. They need the GPU's GSP processor: Turing (GTX 16xx, RTX 20xx, "
    "T4) and newer. The user-space libraries are the same; only the kernel module differs."
)
DEBIAN_TESLA_TEXT = (
    "nvidia-tesla-<branch>-driver is Debian's packaging of NVIDIA's data-center (Tesla) "
    "branches, for servers and compute; its parts carry the family in their names "
    "(nvidia-tesla-535-kernel-dkms, nvidia-tesla-535-smi, libnvidia-tesla-535-cuda1)."
)
DEBIAN_DESKTOP_TEXT = (
    "nvidia-driver is Debian's current driver, one branch per Debian release (535 in Debian "
    "12, 550 in Debian 13); for Kepler GPUs Debian 12 keeps the nvidia-tesla-470-driver "
    "family, and Debian 13 has no older branch."
)
DEBIAN_HEADLESS_TEXT = (
    "Headless install: the kernel module (nvidia-kernel-dkms or the family's), nvidia-smi, "
    "libcuda1, nvidia-persistenced and the GSP firmware, each in the chosen family's name, "
    "with --no-install-recommends: no X server or desktop libraries."
)
DEBIAN_DESKTOP_INSTALL_TEXT = (
    "Desktop install: the nvidia-driver (or nvidia-tesla-<branch>-driver) metapackage, the "
    "full driver with the X driver, GL libraries and the kernel module built by DKMS."
)
DEBIAN_DKMS_TEXT = (
    "Debian has no precompiled NVIDIA modules: DKMS builds the module here for each kernel, "
    "from the kernel's headers (nvwizard adds linux-headers-<kernel> and the headers "
    "metapackage). Under Secure Boot, Debian's DKMS signs it with its own Machine Owner Key "
    "(/var/lib/dkms/mok.key), which must be enrolled once: `sudo mokutil --import "
    "/var/lib/dkms/mok.pub` after the install, then MOK Manager on the console or BMC at the "
    "next boot. Over SSH alone that boot step is impossible."
)
SUPPORT_TEXT = (
    "A PB (production branch) gets fixes for a year, an LTSB (long-term support branch) for "
    "three; an NFB (new feature branch) has no end-of-life date and ends when the next "
    "production or long-term branch ships. Ubuntu turns a branch past its end of life into "
    "transitional packages that pull in a newer branch; Debian does the same when it drops a "
    "family (bookworm's nvidia-tesla-driver now installs nvidia-driver)."
)


@dataclass(frozen=True)
class Paragraph:
    title: str
    text: str
    severity: str = "info"  # info, warn, block (as findings)
