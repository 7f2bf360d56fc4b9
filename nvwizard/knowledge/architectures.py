"""GPU generations: which architecture a PCI device is, and whether the open kernel modules can
drive it.

The chip code in the PCI name (`GA102 [GeForce RTX 3090]`) is the best evidence; without a
name, the device id range decides (the bounds NVIDIA's own installer and driver assistant use).
`classify_gpu` combines the two.

Sources:
- [pci.ids] /usr/share/misc/pci.ids (Debian package pci.ids 0.0~2023.04.11-1): the chip-code
  prefixes and which device-id blocks each generation occupies.
- [domain] shared/DOMAIN.md "Detection": the coarse id bounds (< 0x1340 Kepler and older,
  0x1340-0x1DFF Maxwell/Pascal/Volta, 0x1E00-0x28FF Turing to Ada, >= 0x2900 Blackwell) and
  "Variants, explained correctly" (which generations run the open modules).
- [nvidia-readme] NVIDIA driver README, "Appendix A. Supported NVIDIA GPU Products"
  (supported-gpus.json): device ids of products too new for that pci.ids (RTX 5090, GH200, B200).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# open_kernel values
OPEN_UNSUPPORTED = "unsupported"
OPEN_SUPPORTED = "supported"
OPEN_REQUIRED = "required"
OPEN_UNKNOWN = "unknown"

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Architecture:
    name: str  # "Ampere"
    chip_prefix: str  # "GA"
    open_kernel: str  # unsupported, supported or required
    last_branch: int | None  # newest driver branch that still supports it, None when current
    source: str
    # the first driver branch that supports it (None: older than any branch offered today)
    first_branch: int | None = None


ARCHITECTURES: tuple[Architecture, ...] = (
    Architecture("Kepler", "GK", OPEN_UNSUPPORTED, 470, "domain: legacy, at most branch 470"),
    Architecture("Maxwell", "GM", OPEN_UNSUPPORTED, 580, "domain: no GSP, last branch 580"),
    Architecture("Pascal", "GP", OPEN_UNSUPPORTED, 580, "domain: no GSP, last branch 580"),
    Architecture("Volta", "GV", OPEN_UNSUPPORTED, 580, "domain: no GSP, last branch 580"),
    # first branches: the branch whose release notes first list the generation's GPUs
    # (nvidia-readme); a legacy branch older than that cannot drive them
    Architecture("Turing", "TU", OPEN_SUPPORTED, None, "domain: GSP; readme: 410", 410),
    Architecture("Ampere", "GA", OPEN_SUPPORTED, None, "domain: GSP; readme: 450", 450),
    Architecture("Hopper", "GH", OPEN_SUPPORTED, None, "domain: GH200 open; readme: 525", 525),
    Architecture("Ada", "AD", OPEN_SUPPORTED, None, "domain: GSP; readme: 520", 520),
    Architecture("Blackwell", "GB", OPEN_REQUIRED, None, "domain: open only; readme: 570", 570),
)

_BY_NAME = {a.name: a for a in ARCHITECTURES}
_BY_PREFIX = {a.chip_prefix: a for a in ARCHITECTURES}


def architecture(name: str) -> Architecture | None:
    return _BY_NAME.get(name)


@dataclass(frozen=True)
class IdRange:
    first: int
    last: int
    architecture: str
    source: str


# Device-id blocks per generation for class 03 (display) functions. The coarse bounds are the
# installer's; the split inside a bound is where pci.ids shows each generation's chips.
ID_RANGES: tuple[IdRange, ...] = (
    IdRange(0x0FC0, 0x133F, "Kepler", "pci.ids: GK107 0x0fc0 .. GK208 0x12ba; domain < 0x1340"),
    IdRange(0x1340, 0x15EF, "Maxwell", "pci.ids: GM108 0x1340 .. GM204 0x13fb, GM206 0x1401"),
    IdRange(0x15F0, 0x15FF, "Pascal", "pci.ids: GP100GL 0x15f0 .. 0x15f9"),
    IdRange(0x1600, 0x17FF, "Maxwell", "pci.ids: GM204M 0x1617 .. GM200 0x17fd"),
    IdRange(0x1B00, 0x1D7F, "Pascal", "pci.ids: GP102 0x1b00 .. GP108 0x1d56"),
    IdRange(0x1D80, 0x1DFF, "Volta", "pci.ids: GV100 0x1d81 .. 0x1df6"),
    IdRange(0x1E00, 0x1FFF, "Turing", "pci.ids: TU102 0x1e02 .. TU117 0x1fbb"),
    IdRange(0x2000, 0x217F, "Ampere", "pci.ids: GA100 0x2080 .. 0x20ff"),
    IdRange(0x2180, 0x21FF, "Turing", "pci.ids: TU116 0x2182 .. 0x21d1 (GTX 16xx)"),
    IdRange(0x2200, 0x22FF, "Ampere", "pci.ids: GA102 0x2200 .. 0x22ff"),
    IdRange(0x2300, 0x23FF, "Hopper", "pci.ids: GH100 0x2302 .. 0x2339"),
    IdRange(0x2400, 0x25FF, "Ampere", "pci.ids: GA103/GA104/GA106/GA107 0x2414 .. 0x25fb"),
    IdRange(0x2600, 0x28FF, "Ada", "pci.ids: AD102 0x2681 .. AD107 0x28e1"),
)

FIRST_BLACKWELL_ID = 0x2900  # domain: >= 0x2900 Blackwell, open only; newer unknown ids too
FIRST_MAXWELL_ID = 0x1340  # domain: below it Kepler and older (legacy)
FIRST_OPEN_CAPABLE_ID = 0x1E00  # domain: from here Turing and newer (GSP)

# Grace Hopper (GH200) runs only the open modules, unlike the H100 that shares its GH100 chip.
GRACE_HOPPER_IDS = frozenset({0x2342, 0x2348})  # nvidia-readme: GH200 480GB, GH200 144G HBM3e


@dataclass(frozen=True)
class KnownDevice:
    device_id: str
    chip: str
    name: str
    source: str = "pci.ids"


# For machines whose pci.ids is too old to name the card (lspci prints "Device 2b85").
KNOWN_DEVICES: tuple[KnownDevice, ...] = (
    KnownDevice("102d", "GK210GL", "Tesla K80"),
    KnownDevice("13c2", "GM204", "GeForce GTX 970"),
    KnownDevice("15f8", "GP100GL", "Tesla P100 PCIe 16GB"),
    KnownDevice("1b80", "GP104", "GeForce GTX 1080"),
    KnownDevice("1b06", "GP102", "GeForce GTX 1080 Ti"),
    KnownDevice("1db4", "GV100GL", "Tesla V100 PCIe 16GB"),
    KnownDevice("1db1", "GV100GL", "Tesla V100 SXM2 16GB"),
    KnownDevice("1e04", "TU102", "GeForce RTX 2080 Ti"),
    KnownDevice("1eb8", "TU104GL", "Tesla T4"),
    KnownDevice("20b0", "GA100", "A100 SXM4 40GB"),
    KnownDevice("20b2", "GA100", "A100 SXM4 80GB"),
    KnownDevice("20b5", "GA100", "A100 PCIe 80GB"),
    KnownDevice("2204", "GA102", "GeForce RTX 3090"),
    KnownDevice("2230", "GA102GL", "RTX A6000"),
    KnownDevice("2236", "GA102GL", "A10"),
    KnownDevice("2330", "GH100", "H100 SXM5 80GB"),
    KnownDevice("2331", "GH100", "H100 PCIe"),
    KnownDevice("2342", "GH100", "GH200 480GB", "nvidia-readme"),
    KnownDevice("2684", "AD102", "GeForce RTX 4090"),
    KnownDevice("26b5", "AD102GL", "L40"),
    KnownDevice("27b8", "AD104GL", "L4"),
    KnownDevice("2901", "GB100", "B200", "nvidia-readme"),
    KnownDevice("2b85", "GB202", "GeForce RTX 5090", "nvidia-readme"),
)

_KNOWN = {d.device_id: d for d in KNOWN_DEVICES}

# "GA102", "TU104GL", "GP104M", "AD104GLM"; pci.ids sometimes omits the space: "GH100[H100 ...".
_CHIP_RE = re.compile(r"(?<![A-Za-z0-9])(GK|GM|GP|GV|TU|GA|GH|AD|GB)(\d{2,3}[A-Z]*)(?![a-z0-9])")
# Fermi (GF) and Tesla-generation (GT) chips: long out of support, no architecture of ours.
_PRE_KEPLER_CHIP_RE = re.compile(r"(?<![A-Za-z0-9])(GF|GT)\d{3}[A-Z]*(?![a-z0-9])")
PRE_KEPLER_LAST_BRANCH = 390  # nvidia-readme: Fermi's last legacy branch
_BRACKET_RE = re.compile(r"\[([^\[\]]+)\]")
_ID_PAIR_RE = re.compile(r"^[0-9a-fA-F]{4}(:[0-9a-fA-F]{4})?$")


@dataclass(frozen=True)
class GpuClass:
    architecture: str  # Kepler ... Blackwell, or "unknown"
    open_kernel: str  # unsupported, supported, required, unknown
    chip: str | None  # "GA102", None when the name does not say
    marketing_name: str | None  # "GeForce RTX 3090"
    last_branch: int | None = None  # legacy generations: the newest branch that supports them
    grace_hopper: bool = False


def _parse_id(device_id: str | int | None) -> int | None:
    if isinstance(device_id, int):
        return device_id
    if not device_id:
        return None
    try:
        return int(device_id.strip().lower().removeprefix("0x"), 16)
    except ValueError:
        return None


def chip_code(name: str | None) -> str | None:
    """The chip code in a PCI name: "NVIDIA Corporation GA102 [GeForce RTX 3090]" -> "GA102"."""
    if not name:
        return None
    match = _CHIP_RE.search(name)
    return match.group(0) if match else None


def marketing_name(name: str | None) -> str | None:
    """The product in brackets: "GA102 [GeForce RTX 3090]" -> "GeForce RTX 3090"."""
    if not name:
        return None
    for text in _BRACKET_RE.findall(name):
        text = text.strip()
        # lspci -nn appends "[10de:2204]" and the class "[0300]"; those are not names.
        if text and not _ID_PAIR_RE.match(text):
            return text
    return None


def architecture_from_id(device_id: int) -> str:
    for r in ID_RANGES:
        if r.first <= device_id <= r.last:
            return r.architecture
    if device_id >= FIRST_BLACKWELL_ID:
        return "Blackwell"
    return UNKNOWN


def _open_kernel_from_id(device_id: int) -> str:
    if device_id < FIRST_OPEN_CAPABLE_ID:
        return OPEN_UNSUPPORTED
    if device_id < FIRST_BLACKWELL_ID:
        return OPEN_SUPPORTED
    return OPEN_REQUIRED


def classify_gpu(device_id: str | int | None, name: str | None = None) -> GpuClass:
    """What kind of NVIDIA GPU this is: chip code from the PCI name first, else the id range.

    `device_id` is the PCI device id ("2204", "0x2204" or an int); `name` the PCI name as lspci
    or pci.ids gives it, or None.
    """
    number = _parse_id(device_id)
    known = _KNOWN.get(f"{number:04x}") if number is not None else None
    chip = chip_code(name) or (known.chip if known else None)
    product = marketing_name(name) or (known.name if known else None)
    grace_hopper = (number in GRACE_HOPPER_IDS) or bool(product and "GH200" in product)

    arch = _BY_PREFIX.get(chip[:2]) if chip else None
    if arch is None and name and (old := _PRE_KEPLER_CHIP_RE.search(name)):
        return GpuClass(UNKNOWN, OPEN_UNSUPPORTED, old.group(0), product, PRE_KEPLER_LAST_BRANCH)
    if arch is not None:
        open_kernel = arch.open_kernel
        last_branch = arch.last_branch
        arch_name = arch.name
    elif number is not None:
        arch_name = architecture_from_id(number)
        open_kernel = _open_kernel_from_id(number)
        found = _BY_NAME.get(arch_name)
        # Below Maxwell everything is legacy (at most 470), Fermi included.
        last_branch = found.last_branch if found else (470 if number < FIRST_MAXWELL_ID else None)
    else:
        return GpuClass(UNKNOWN, OPEN_UNKNOWN, None, product, None, grace_hopper)

    if grace_hopper:
        open_kernel = OPEN_REQUIRED
    return GpuClass(arch_name, open_kernel, chip, product, last_branch, grace_hopper)
