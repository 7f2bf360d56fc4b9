"""The query detection puts to apt: which packages one `apt-cache show` asks about (a POSIX
extended regular expression, apt's flavour), and what apt answers to it out of a whole
Packages-like listing. Pure text, no command run: the demo simulator answers detection's
query with it (simulator/machine.py) without loading the code that runs commands
(package_queries.py runs the real `apt-cache show`), which the wizard's start-up would pay for.
"""

from __future__ import annotations

import re

# Debian names a driver family inside each package name: tesla-535-, legacy-390xx-, tesla-.
_DEBIAN_FAMILY = "((tesla|legacy)-([0-9]+(xx)?-)?)?"
# The packages worth an `apt-cache show`, as one POSIX extended regular expression (apt's
# regex flavour). Together: everything driver ranking, signed modules and plans read.
_DRIVER_PACKAGES = (
    # Ubuntu: the driver by branch (nvidia-driver-580-server-open), its parts and fabric
    # manager, the legacy names of old releases (nvidia-340, nvidia-331-updates), and NVIDIA's
    # CUDA repository's cuda-drivers.
    "nvidia-(driver|utils|headless|headless-no-dkms|dkms|kernel-common|kernel-source|"
    "compute-utils|firmware|fabricmanager)-[0-9].*"
    "|nvidia-[0-9]+(-updates)?"
    "|libnvidia-(compute|nscq)-[0-9].*"
    "|cuda-drivers(-[0-9]+)?"
    # Debian (knowledge/debian.py): each family's driver, kernel modules, nvidia-smi, CUDA
    # library, NVML's configuration library (nvidia-persistenced needs it) and GSP firmware,
    # and the open kernel modules.
    f"|nvidia-{_DEBIAN_FAMILY}(driver|kernel-dkms|smi)"
    "|nvidia-open-kernel-dkms"
    f"|libcuda1|libnvidia-{_DEBIAN_FAMILY}(cuda1|cfg1)"
    f"|firmware-nvidia-{_DEBIAN_FAMILY}gsp"
    # The developer stack (knowledge/cuda.py, containers.py): NVIDIA's toolkit and cuDNN
    # packages, the distribution's toolkit, the container toolkit, the CUDA keyring.
    "|cuda-toolkit-[0-9]+-[0-9]+|cudnn9-cuda-[0-9]+|nvidia-cuda-toolkit"
    "|nvidia-container-toolkit|cuda-keyring"
)


# An Ubuntu kernel release's flavour ("6.8.0-94-generic": generic); the kernel metapackages of
# that flavour are named after it (linux-headers-generic-hwe-24.04, linux-headers-aws), and
# the virtual ones install generic kernels too (knowledge/packages.py).
_UBUNTU_FLAVOUR = re.compile(r"^\d+\.\d+\.\d+-\d+-([a-z][a-z0-9]*(?:-[a-z0-9]+)*)$")


def _escaped(name: str) -> str:
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name)


def _headers_metapackages(kernel: str) -> str | None:
    """The headers metapackages of the kernel series of this kernel's flavour, as a regular
    expression ("(generic|virtual)(-[a-z0-9.]+)*"), or None for a kernel not of Ubuntu's form."""
    match = _UBUNTU_FLAVOUR.match(kernel)
    if match is None:
        return None
    flavour = match.group(1)
    family = "(generic|virtual)" if flavour == "generic" else _escaped(flavour)
    return f"{family}(-[a-z0-9.]+)*"


def apt_show_pattern(kernel: str) -> str:
    """The packages worth an `apt-cache show`: the driver packages, the signed kernel modules
    for this kernel and their meta packages (not the hundreds built for other kernels), this
    kernel's headers, and the headers metapackages of its flavour's kernel series."""
    release = _escaped(kernel)
    # A meta package's rest ("generic", "generic-hwe-24.04", "generic-hwe-22.04-edge") has at
    # most one dot: "open-5.15.0-1-generic" is another kernel's package, not a meta one.
    meta = r"[^0-9][^.]*(\.[0-9]+(-[a-z]+)?)?"
    modules = f"linux-modules-nvidia-[0-9]+(-server)?(-open)?-({release}|{meta})"
    metas = _headers_metapackages(kernel)
    headers = f"({release}|{metas})" if metas else release
    return f"^({_DRIVER_PACKAGES}|{modules}|linux-headers-{headers})$"


def apt_show_argv(kernel: str) -> list[str]:
    return ["apt-cache", "show", apt_show_pattern(kernel)]


# A stanza's end (a blank line) and its package's name, as apt-cache show and the parser see them.
_STANZA_BREAK = re.compile(r"\n[^\S\n]*\n")
_PACKAGE_FIELD = re.compile(r"^Package:[ \t]*(\S+)", re.MULTILINE)


def apt_show_answer(listing: str, kernel: str) -> str:
    """What `apt-cache show` with apt_show_pattern(kernel) prints on a machine whose apt offers
    the stanzas of `listing` (a whole Packages-like text): only the stanzas of the packages the
    pattern names, in their order. A simulated machine answers with it, so detection on a demo
    reads what it reads on a real machine (and no more: half the demo listing is the rest of
    apt's universe, there for the simulated apt-get)."""
    wanted = re.compile(apt_show_pattern(kernel))
    kept = []
    for stanza in _STANZA_BREAK.split(listing.replace("\r\n", "\n")):
        name = _PACKAGE_FIELD.search(stanza)
        if name is not None and wanted.match(name.group(1)):
            kept.append(stanza.strip("\n"))
    return "\n\n".join(kept) + "\n" if kept else ""
