"""GPU generations by product name, for GPUs known only by the name nvidia-smi prints
("NVIDIA H100 80GB HBM3", "Tesla V100-SXM2-32GB", "NVIDIA L4"): a bundle of nvidia-smi.txt
alone has no PCI id and no chip code (architectures.py's evidence). The first row whose
pattern is found in the name decides; "NVIDIA Graphics Device" (a product the driver does not
know) matches none and stays unknown.

Sources: the product pages and NVIDIA driver README "Appendix A. Supported NVIDIA GPU
Products" (architectures.py's nvidia-readme), and the names nvidia-smi prints for them.
Patterns are case-sensitive and bounded (`\\b`), so "L4" is not "L40", "A10" not "A100", and
the "SXM4" of "A100-SXM4-80GB" is not a Maxwell "M4". Ambiguous names (a "GT 730" was built as
Kepler and as Fermi) are left out: unknown is better than wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ProductPattern:
    pattern: str  # a regular expression searched in the name
    architecture: str  # architectures.py's name
    examples: str  # names nvidia-smi prints that it matches


# Order matters where names share words: "RTX 6000 Ada" is Ada, "Quadro RTX 6000" Turing,
# "RTX A6000" Ampere; "GTX TITAN X" is Maxwell, "GTX TITAN" Kepler.
# fmt: off
PRODUCT_PATTERNS: tuple[ProductPattern, ...] = (
    ProductPattern(r"\bBlackwell\b|\bG?B[123]00[A-Z]?\b|\bGeForce RTX 50[5-9]0\b", "Blackwell",
                   "NVIDIA B200, NVIDIA GB200, NVIDIA GeForce RTX 5090, "
                   "NVIDIA RTX PRO 6000 Blackwell Server Edition"),
    ProductPattern(r"\bGH200\b|\bH(100|200|800|20)\b", "Hopper",
                   "NVIDIA H100 80GB HBM3, NVIDIA H100 PCIe, NVIDIA H200, NVIDIA GH200 480GB"),
    ProductPattern(r"\bAda Generation\b|\bL(4|20|40|40S|40G)\b|\bGeForce RTX 40[5-9]0\b", "Ada",
                   "NVIDIA L4, NVIDIA L40S, NVIDIA GeForce RTX 4090, "
                   "NVIDIA RTX 6000 Ada Generation"),
    ProductPattern(r"\bA(100|800|40|30|16|10|10G|10M|2)\b|\bRTX A\d{3,4}\b"
                   r"|\bGeForce RTX 30[5-9]0\b", "Ampere",
                   "NVIDIA A100-SXM4-80GB, NVIDIA A100 80GB PCIe, NVIDIA A10G, NVIDIA RTX A6000, "
                   "NVIDIA GeForce RTX 3090"),
    ProductPattern(r"\bT4\b|\bT(400|600|1000|1200|2000)\b|\bQuadro RTX\b|\bTITAN RTX\b"
                   r"|\bGeForce RTX 20[6-8]0\b|\bGeForce GTX 16[5-6]0\b", "Turing",
                   "Tesla T4, GRID T4-16Q, Quadro RTX 8000, NVIDIA GeForce GTX 1660 Ti"),
    ProductPattern(r"\bV100S?\b|\bTITAN V\b", "Volta",
                   "Tesla V100-SXM2-32GB, Tesla V100S-PCIE-32GB, NVIDIA TITAN V"),
    ProductPattern(r"\bP(100|40|6|4)\b|\bTITAN X \(Pascal\)|\bTITAN Xp\b|\bQuadro P\d{3,4}\b"
                   r"|\bGeForce GTX 10[5-8]0\b|\bGeForce GT 1030\b", "Pascal",
                   "Tesla P100-PCIE-16GB, Tesla P40, NVIDIA GeForce GTX 1080, NVIDIA TITAN Xp"),
    ProductPattern(r"\bM(60|40|10|6|4)\b|\bQuadro M\d{3,4}\b|\bGTX TITAN X\b"
                   r"|\bGeForce GTX (9[5-8]0|750|745)\b", "Maxwell",
                   "Tesla M60, Tesla M40 24GB, GeForce GTX 980 Ti, GeForce GTX 750 Ti"),
    ProductPattern(r"\bK(80|40|20X?|10|520)[mcs]?\b|\bQuadro K\d{3,4}\b|\bGTX TITAN\b"
                   r"|\bGeForce GTX (6[5-9]0|7[6-8]0)\b", "Kepler",
                   "Tesla K80, Tesla K40m, GeForce GTX 780, GeForce GTX TITAN Black"),
)
# fmt: on


def architecture_from_product(name: str | None) -> str | None:
    """The generation a product name says ("NVIDIA A100-SXM4-80GB" -> "Ampere"), or None."""
    if not name:
        return None
    # re compiles (and caches) each pattern on first use: only for a GPU without a PCI id, not
    # at every start-up
    return next((p.architecture for p in PRODUCT_PATTERNS if re.search(p.pattern, name)), None)
