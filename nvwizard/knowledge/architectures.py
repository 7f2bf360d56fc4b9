"""GPU generations: which one a PCI device is, which driver branches can drive it, and whether
the open kernel modules can.

The chip code in the PCI name (`GA102 [GeForce RTX 3090]`, `GK210GL [Tesla K80]`, `C79
[ION]`) is the best evidence; without a name, the device id decides, by the id blocks each
generation occupies; without either (nvidia-smi's "NVIDIA H100 80GB HBM3" alone), the product
name (product_names.py). `classify_gpu` combines them.

Sources (what each says):
- [pci.ids] /usr/share/misc/pci.ids (Debian package pci.ids 0.0~2023.04.11-1): the chip codes
  and the device-id blocks of each generation's display functions (the id ranges below).
- [unix-legacy] https://www.nvidia.com/en-us/drivers/unix/legacy-gpu/ and NVIDIA's "Current
  graphics driver releases" forum post: the legacy series "470.xx GKxxx Kepler, 390.xx GF1xx
  Fermi, 340.xx GeForce 8 and 9 series (G8x, G9x, GT2xx, MCP7x/MCP89 integrated), 304.xx
  GeForce 6 and 7 series (NV4x/G7x and the C51-C73 integrated chips), 173.14.xx GeForce 5
  series, 96.43.xx GeForce 2-4, 71.86.xx Riva TNT": the last branch of each generation.
- [unix-deprecation] NVIDIA's Unix graphics feature deprecation schedule: "The Release 580
  series will be the last to support GPUs based on the Maxwell, Pascal, and Volta
  architectures".
- [open-modules] https://github.com/NVIDIA/open-gpu-kernel-modules README: the open modules
  run on Turing and newer (they need the GSP); from R560 NVIDIA recommends them where they run;
  Grace Hopper and Blackwell are supported by the open modules only.
- [domain] shared/DOMAIN.md "Detection": the coarse id bounds NVIDIA's installer uses
  (< 0x1340 Kepler and older, >= 0x2900 Blackwell, unknown new ids: open required).
- [nvidia-readme] NVIDIA driver README, "Appendix A. Supported NVIDIA GPU Products", per
  release: the first branch that lists a product (RTX 2080/T4: 410; GTX 1660 Ti: 418; RTX 2070
  SUPER: 430; A100: 450; RTX 3080/3090: 455; H100 and RTX 4090: 520; RTX 5090 and B200: 570),
  and ids too new for the pci.ids above (RTX 5090, GH200, B200).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nvwizard.knowledge.product_names import architecture_from_product

# open_kernel values
OPEN_UNSUPPORTED = "unsupported"
OPEN_SUPPORTED = "supported"
OPEN_REQUIRED = "required"
OPEN_UNKNOWN = "unknown"

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Architecture:
    name: str  # "Ampere"
    chip_prefix: str  # "GA"; "" for generations whose chips have no common prefix
    open_kernel: str  # unsupported, supported or required
    last_branch: int | None  # newest driver branch that still supports it, None when current
    source: str
    # the first driver branch that supports it (None: older than any branch offered today)
    first_branch: int | None = None


# fmt: off
ARCHITECTURES: tuple[Architecture, ...] = (
    Architecture("pre-Curie", "", OPEN_UNSUPPORTED, 173, "unix-legacy: GeForce 5 and older, "
                 "173.14.xx at most (no Ubuntu package)"),
    Architecture("Curie", "", OPEN_UNSUPPORTED, 304, "unix-legacy: GeForce 6/7, 304.xx"),
    Architecture("Tesla", "", OPEN_UNSUPPORTED, 340, "unix-legacy: GeForce 8/9, GT2xx, 340.xx"),
    Architecture("Fermi", "GF", OPEN_UNSUPPORTED, 390, "unix-legacy: GF1xx, 390.xx"),
    Architecture("Kepler", "GK", OPEN_UNSUPPORTED, 470, "unix-legacy: GKxxx, 470.xx"),
    Architecture("Maxwell", "GM", OPEN_UNSUPPORTED, 580, "unix-deprecation: last 580"),
    Architecture("Pascal", "GP", OPEN_UNSUPPORTED, 580, "unix-deprecation: last 580"),
    Architecture("Volta", "GV", OPEN_UNSUPPORTED, 580, "unix-deprecation: last 580"),
    Architecture("Turing", "TU", OPEN_SUPPORTED, None, "open-modules; nvidia-readme: 410", 410),
    Architecture("Ampere", "GA", OPEN_SUPPORTED, None, "open-modules; nvidia-readme: 450", 450),
    Architecture("Hopper", "GH", OPEN_SUPPORTED, None, "open-modules; nvidia-readme: 520", 520),
    Architecture("Ada", "AD", OPEN_SUPPORTED, None, "open-modules; nvidia-readme: 520", 520),
    Architecture("Blackwell", "GB", OPEN_REQUIRED, None, "open-modules; nvidia-readme: 570", 570),
)
# fmt: on

_BY_NAME = {a.name: a for a in ARCHITECTURES}
_BY_PREFIX = {a.chip_prefix: a for a in ARCHITECTURES if a.chip_prefix}


def architecture(name: str) -> Architecture | None:
    return _BY_NAME.get(name)


@dataclass(frozen=True)
class IdRange:
    first: int
    last: int
    architecture: str
    source: str = "pci.ids"


# Device-id blocks of the display (class 03) functions, from pci.ids; ids in between belong to
# chipsets, audio and bridges. Fermi sits inside the span the installer calls "Kepler and
# older" (0x0FC0-0x133F holds GK and GF blocks interleaved), so the split is by table.
# fmt: off
ID_RANGES: tuple[IdRange, ...] = (
    IdRange(0x0008, 0x003F, "pre-Curie", "pci.ids: NV1-NV5"),
    IdRange(0x0040, 0x004F, "Curie", "pci.ids: NV40"),
    IdRange(0x0090, 0x009F, "Curie", "pci.ids: G70"),
    IdRange(0x00C0, 0x00CF, "Curie", "pci.ids: NV41/NV42"),
    IdRange(0x00F0, 0x00F9, "Curie", "pci.ids: NV40-NV45 on PCIe bridges"),
    IdRange(0x00FA, 0x013F, "pre-Curie", "pci.ids: NV10-NV38"),
    IdRange(0x0140, 0x014F, "Curie", "pci.ids: NV43"),
    IdRange(0x0150, 0x015F, "pre-Curie", "pci.ids: NV15"),
    IdRange(0x0160, 0x016F, "Curie", "pci.ids: NV44"),
    IdRange(0x0170, 0x018F, "pre-Curie", "pci.ids: NV17/NV18"),
    IdRange(0x0190, 0x019F, "Tesla", "pci.ids: G80"),
    IdRange(0x01D0, 0x01DF, "Curie", "pci.ids: G72"),
    IdRange(0x01F0, 0x020F, "pre-Curie", "pci.ids: NV1x/NV20"),
    IdRange(0x0210, 0x024F, "Curie", "pci.ids: NV48, C51"),
    IdRange(0x0250, 0x028F, "pre-Curie", "pci.ids: NV25/NV28"),
    IdRange(0x0290, 0x029F, "Curie", "pci.ids: G71"),
    IdRange(0x02E0, 0x02FF, "Curie", "pci.ids: G71/G73 (AGP)"),
    IdRange(0x0300, 0x034F, "pre-Curie", "pci.ids: NV30-NV38"),
    IdRange(0x0380, 0x039F, "Curie", "pci.ids: G73"),
    IdRange(0x03D0, 0x03D6, "Curie", "pci.ids: C61"),
    IdRange(0x0400, 0x042F, "Tesla", "pci.ids: G84/G86"),
    IdRange(0x0530, 0x053F, "Curie", "pci.ids: C67/C68"),
    IdRange(0x05E0, 0x065F, "Tesla", "pci.ids: GT200, G92, G94, G96"),
    IdRange(0x06C0, 0x06DF, "Fermi", "pci.ids: GF100"),
    IdRange(0x06E0, 0x06FF, "Tesla", "pci.ids: G98"),
    IdRange(0x07E0, 0x07E5, "Curie", "pci.ids: C73"),
    IdRange(0x0840, 0x087F, "Tesla", "pci.ids: C77/C78/C79 (MCP7x)"),
    IdRange(0x08A0, 0x08AF, "Tesla", "pci.ids: MCP89"),
    IdRange(0x0A20, 0x0A7F, "Tesla", "pci.ids: GT216/GT218"),
    IdRange(0x0CA0, 0x0CBF, "Tesla", "pci.ids: GT215"),
    IdRange(0x0DC0, 0x0DFF, "Fermi", "pci.ids: GF106/GF108"),
    IdRange(0x0E20, 0x0E3F, "Fermi", "pci.ids: GF104"),
    IdRange(0x0F00, 0x0F0F, "Fermi", "pci.ids: GF108"),
    IdRange(0x0FC0, 0x103F, "Kepler", "pci.ids: GK107 0x0fc0 .. GK210 0x102d"),
    IdRange(0x1040, 0x109F, "Fermi", "pci.ids: GF119 0x1040 .. GF110 0x109b"),
    IdRange(0x10C0, 0x10DF, "Tesla", "pci.ids: GT218"),
    IdRange(0x1140, 0x117F, "Fermi", "pci.ids: GF117M 0x1140"),
    IdRange(0x1180, 0x11FF, "Kepler", "pci.ids: GK104/GK106"),
    IdRange(0x1200, 0x127F, "Fermi", "pci.ids: GF114/GF116 0x1200 .. 0x1251"),
    IdRange(0x1280, 0x133F, "Kepler", "pci.ids: GK208 0x1280 .. 0x12ba"),
    IdRange(0x1340, 0x15EF, "Maxwell", "pci.ids: GM108 0x1340 .. GM204 0x13fb, GM206 0x1401"),
    IdRange(0x15F0, 0x15FF, "Pascal", "pci.ids: GP100GL 0x15f0 .. 0x15f9"),
    IdRange(0x1600, 0x171F, "Maxwell", "pci.ids: GM204M 0x1617 .. 0x1667"),
    IdRange(0x1720, 0x173F, "Pascal", "pci.ids: GP100 0x1725 .. 0x172f"),
    IdRange(0x1740, 0x17FF, "Maxwell", "pci.ids: GM107/GM108/GM200 0x174d .. 0x17fd"),
    IdRange(0x1B00, 0x1D7F, "Pascal", "pci.ids: GP102 0x1b00 .. GP108 0x1d56"),
    IdRange(0x1D80, 0x1DFF, "Volta", "pci.ids: GV100 0x1d81 .. 0x1df6"),
    IdRange(0x1E00, 0x1FFF, "Turing", "pci.ids: TU102 0x1e02 .. TU117 0x1ff9"),
    IdRange(0x2000, 0x217F, "Ampere", "pci.ids: GA100 0x2082 .. 0x20fd"),
    IdRange(0x2180, 0x21FF, "Turing", "pci.ids: TU116 0x2182 .. 0x21d1 (GTX 16xx)"),
    IdRange(0x2200, 0x22FF, "Ampere", "pci.ids: GA102 0x2200 .. 0x228e"),
    IdRange(0x2300, 0x23FF, "Hopper", "pci.ids: GH100 0x2302 .. 0x2339"),
    IdRange(0x2400, 0x25FF, "Ampere", "pci.ids: GA103/GA104/GA106/GA107 0x2414 .. 0x25fb"),
    IdRange(0x2600, 0x28FF, "Ada", "pci.ids: AD102 0x2681 .. AD107 0x28e1"),
)
# fmt: on

FIRST_BLACKWELL_ID = 0x2900  # domain: >= 0x2900 Blackwell, open only; newer unknown ids too
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

# Products that need a newer branch than their generation's first (nvidia-readme), matched on
# the marketing name, so they apply whether or not the id is known.
PRODUCT_MINIMUM_BRANCH: tuple[tuple[str, int], ...] = (
    ("GTX 1660", 418),
    ("GTX 1650", 418),
    ("RTX 2060 SUPER", 430),
    ("RTX 2070 SUPER", 430),
    ("RTX 2080 SUPER", 430),
    ("RTX 3080", 455),
    ("RTX 3090", 455),
    ("RTX 5090", 570),
    ("RTX 5080", 570),
)

# "GA102", "TU104GL", "GP104M", "AD104GLM"; pci.ids sometimes omits the space: "GH100[H100 ...".
_CHIP_RE = re.compile(r"(?<![A-Za-z0-9])(GF|GK|GM|GP|GV|TU|GA|GH|AD|GB)(\d{2,3}[A-Z]*)(?![a-z0-9])")
# The generations before Fermi have chip codes without a common prefix.
_OLD_CHIPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?<![A-Za-z0-9])(G8\d|G9\d|GT2\d\d|C7[789AB]|C89|MCP7\d|MCP89)[A-Z]*\b"),
        "Tesla",
    ),
    (re.compile(r"(?<![A-Za-z0-9])(NV4\d|G7\d|C51|C61|C67|C68|C73)[A-Z]*\b"), "Curie"),
    (re.compile(r"(?<![A-Za-z0-9])(NV[123]\d|NV[0-9])[A-Z]*\b"), "pre-Curie"),
)
_BRACKET_RE = re.compile(r"\[([^\[\]]+)\]")
_ID_PAIR_RE = re.compile(r"^[0-9a-fA-F]{4}(:[0-9a-fA-F]{4})?$")


@dataclass(frozen=True)
class GpuClass:
    architecture: str  # pre-Curie, Curie, Tesla, Fermi ... Blackwell, or "unknown"
    open_kernel: str  # unsupported, supported, required, unknown
    chip: str | None  # "GA102", None when the name does not say
    marketing_name: str | None  # "GeForce RTX 3090"
    last_branch: int | None = None  # legacy generations: the newest branch that supports them
    grace_hopper: bool = False
    first_branch: int | None = None  # the oldest branch that supports this product


def _parse_id(device_id: str | int | None) -> int | None:
    if isinstance(device_id, int):
        return device_id
    if not device_id:
        return None
    try:
        return int(device_id.strip().lower().removeprefix("0x"), 16)
    except ValueError:
        return None


def _chip_and_generation(name: str | None) -> tuple[str | None, str | None]:
    """The chip code in a PCI name and its generation: "NVIDIA Corporation GA102 [GeForce RTX
    3090]" -> ("GA102", "Ampere")."""
    if not name:
        return None, None
    match = _CHIP_RE.search(name)
    if match:
        return match.group(0), _BY_PREFIX[match.group(1)].name
    for pattern, generation in _OLD_CHIPS:
        old = pattern.search(name)
        if old:
            return old.group(0), generation
    return None, None


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


def product_minimum_branch(product: str | None) -> int | None:
    if not product:
        return None
    return next((branch for text, branch in PRODUCT_MINIMUM_BRANCH if text in product), None)


def classify_gpu(device_id: str | int | None, name: str | None = None) -> GpuClass:
    """What kind of NVIDIA GPU this is: chip code from the PCI name first, else the id range.

    `device_id` is the PCI device id ("2204", "0x2204" or an int) or None when the source
    shows none (plain `lspci`); `name` the PCI name as lspci or pci.ids gives it, or the
    product name nvidia-smi prints (no chip code: its generation from product_names.py), or
    None.
    """
    number = _parse_id(device_id)
    known = _KNOWN.get(f"{number:04x}") if number is not None else None
    chip, generation = _chip_and_generation(name)
    if chip is None and known is not None:
        chip, generation = _chip_and_generation(known.chip)
    product = marketing_name(name) or (known.name if known else None)
    named = product or name  # nvidia-smi's name has no brackets: "NVIDIA GeForce RTX 3090"
    grace_hopper = (number in GRACE_HOPPER_IDS) or bool(named and "GH200" in named)

    if generation is None and number is not None:
        generation = architecture_from_id(number)
    if generation in (None, UNKNOWN):  # no chip code, no known id: what the product name says
        generation = architecture_from_product(named) or generation
    arch = _BY_NAME.get(generation or "")
    if arch is not None:
        open_kernel = arch.open_kernel
    elif number is not None:
        open_kernel = _open_kernel_from_id(number)
    else:
        open_kernel = OPEN_UNKNOWN
    if grace_hopper:
        open_kernel = OPEN_REQUIRED
    first = max(
        (b for b in (arch.first_branch if arch else None, product_minimum_branch(named)) if b),
        default=None,
    )
    return GpuClass(
        architecture=arch.name if arch else UNKNOWN,
        open_kernel=open_kernel,
        chip=chip,
        marketing_name=product,
        last_branch=arch.last_branch if arch else None,
        grace_hopper=grace_hopper,
        first_branch=first,
    )
